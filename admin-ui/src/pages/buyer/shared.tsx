// What the screens after the award share: status tags (text and colour), problems said in
// the user's language, field errors placed on the fields they name, and look-ups of names
// the lists only give by id (contracts, hospitals, lots, orders), fetched once per session.
import { useEffect, useReducer, useState, type ReactNode } from 'react';
import { Tag, Typography, type FormInstance } from 'antd';
import { api, getJson, getToken, must, type Page, type Schemas } from '../../api/client';
import { describe, problemOf } from '../../api/problem';
import { useAuth } from '../../auth';
import { useI18n, type T } from '../../i18n';

export type Contract = Schemas['ContractDto'];
export type Order = Schemas['OrderDto'];
export type OrderLine = Schemas['OrderLineDto'];
export type Delivery = Schemas['DeliveryDto'];
export type Round = Schemas['RoundDto'];

// ---------------------------------------------------------------------------------------
// statuses

export const CONTRACT_STATUSES = ['active', 'suspended', 'failed', 'completed'] as const;
export const ORDER_STATUSES = ['submitted', 'confirmed', 'refused', 'withdrawn'] as const;
export const DELIVERY_STATUSES = ['shipped', 'accepted'] as const;

/** Solid tag colours dark enough for white text (WCAG AA); antd's light presets are not. */
export const TONE = {
  green: '#237804',
  red: '#a8071a',
  orange: '#ad4e00',
  blue: '#0958d9',
  purple: '#531dab',
  gold: '#874d00',
} as const;

const COLORS: Record<string, string | undefined> = {
  'contract.active': TONE.green,
  'contract.failed': TONE.red,
  'contract.completed': undefined,
  'contract.suspended': TONE.gold,
  'order.submitted': TONE.blue,
  'order.confirmed': TONE.green,
  'order.refused': TONE.red,
  'order.withdrawn': undefined,
  'delivery.shipped': TONE.orange,
  'delivery.accepted': TONE.green,
};

/** A status as a tag with its text (the colour is never the only signal). */
export function StatusTag({ kind, status }: { kind: 'contract' | 'order' | 'delivery'; status: string }) {
  const { t, has } = useI18n();
  const key = `buyer.${kind}.status.${status}`;
  return (
    <Tag color={COLORS[`${kind}.${status}`]} data-status={status}>
      {has(key) ? t(key) : status}
    </Tag>
  );
}

export function statusEnum(t: T, kind: 'contract' | 'order' | 'delivery', list: readonly string[]) {
  return Object.fromEntries(list.map((s) => [s, { text: t(`buyer.${kind}.status.${s}`) }]));
}

// ---------------------------------------------------------------------------------------
// problems

/** One line for a message: this area's text for the problem's code if it has one, else the shared one. */
export function explain(t: T, has: (k: string) => boolean, e: unknown): string {
  const p = problemOf(e);
  const key = `buyer.err.${p.code}`;
  if (!has(`err.${p.code}`) && has(key)) {
    return p.detail && p.detail !== t(key) ? `${t(key)}: ${p.detail}` : t(key);
  }
  return describe(t, has, e);
}

/** `lines[1].trace_codes[3]` → `['lines', 1, 'trace_codes', 3]` */
export function pathOf(field: string): (string | number)[] {
  return field
    .split(/[.[\]]/)
    .filter((s) => s !== '')
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

/**
 * Puts the problem's field errors on the form's fields, after `remap` (a request path to the
 * form's, or null when the form has no such field); returns the errors no field took.
 */
export function placeFieldErrors(
  form: FormInstance,
  e: unknown,
  remap?: (path: (string | number)[]) => (string | number)[] | null,
): { field: string; message: string }[] {
  const p = problemOf(e);
  const known = new Set([...Object.keys(form.getFieldsValue(true) ?? {}), ...Object.keys(form.getFieldsValue() ?? {})]);
  remap ??= (path) => (known.has(String(path[0])) ? path : null);
  const left: { field: string; message: string }[] = [];
  const fields: { name: (string | number)[]; errors: string[] }[] = [];
  for (const fe of p.errors ?? []) {
    const name = remap(pathOf(fe.field));
    if (name && name.length > 0) {
      const prev = fields.find((f) => f.name.join('.') === name.join('.'));
      if (prev) prev.errors.push(fe.message);
      else fields.push({ name, errors: [fe.message] });
    } else left.push(fe);
  }
  if (fields.length) form.setFields(fields);
  return left;
}

/**
 * A failed form submission: field errors onto their fields; the message to show above the
 * buttons for the rest (null when every error found its field).
 */
export function formProblem(
  t: T,
  has: (k: string) => boolean,
  form: FormInstance,
  e: unknown,
  remap?: (path: (string | number)[]) => (string | number)[] | null,
): string | null {
  const p = problemOf(e);
  const left = placeFieldErrors(form, e, remap);
  if (p.errors?.length && !left.length) return null;
  const rest = left.map((l) => `${l.field}: ${l.message}`).join('; ');
  return rest ? `${explain(t, has, e)} (${rest})` : explain(t, has, e);
}

/** The line index a rule's detail starts with (`lines[2]: ...`), if any. */
export function lineOfDetail(e: unknown): number | null {
  const m = /^lines\[(\d+)\]/.exec(problemOf(e).detail ?? '');
  return m ? Number(m[1]) : null;
}

// ---------------------------------------------------------------------------------------
// look-ups by id, once per session (a new token starts afresh)

export class Lookup<V> {
  private values = new Map<string, V | null>();
  private pending = new Map<string, Promise<void>>();
  private token: string | null = null;
  constructor(private fetcher: (id: string) => Promise<V | null>) {}
  private fresh() {
    if (this.token !== getToken()) {
      this.token = getToken();
      this.values.clear();
      this.pending.clear();
    }
  }
  has(id: string) {
    this.fresh();
    return this.values.has(id);
  }
  get(id: string): V | null | undefined {
    this.fresh();
    return this.values.get(id);
  }
  prime(id: string, v: V) {
    this.fresh();
    this.values.set(id, v);
  }
  load(id: string): Promise<void> {
    this.fresh();
    if (this.values.has(id)) return Promise.resolve();
    let p = this.pending.get(id);
    if (!p) {
      p = this.fetcher(id)
        .catch(() => null)
        .then((v) => {
          if (!this.values.has(id)) this.values.set(id, v);
          this.pending.delete(id);
        });
      this.pending.set(id, p);
    }
    return p;
  }
}

/** Values of a look-up for these ids; the component renders again as they arrive. */
export function useLookup<V>(lookup: Lookup<V>, ids: (string | null | undefined)[]): (id: string) => V | null | undefined {
  const [, bump] = useReducer((x: number) => x + 1, 0);
  const key = [...new Set(ids.filter((x): x is string => !!x))].sort().join(',');
  useEffect(() => {
    let alive = true;
    const missing = key ? key.split(',').filter((id) => !lookup.has(id)) : [];
    if (missing.length) Promise.all(missing.map((id) => lookup.load(id))).then(() => alive && bump());
    return () => {
      alive = false;
    };
  }, [key, lookup]);
  return (id) => lookup.get(id);
}

export const contractLookup = new Lookup<Contract>((id) => must(api.GET('/api/v1/contracts/{id}', { params: { path: { id } } })));
export const orderLookup = new Lookup<Order>((id) => must(api.GET('/api/v1/orders/{id}', { params: { path: { id } } })));

let hospitalOrgs: { token: string | null; list: Promise<Schemas['OrgDto'][] | null> } | null = null;
/** Hospital names: the organisations list where the caller may read it (admins, auditors), else an order of the hospital. */
export const hospitalLookup = new Lookup<string>(async (id) => {
  if (!hospitalOrgs || hospitalOrgs.token !== getToken()) {
    hospitalOrgs = {
      token: getToken(),
      list: getJson<Page<Schemas['OrgDto']>>('/api/v1/orgs', { kind: 'hospital', per_page: 200 })
        .then((p) => p.items)
        .catch(() => null),
    };
  }
  const orgs = await hospitalOrgs.list;
  const known = orgs?.find((o) => o.id === id);
  if (known) return known.name;
  const orders = await getJson<Page<Order>>('/api/v1/orders', { hospital_org_id: id, per_page: 1 });
  return orders.items[0]?.hospital_name ?? null;
});

/** A lot's label from a contract on it. */
export const lotLookup = new Lookup<Contract>(async (id) => {
  const page = await getJson<Page<Contract>>('/api/v1/contracts', { lot_id: id, per_page: 1 });
  return page.items[0] ?? null;
});

export function primeContracts(list: Contract[]) {
  for (const c of list) {
    contractLookup.prime(c.id, c);
    if (!lotLookup.has(c.lot_id)) lotLookup.prime(c.lot_id, c);
  }
}
export function primeOrders(list: Order[]) {
  for (const o of list) hospitalLookup.prime(o.hospital_org_id, o.hospital_name);
}

let preload: { token: string | null; done: Promise<void> } | null = null;
/** The caller's first 200 contracts, once per session, so most names need no call of their own. */
export function usePreloadedContracts(): boolean {
  const [ready, setReady] = useState(false);
  useEffect(() => {
    let alive = true;
    if (!preload || preload.token !== getToken()) {
      preload = {
        token: getToken(),
        done: getJson<Page<Contract>>('/api/v1/contracts', { per_page: 200 })
          .then((p) => primeContracts(p.items))
          .catch(() => undefined),
      };
    }
    preload.done.then(() => alive && setReady(true));
    return () => {
      alive = false;
    };
  }, []);
  return ready;
}

export function shortId(id: string | null | undefined): string {
  return id ? id.slice(-8) : '—';
}

/** A contract as people name it: the generic (lot) and the supplier. */
export function ContractName({ id, withSupplier = true }: { id: string; withSupplier?: boolean }) {
  const get = useLookup(contractLookup, [id]);
  const c = get(id);
  if (c === undefined) return <Typography.Text type="secondary">…</Typography.Text>;
  if (c === null) return <Typography.Text code>{shortId(id)}</Typography.Text>;
  return (
    <span>
      {c.generic_name}
      {withSupplier && <Typography.Text type="secondary"> · {c.supplier_name}</Typography.Text>}
    </span>
  );
}

export function HospitalName({ id }: { id: string }) {
  const { me } = useAuth();
  const get = useLookup(hospitalLookup, me?.org_id === id ? [] : [id]);
  if (me?.org_id === id) return <>{me.org_name}</>;
  const n = get(id);
  if (n === undefined) return <Typography.Text type="secondary">…</Typography.Text>;
  return n ? <>{n}</> : <Typography.Text code>{shortId(id)}</Typography.Text>;
}

/** Text for screen readers only (a column header that shows nothing). */
export function VisuallyHidden({ children }: { children: ReactNode }) {
  return (
    <span style={{ position: 'absolute', width: 1, height: 1, padding: 0, margin: -1, overflow: 'hidden', clip: 'rect(0 0 0 0)', whiteSpace: 'nowrap', border: 0 }}>
      {children}
    </span>
  );
}

/** Whole units, grouped. */
export function units(n: number | null | undefined): string {
  return n == null ? '—' : n.toLocaleString('en-US');
}

/** Awarded and completed rounds: the ones with contracts. */
export function useAwardedRounds(): Round[] {
  const [rounds, setRounds] = useState<Round[]>([]);
  useEffect(() => {
    let alive = true;
    Promise.all(
      ['awarded', 'completed'].map((status) =>
        getJson<Page<Round>>('/api/v1/rounds', { status, per_page: 200 }).then((p) => p.items).catch(() => [] as Round[]),
      ),
    ).then((lists) => alive && setRounds(lists.flat()));
    return () => {
      alive = false;
    };
  }, []);
  return rounds;
}
