// TODO(screen): officer/Results
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="officer/Results" />;
}
