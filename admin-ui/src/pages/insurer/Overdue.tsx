// TODO(screen): insurer/Overdue
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="insurer/Overdue" />;
}
