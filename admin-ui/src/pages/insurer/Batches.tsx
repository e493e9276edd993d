// TODO(screen): insurer/Batches
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="insurer/Batches" />;
}
