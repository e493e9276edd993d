// TODO(screen): supplier/Bid
import { PageContainer } from '@ant-design/pro-components';

export default function Screen() {
  return <PageContainer title="supplier/Bid" />;
}
