// A round's status as a tag with its text (a small module: screens import it without the
// rounds list's table).
import { Tag } from 'antd';
import { useI18n } from '../i18n';

export const ROUND_STATUSES = ['draft', 'demand_collection', 'bidding_open', 'closed', 'opened', 'evaluated', 'awarded', 'completed', 'cancelled'];
const COLORS: Record<string, string> = {
  draft: 'default',
  demand_collection: 'cyan',
  bidding_open: 'green',
  closed: 'orange',
  opened: 'gold',
  evaluated: 'purple',
  awarded: 'blue',
  completed: 'geekblue',
  cancelled: 'red',
};

export function RoundStatus({ status }: { status: string }) {
  const { t } = useI18n();
  return <Tag color={COLORS[status]}>{t(`round.status.${status}`)}</Tag>;
}

