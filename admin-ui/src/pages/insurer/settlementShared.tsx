// What the settlement screens (prepayments, batches, payment orders, overdue) share: exact
// decimal sums and percentages, short ids, the awarded rounds, the bank reference's rule and
// the tags of the states.
import { useEffect, useState, type ReactNode } from 'react';
import { Tag, Tooltip, Typography } from 'antd';
import { CheckCircleOutlined, ClockCircleOutlined, ExclamationCircleOutlined, StopOutlined } from '@ant-design/icons';
import type { Rule } from 'antd/es/form';
import { getJson, type Page, type Schemas } from '../../api/client';
import { useI18n, type T } from '../../i18n';

export type Round = Schemas['RoundDto'];

/** Sums exact decimal strings (no float): `["1.10", "2.005"]` → `"3.105"`. */
export function sumDecimals(values: (string | null | undefined)[]): string {
  const parts = values.filter((v): v is string => !!v && /^-?\d+(\.\d+)?$/.test(v));
  const scale = Math.max(2, ...parts.map((v) => (v.split('.')[1] ?? '').length));
  let total = 0n;
  for (const v of parts) {
    const neg = v.startsWith('-');
    const [i, f = ''] = (neg ? v.slice(1) : v).split('.');
    const n = BigInt(i + f.padEnd(scale, '0'));
    total += neg ? -n : n;
  }
  const neg = total < 0n;
  const digits = (neg ? -total : total).toString().padStart(scale + 1, '0');
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** A ratio as a percentage, exactly: `"0.3000"` → `"30%"`, `"0.3333"` → `"33.33%"`. */
export function percent(ratio: string | null | undefined): string {
  if (!ratio || !/^\d+(\.\d+)?$/.test(ratio)) return '—';
  const [i, f = ''] = ratio.split('.');
  const frac = f.padEnd(2, '0');
  const whole = String(Number(i + frac.slice(0, 2)));
  const rest = frac.slice(2).replace(/0+$/, '');
  return `${whole}${rest ? `.${rest}` : ''}%`;
}

/** The first block of a UUID, the whole one on hover (and copyable). */
export function ShortId({ id, testId }: { id: string | null | undefined; testId?: string }) {
  if (!id) return <>—</>;
  return (
    <Tooltip title={id}>
      <Typography.Text code copyable={{ text: id }} data-testid={testId}>
        {id.slice(0, 8)}
      </Typography.Text>
    </Tooltip>
  );
}

/** Rounds whose contracts run (awarded or completed), newest first. */
export function useSettledRounds(): { rounds: Round[]; loading: boolean; error: unknown } {
  const [rounds, setRounds] = useState<Round[]>([]);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);
  useEffect(() => {
    let alive = true;
    Promise.all(
      ['awarded', 'completed'].map((status) => getJson<Page<Round>>('/api/v1/rounds', { status, per_page: 200 })),
    )
      .then((pages) => {
        if (!alive) return;
        const all = pages.flatMap((p) => p.items);
        all.sort((a, b) => (b.awarded_at ?? b.created_at).localeCompare(a.awarded_at ?? a.created_at));
        setRounds(all);
      })
      .catch((e) => alive && setError(e))
      .finally(() => alive && setLoading(false));
    return () => {
      alive = false;
    };
  }, []);
  return { rounds, loading, error };
}

/** The bank reference's rule (docs/api.md, "Input bounds"): 1 to 64 characters, no control
 * characters, no spaces around it. */
export function bankReferenceRules(t: T): Rule[] {
  return [
    { required: true, whitespace: true, message: t('insurer.bankRef.required') },
    { max: 64, message: t('insurer.bankRef.max') },
    {
      validator: (_, v: string | undefined) => {
        if (!v) return Promise.resolve();
        // eslint-disable-next-line no-control-regex
        if (/[\u0000-\u001f\u007f]/.test(v)) return Promise.reject(new Error(t('insurer.bankRef.control')));
        if (v !== v.trim()) return Promise.reject(new Error(t('insurer.bankRef.spaces')));
        return Promise.resolve();
      },
    },
  ];
}

/** Paid or not, with an icon and a word (never colour alone). */
export function PaidTag({ paid }: { paid: boolean }) {
  const { t } = useI18n();
  return paid ? (
    <Tag color="success" icon={<CheckCircleOutlined />}>
      {t('insurer.paid')}
    </Tag>
  ) : (
    <Tag color="warning" icon={<ClockCircleOutlined />}>
      {t('insurer.unpaid')}
    </Tag>
  );
}

const BATCH_ICONS: Record<string, { color: string; icon: ReactNode }> = {
  open: { color: 'processing', icon: <ClockCircleOutlined /> },
  paid: { color: 'success', icon: <CheckCircleOutlined /> },
  empty: { color: 'default', icon: <StopOutlined /> },
};

export function BatchStatus({ status }: { status: string }) {
  const { t, has } = useI18n();
  const s = BATCH_ICONS[status] ?? { color: 'default', icon: null };
  return (
    <Tag color={s.color} icon={s.icon}>
      {has(`insurer.batch.status.${status}`) ? t(`insurer.batch.status.${status}`) : status}
    </Tag>
  );
}

const LINE_COLORS: Record<string, string> = { unsettled: 'default', disputed: 'error', batched: 'processing', paid: 'success' };

export function LineState({ state, overdue }: { state: string; overdue?: boolean }) {
  const { t, has } = useI18n();
  return (
    <>
      <Tag color={LINE_COLORS[state] ?? 'default'}>{has(`insurer.line.${state}`) ? t(`insurer.line.${state}`) : state}</Tag>
      {overdue && (
        <Tag color="red" icon={<ExclamationCircleOutlined />}>
          {t('insurer.overdue')}
        </Tag>
      )}
    </>
  );
}

/** Today in China Standard Time, `YYYY-MM-DD`. */
export function chinaToday(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 10);
}

/** Whole days from `from` to `to` (calendar dates `YYYY-MM-DD`). */
export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000);
}
