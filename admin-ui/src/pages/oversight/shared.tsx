// What the oversight screens share: the warning levels and complaint statuses as tags (text
// and colour, the colour never the only signal), and problems said in the user's language.
import { Tag } from 'antd';
import { useI18n } from '../../i18n';
import { TONE } from '../buyer/shared';

export const LEVELS = ['alarm', 'warning', 'watch'] as const;
export type Level = (typeof LEVELS)[number];

/** Chart colours of the levels: yellow, orange, red. */
export const LEVEL_CHART: Record<Level, string> = { watch: '#fadb14', warning: '#fa8c16', alarm: '#cf1322' };

/** Tag colours of the levels, with a text colour of AA contrast on each. */
const LEVEL_TAG: Record<string, { background: string; color: string; borderColor: string }> = {
  watch: { background: '#fadb14', color: 'rgba(0, 0, 0, 0.88)', borderColor: '#d4b106' },
  warning: { background: TONE.orange, color: '#fff', borderColor: TONE.orange },
  alarm: { background: TONE.red, color: '#fff', borderColor: TONE.red },
};

export function LevelTag({ level }: { level: string }) {
  const { t, has } = useI18n();
  const key = `oversight.level.${level}`;
  return (
    <Tag style={LEVEL_TAG[level]} data-level={level}>
      {has(key) ? t(key) : level}
    </Tag>
  );
}

export const COMPLAINT_STATUSES = ['submitted', 'under_review', 'upheld', 'dismissed', 'withdrawn'] as const;
const COMPLAINT_COLORS: Record<string, string | undefined> = {
  submitted: TONE.blue,
  under_review: TONE.gold,
  upheld: TONE.green,
  dismissed: TONE.red,
  withdrawn: undefined,
};

/** Whether a complaint may still move (submitted or under review). */
export const isOpen = (status: string) => status === 'submitted' || status === 'under_review';

export function ComplaintStatusTag({ status, testId }: { status: string; testId?: string }) {
  const { t, has } = useI18n();
  const key = `oversight.complaint.status.${status}`;
  return (
    <Tag color={COMPLAINT_COLORS[status]} data-status={status} data-testid={testId}>
      {has(key) ? t(key) : status}
    </Tag>
  );
}

/** A round name short enough for a chart's axis. */
export function shortName(name: string, max = 10): string {
  const chars = [...name];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : name;
}

/** `5242880` → `5.0 MB`. */
export function fileSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}
