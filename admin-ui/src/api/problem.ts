// Problems shown in the user's language: the text of the problem's `code` (errors.ts), then
// the server's detail; field errors go next to their fields (see `applyFieldErrors`).
import type { FormInstance } from 'antd';
import { ApiError, type Problem } from './client';
import type { T } from '../i18n';

export function problemOf(e: unknown): Problem {
  if (e instanceof ApiError) return e.problem;
  return { code: 'unknown', status: 0, detail: e instanceof Error ? e.message : String(e) };
}

/** One line for a message or an alert: the translated code, then the server's detail. */
export function describe(t: T, has: (k: string) => boolean, e: unknown): string {
  const p = problemOf(e);
  const key = `err.${p.code}`;
  const head = has(key) ? t(key) : p.title ?? t('err.unknown');
  return p.detail && p.detail !== head ? `${head}: ${p.detail}` : head;
}

/**
 * Puts the problem's `errors[]` on the form's fields (the server's field is a JSON path such
 * as `lines[1].quantity`); returns the errors no field of the form took.
 */
export function applyFieldErrors(form: FormInstance, e: unknown): { field: string; message: string }[] {
  const p = problemOf(e);
  const left: { field: string; message: string }[] = [];
  const known = new Set(
    Object.keys(form.getFieldsValue(true) ?? {}),
  );
  const fields: { name: (string | number)[]; errors: string[] }[] = [];
  for (const fe of p.errors ?? []) {
    const name = fe.field
      .split(/[.[\]]/)
      .filter((s) => s !== '')
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
    if (name.length > 0 && known.has(String(name[0]))) fields.push({ name, errors: [fe.message] });
    else left.push(fe);
  }
  if (fields.length) form.setFields(fields);
  return left;
}
