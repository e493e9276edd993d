// TODO(screen): buyer/Demand
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="buyer/Demand" />;
}
