// TODO(screen): buyer/Progress
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="buyer/Progress" />;
}
