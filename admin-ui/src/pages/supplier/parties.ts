// The suppliers and hospitals a settlement screen may name, by what the caller may read:
// auditors and admins the organisation list; an insurer the contracts and orders of its
// province (the organisation list is not theirs); a supplier or a hospital only itself.
import { useEffect, useState } from 'react';
import { getJson, type Page, type Schemas } from '../../api/client';
import type { Me } from '../../auth';

export interface Party {
  id: string;
  name: string;
}

export interface Parties {
  suppliers: Party[];
  hospitals: Party[];
  loading: boolean;
}

function distinct(list: Party[]): Party[] {
  const m = new Map<string, Party>();
  for (const p of list) if (!m.has(p.id)) m.set(p.id, p);
  return [...m.values()].sort((a, b) => a.name.localeCompare(b.name));
}

export function useParties(me: Me | null): Parties {
  const [state, setState] = useState<Parties>({ suppliers: [], hospitals: [], loading: true });
  useEffect(() => {
    if (!me) return;
    let alive = true;
    (async () => {
      let suppliers: Party[] = [];
      let hospitals: Party[] = [];
      try {
        if (me.role === 'admin' || me.role === 'auditor') {
          const [s, h] = await Promise.all([
            getJson<Page<Schemas['OrgDto']>>('/api/v1/orgs', { kind: 'supplier', per_page: 200 }),
            getJson<Page<Schemas['OrgDto']>>('/api/v1/orgs', { kind: 'hospital', per_page: 200 }),
          ]);
          suppliers = s.items.map((o) => ({ id: o.id, name: o.name }));
          hospitals = h.items.map((o) => ({ id: o.id, name: o.name }));
        } else if (me.role === 'insurer') {
          const [c, o] = await Promise.all([
            getJson<Page<Schemas['ContractDto']>>('/api/v1/contracts', { per_page: 200 }).catch(() => null),
            getJson<Page<Schemas['OrderDto']>>('/api/v1/orders', { per_page: 200 }).catch(() => null),
          ]);
          suppliers = [
            ...(c?.items ?? []).map((x) => ({ id: x.supplier_org_id, name: x.supplier_name })),
            ...(o?.items ?? []).map((x) => ({ id: x.supplier_org_id, name: x.supplier_name })),
          ];
          hospitals = (o?.items ?? []).map((x) => ({ id: x.hospital_org_id, name: x.hospital_name }));
        } else if (me.role === 'supplier') {
          suppliers = [{ id: me.org_id, name: me.org_name }];
        } else if (me.role === 'hospital') {
          hospitals = [{ id: me.org_id, name: me.org_name }];
        }
      } catch {
        // the pickers fall back to a typed organisation id
      }
      if (alive) setState({ suppliers: distinct(suppliers), hospitals: distinct(hospitals), loading: false });
    })();
    return () => {
      alive = false;
    };
  }, [me]);
  return state;
}

/** `name` of an organisation id, or the id shortened. */
export function partyName(p: Parties, id: string): string {
  return p.suppliers.find((x) => x.id === id)?.name ?? p.hospitals.find((x) => x.id === id)?.name ?? `${id.slice(0, 8)}…`;
}
