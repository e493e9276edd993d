// What the officer's screens share: percentages from exact fractions, the words for catalog
// enumerations, bid outcomes in the user's language (from the core's structured outcome, or
// from the server's English reason where only that is given), and problems said naturally.
import { Tag } from 'antd';
import { useCallback } from 'react';
import { problemOf, describe } from '../../api/problem';
import { useI18n, type T } from '../../i18n';

/** `"-0.6500"` (a fraction) → `"-65.00%"`, exactly (no float). */
export function pct(v: string | null | undefined): string {
  if (v == null || v === '') return '—';
  let s = v.trim();
  const neg = s.startsWith('-');
  if (neg || s.startsWith('+')) s = s.slice(1);
  const [int, frac = ''] = s.split('.');
  const f = frac.padEnd(2, '0');
  let whole = (int + f.slice(0, 2)).replace(/^0+(?=\d)/, '');
  let rest = f.slice(2).replace(/0+$/, '');
  if (rest.length < 2) rest = rest.padEnd(2, '0');
  if (rest.length > 2) rest = rest.slice(0, 2);
  if (whole === '') whole = '0';
  const zero = /^0+$/.test(whole) && /^0+$/.test(rest);
  return `${neg && !zero ? '-' : ''}${whole}.${rest}%`;
}

/** The fraction as a float percentage, for charts only. */
export function pctNumber(v: string | null | undefined): number | null {
  if (v == null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? Math.round(n * 10000) / 100 : null;
}

/** A catalog word (`officer.form.tablet`), or the stored value when the UI does not know it. */
export function word(t: T, has: (k: string) => boolean, group: 'form' | 'unit' | 'consistency' | 'kind', v: string | null | undefined): string {
  if (v == null || v === '') return '—';
  const key = `officer.${group}.${v}`;
  return has(key) ? t(key) : v;
}

/** Whole units grouped (`72,950,000`). */
export function units(v: number | null | undefined): string {
  if (v == null) return '—';
  return String(v).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

type Json = Record<string, unknown>;
const str = (v: unknown) => (v == null ? '' : String(v));

function admission(t: T, a: Json | undefined): string {
  const rule = str(a?.rule);
  return t(`officer.admit.${rule}`, {
    limit: str(a?.limit),
    anchor: str(a?.anchor),
    revival_ucp: str(a?.revival_ucp),
  });
}

/** Why a lot has no winner (`{code: no_valid_bid | too_few_bidders, ...}`). */
export function unsuccessfulText(t: T, r: unknown): string {
  const o = (r ?? {}) as Json;
  if (o.code === 'too_few_bidders') {
    return t('officer.unsuccessful.too_few_bidders', { valid: str(o.valid_bidders), min: str(o.min_bidders) });
  }
  if (o.code === 'no_valid_bid') return t('officer.unsuccessful.no_valid_bid');
  return o.code ? str(o.code) : '—';
}

function loss(t: T, has: (k: string) => boolean, r: Json): string {
  switch (r.code) {
    case 'ineligible': {
      const i = (r.reason ?? {}) as Json;
      const code = str(i.code);
      const kinds = code === 'wrong_kind';
      const text = has(`officer.inelig.${code}`)
        ? t(`officer.inelig.${code}`, {
            expected: kinds ? word(t, has, 'kind', str(i.expected)) : str(i.expected),
            found: kinds ? word(t, has, 'kind', str(i.found)) : str(i.found),
            until: str(i.until),
            detail: str(i.detail),
          })
        : code;
      return t('officer.lost.ineligible', { why: text });
    }
    case 'above_ceiling': {
      const c = (r.check ?? {}) as Json;
      return c.basis === 'item_ceiling'
        ? t('officer.lost.item_ceiling', { price: str(c.price), ceiling: str(c.ceiling) })
        : t('officer.lost.lot_ceiling', { ucp: str(c.ucp), ceiling: str(c.ceiling_ucp) });
    }
    case 'above_selection_limit':
      return t('officer.lost.above_selection_limit', { ucp: str(r.ucp), limit: str(r.limit) });
    case 'max_winners_reached':
      return t('officer.lost.max_winners_reached', { rank: str(r.rank), max: str(r.max_winners), valid: str(r.valid_bidders) });
    case 'lot_unsuccessful':
      return t('officer.lost.lot_unsuccessful', { why: unsuccessfulText(t, r.reason) });
    default:
      return str(r.code);
  }
}

/**
 * A bid's outcome in words, from the core's structured outcome
 * (`{"result":"won","rank":..,"admitted_by":{..}}` or `{"result":"lost","reason":{..}}`);
 * `fallback` (the server's English text) when the shape is not one the UI knows.
 */
export function outcomeText(t: T, has: (k: string) => boolean, outcome: unknown, fallback: string): string {
  const o = (outcome ?? {}) as Json;
  if (o.result === 'won') {
    const a = (o.admitted_by ?? {}) as Json;
    if (!has(`officer.admit.${str(a.rule)}`)) return fallback;
    return t('officer.won', { rank: str(o.rank), why: admission(t, a) });
  }
  if (o.result === 'lost' && o.reason && typeof o.reason === 'object') return loss(t, has, o.reason as Json);
  return fallback;
}

/** A winner's reason as the results give it (the server's English sentence), in the user's language. */
export function winnerReasonText(t: T, reason: string): string {
  const m = /^won, rank (\d+): (.*)$/.exec(reason);
  if (!m) return reason;
  const [, rank, why] = m;
  const rules: [RegExp, (x: RegExpExecArray) => Json][] = [
    [/^the lowest UCP$/, () => ({ rule: 'lowest' })],
    [/^UCP within the limit (\S+) \(ratio of the lowest\)$/, (x) => ({ rule: 'within_ratio_of_lowest', limit: x[1] })],
    [/^UCP at or below the absolute threshold (\S+)$/, (x) => ({ rule: 'absolute_threshold', limit: x[1] })],
    [/^UCP at or below (\S+) \(share of the ceiling\)$/, (x) => ({ rule: 'share_of_ceiling', limit: x[1] })],
    [/^UCP within (\S+) \(ratio of the anchor (\S+)\)$/, (x) => ({ rule: 'within_ratio_of_anchor', limit: x[1], anchor: x[2] })],
    [/^oral solid at or below (\S+)$/, (x) => ({ rule: 'oral_solid_exemption', limit: x[1] })],
    [/^accepted the revival price \(UCP (\S+)\)$/, (x) => ({ rule: 'revival', revival_ucp: x[1] })],
  ];
  for (const [re, f] of rules) {
    const x = re.exec(why);
    if (x) return t('officer.won', { rank, why: admission(t, f(x)) });
  }
  return reason;
}

/** How a supply region was picked (`{"by":"preference","position":n}` or `{"by":"largest_demand"}`). */
export function pickText(t: T, pick: unknown): string {
  const p = (pick ?? {}) as Json;
  if (p.by === 'preference') return t('officer.pick.preference', { n: str(p.position) });
  if (p.by === 'largest_demand') return t('officer.pick.largest_demand');
  return '—';
}

/** Won / not won, in words as well as colour. */
export function WonTag({ won }: { won: boolean }) {
  const { t } = useI18n();
  return <Tag color={won ? 'green' : 'default'}>{won ? t('officer.tag.won') : t('officer.tag.lost')}</Tag>;
}

/** A lot successful or not, in words as well as colour. */
export function LotStatusTag({ status }: { status: string }) {
  const { t } = useI18n();
  return <Tag color={status === 'successful' ? 'green' : 'red'}>{t(`officer.lotStatus.${status === 'successful' ? 'successful' : 'unsuccessful'}`)}</Tag>;
}

/**
 * A problem in words: this area's text for the few codes where the screen says what to do
 * next (`officer.err.<code>`), else what `describe` makes of it (errors.ts).
 */
export function useSay() {
  const { t, has, lang } = useI18n();
  return useCallback(
    (e: unknown) => {
      const p = problemOf(e);
      if (has(`officer.err.${p.code}`)) {
        const head = t(`officer.err.${p.code}`);
        // the server's detail is English: said in full to English readers only
        return lang === 'en' && p.detail ? `${head}: ${p.detail}` : head;
      }
      return describe(t, has, e);
    },
    [t, has, lang],
  );
}
