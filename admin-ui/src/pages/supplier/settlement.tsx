// Words and tags the statement and dispute screens share.
import { Tag } from 'antd';
import type { ApiError } from '../../api/client';
import { describe } from '../../api/problem';
import { useI18n, type T } from '../../i18n';

const STATE_COLORS: Record<string, string> = { unsettled: 'default', disputed: 'orange', batched: 'blue', paid: 'green' };
export const LINE_STATES = ['unsettled', 'disputed', 'batched', 'paid'];

export function LineState({ state }: { state: string }) {
  const { t, has } = useI18n();
  const k = `supplier.stmt.state.${state}`;
  return <Tag color={STATE_COLORS[state]}>{has(k) ? t(k) : state}</Tag>;
}

/** An API error in words, with this area's texts for the settlement and bidding codes. */
export function explain(t: T, has: (k: string) => boolean, e: unknown): string {
  const code = (e as ApiError | undefined)?.problem?.code;
  const own = `supplier.err.${code}`;
  if (code && has(own)) {
    const detail = (e as ApiError).problem.detail;
    return detail ? t('supplier.errWithDetail', { head: t(own), detail }) : t(own);
  }
  return describe(t, has, e);
}

/** This month in China Standard Time, `YYYY-MM`. */
export function thisMonth(): string {
  return new Date(Date.now() + 8 * 3600_000).toISOString().slice(0, 7);
}
