// TODO(screen): insurer/Disputes
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="insurer/Disputes" />;
}
