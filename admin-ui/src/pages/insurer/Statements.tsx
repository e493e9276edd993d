// TODO(screen): insurer/Statements
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="insurer/Statements" />;
}
