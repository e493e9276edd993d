// TODO(screen): officer/Catalog
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="officer/Catalog" />;
}
