// The bid form's live preview of the unit comparable price (UCP, 差比价) and of the ceiling
// that applies, as bidding-core computes them (docs/rules.md 1 and 3): K = base ^ log2(X) per
// difference (dosage form by the round's table, strength 1.7, fill volume 1.9, pack count
// 1.95 when prices are per pack), UCP = price / K rounded half-up to 4 places once, at the
// end. Floats are good enough for a preview: the server decides, exactly.

export interface Spec {
  dosage_form?: string | null;
  strength?: string | null;
  strength_unit?: string | null;
  fill_volume?: string | null;
  fill_volume_unit?: string | null;
  pack_count: number;
}

export interface FormRatio {
  form: string;
  representative: string;
  ratio: string;
}

export interface Comparison {
  strength_base: string;
  fill_volume_base: string;
  pack_count_base: string;
  price_basis: string;
  form_ratios: FormRatio[];
}

export const DEFAULT_COMPARISON: Comparison = {
  strength_base: '1.7',
  fill_volume_base: '1.9',
  pack_count_base: '1.95',
  price_basis: 'per_min_unit',
  form_ratios: [],
};

/** The comparison settings of a round's `rules` (defaults where a value is missing). */
export function comparisonOf(rules: unknown): Comparison {
  const c = (rules as { comparison?: Partial<Comparison> } | null)?.comparison ?? {};
  return {
    strength_base: String(c.strength_base ?? DEFAULT_COMPARISON.strength_base),
    fill_volume_base: String(c.fill_volume_base ?? DEFAULT_COMPARISON.fill_volume_base),
    pack_count_base: String(c.pack_count_base ?? DEFAULT_COMPARISON.pack_count_base),
    price_basis: String(c.price_basis ?? DEFAULT_COMPARISON.price_basis),
    form_ratios: Array.isArray(c.form_ratios) ? c.form_ratios : [],
  };
}

/** unit -> [dimension, factor to the dimension's base unit] (bidding-core `Unit`). */
const UNITS: Record<string, [string, number]> = {
  ug: ['mass', 0.001],
  'µg': ['mass', 0.001],
  'μg': ['mass', 0.001],
  mcg: ['mass', 0.001],
  mg: ['mass', 1],
  g: ['mass', 1000],
  iu: ['activity', 1],
  u: ['activity', 1],
  mmol: ['amount', 1],
  ml: ['volume', 1],
  l: ['volume', 1000],
  '%': ['concentration', 1],
  percent: ['concentration', 1],
};

function unitOf(u: string | null | undefined): [string, number] | null {
  if (!u) return null;
  return UNITS[u.trim().toLowerCase()] ?? UNITS[u.trim()] ?? null;
}

function ratio(a: string, ua: string | null | undefined, b: string, ub: string | null | undefined): number | null {
  const x = unitOf(ua);
  const y = unitOf(ub);
  const av = Number(a);
  const bv = Number(b);
  if (!x || !y || x[0] !== y[0] || !(av > 0) || !(bv > 0)) return null;
  return (av * x[1]) / (bv * y[1]);
}

/** K = base ^ log2(x), whole doublings by repeated multiplication (as exact as floats go). */
export function ratioFactor(base: number, x: number): number {
  let m = x;
  let e = 0;
  while (m >= 2 && e <= 64) {
    m /= 2;
    e += 1;
  }
  while (m < 1 && e >= -64) {
    m *= 2;
    e -= 1;
  }
  let k = 1;
  for (let i = 0; i < Math.abs(e); i++) k *= base;
  if (e < 0) k = 1 / k;
  if (Math.abs(m - 1) > 1e-15) k *= Math.pow(base, Math.log2(m));
  return k;
}

export type Why = 'form' | 'strength' | 'fill_volume' | 'pack';
export type UcpResult = { ok: true; ucp: string; k: number } | { ok: false; why: Why };

/** The price ratio K of `spec` against the representative `rep` (dosage form, strength, fill volume, pack). */
export function priceFactor(spec: Spec, rep: Spec, rules: Comparison): { ok: true; k: number } | { ok: false; why: Why } {
  let k = 1;
  const form = spec.dosage_form ?? 'device';
  const repForm = rep.dosage_form ?? 'device';
  if (form !== repForm) {
    const direct = rules.form_ratios.find((r) => Number(r.ratio) > 0 && r.form === form && r.representative === repForm);
    const inverse = rules.form_ratios.find((r) => Number(r.ratio) > 0 && r.form === repForm && r.representative === form);
    if (direct) k *= Number(direct.ratio);
    else if (inverse) k /= Number(inverse.ratio);
    else return { ok: false, why: 'form' };
  }
  if (spec.strength && rep.strength) {
    const x = ratio(spec.strength, spec.strength_unit, rep.strength, rep.strength_unit);
    if (x === null) return { ok: false, why: 'strength' };
    if (x !== 1) k *= ratioFactor(Number(rules.strength_base), x);
  } else if (!!spec.strength !== !!rep.strength) return { ok: false, why: 'strength' };
  if (spec.fill_volume && rep.fill_volume) {
    const x = ratio(spec.fill_volume, spec.fill_volume_unit, rep.fill_volume, rep.fill_volume_unit);
    if (x === null) return { ok: false, why: 'fill_volume' };
    if (x !== 1) k *= ratioFactor(Number(rules.fill_volume_base), x);
  } else if (!!spec.fill_volume !== !!rep.fill_volume) return { ok: false, why: 'fill_volume' };
  if (rules.price_basis === 'per_pack' && spec.pack_count !== rep.pack_count) {
    if (!(spec.pack_count > 0) || !(rep.pack_count > 0)) return { ok: false, why: 'pack' };
    k *= ratioFactor(Number(rules.pack_count_base), spec.pack_count / rep.pack_count);
  }
  return { ok: true, k };
}

/** A positive decimal string rounded half-up to `places` (the digits are taken as written). */
export function roundHalfUp(v: string, places: number): string {
  const [int, frac = ''] = v.split('.');
  const padded = (frac + '0'.repeat(places + 1)).slice(0, places + 1);
  let scaled = BigInt((int || '0') + padded.slice(0, places));
  if (Number(padded[places]) >= 5) scaled += 1n;
  const s = scaled.toString().padStart(places + 1, '0');
  return places > 0 ? `${s.slice(0, -places)}.${s.slice(-places)}` : s;
}

/** The UCP of `price` (a decimal string) quoted for `spec`, at the representative `rep`. */
export function comparablePrice(price: string, spec: Spec, rep: Spec, rules: Comparison): UcpResult {
  const f = priceFactor(spec, rep, rules);
  if (!f.ok) return { ok: false, why: f.why };
  const v = Number(price) / f.k;
  // 12 significant digits first, so a float's 0.84999999... is the 0.85 it stands for
  const fixed = Number(v.toPrecision(12)).toFixed(12);
  return { ok: true, ucp: roundHalfUp(fixed, 4), k: f.k };
}

/** Exact comparison of two non-negative decimal strings: -1, 0 or 1. */
export function compareDecimal(a: string, b: string): number {
  const scale = (s: string) => {
    const [i, f = ''] = s.trim().split('.');
    return BigInt((i || '0') + (f + '0'.repeat(12)).slice(0, 12));
  };
  const x = scale(a);
  const y = scale(b);
  return x === y ? 0 : x < y ? -1 : 1;
}

/** A price as the API takes it: above 0, at most 8 integer digits and 4 decimals. */
export const PRICE_RE = /^\d{1,8}(\.\d{1,4})?$/;

export interface Ceiling {
  price: string;
  valid_from: string;
  valid_to?: string | null;
  recorded_at: string;
}

/** The ceiling valid on `day` (YYYY-MM-DD); where periods overlap the later-recorded wins. */
export function ceilingOn(history: Ceiling[], day: string): string | null {
  let best: Ceiling | null = null;
  for (const c of history) {
    if (c.valid_from <= day && (!c.valid_to || day < c.valid_to)) {
      if (!best || c.recorded_at >= best.recorded_at) best = c;
    }
  }
  return best?.price ?? null;
}
