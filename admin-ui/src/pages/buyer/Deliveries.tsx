// TODO(screen): buyer/Deliveries
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="buyer/Deliveries" />;
}
