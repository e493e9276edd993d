// TODO(screen): buyer/Orders
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="buyer/Orders" />;
}
