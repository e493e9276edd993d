// TODO(screen): admin/Orgs
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="admin/Orgs" />;
}
