// Catalog words said to people: dosage forms, minimum units and a specification in one line.
import type { T } from '../../i18n';

type Has = (key: string) => boolean;

export function formName(t: T, has: Has, form: string | null | undefined): string {
  if (!form) return '—';
  return has(`supplier.form.${form}`) ? t(`supplier.form.${form}`) : form;
}

export function unitName(t: T, has: Has, unit: string | null | undefined): string {
  if (!unit) return '';
  return has(`supplier.unit.${unit}`) ? t(`supplier.unit.${unit}`) : unit;
}

/** `20 mg · 薄膜衣片 · 7 片/盒` */
export function specText(
  t: T,
  has: Has,
  i: {
    dosage_form?: string | null;
    strength?: string | null;
    strength_unit?: string | null;
    fill_volume?: string | null;
    fill_volume_unit?: string | null;
    pack_count: number;
    min_unit: string;
  },
): string {
  const parts: string[] = [];
  const amount = [i.strength ? `${i.strength} ${i.strength_unit ?? ''}`.trim() : '', i.fill_volume ? `${i.fill_volume} ${i.fill_volume_unit ?? ''}`.trim() : '']
    .filter(Boolean)
    .join(' / ');
  if (amount) parts.push(amount);
  if (i.dosage_form) parts.push(formName(t, has, i.dosage_form));
  parts.push(t('supplier.pack', { n: i.pack_count, unit: unitName(t, has, i.min_unit) }));
  return parts.join(' · ');
}
