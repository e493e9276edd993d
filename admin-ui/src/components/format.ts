// Shared formatting: money and prices (exact decimal strings from the server, shown as they
// are, grouped), dates in China Standard Time, provinces by name.
import dayjs from 'dayjs';
import utc from 'dayjs/plugin/utc';
import { useEffect, useState } from 'react';
import { api, must, type Schemas } from '../api/client';
import type { Lang } from '../i18n';

dayjs.extend(utc);

/** `"12345.6700"` → `"12,345.67"` (at least two decimals, never rounded). */
export function money(v: string | null | undefined): string {
  if (v == null || v === '') return '—';
  const [int, frac = ''] = v.split('.');
  const neg = int.startsWith('-');
  const digits = neg ? int.slice(1) : int;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  let f = frac.replace(/0+$/, '');
  if (f.length < 2) f = f.padEnd(2, '0');
  return `${neg ? '-' : ''}${grouped}.${f}`;
}

/** A time in China Standard Time (UTC+8), as the platform's business dates are. */
export function cst(iso: string | null | undefined, withTime = true): string {
  if (!iso) return '—';
  return dayjs.utc(iso).add(8, 'hour').format(withTime ? 'YYYY-MM-DD HH:mm:ss' : 'YYYY-MM-DD');
}

export type Province = Schemas['ProvinceDto'];
let provinces: Promise<Province[]> | null = null;

/** The 31 provinces, fetched once. */
export function useProvinces(): Province[] {
  const [list, setList] = useState<Province[]>([]);
  useEffect(() => {
    const p = (provinces ??= must(api.GET('/api/v1/provinces')).catch(() => {
      provinces = null;
      return [] as Province[];
    }));
    p.then(setList);
  }, []);
  return list;
}

export function provinceName(list: Province[], code: string | null | undefined, lang: Lang): string {
  if (!code) return '—';
  const p = list.find((x) => x.code === code);
  return p ? (lang === 'zh' ? p.name_zh : p.name_en) : code;
}
