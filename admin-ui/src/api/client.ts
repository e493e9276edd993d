// The typed API client: openapi-fetch over the types openapi-typescript generates from the
// server's own OpenAPI document (`npm run gen`, run by scripts/ui.sh before every build), so a
// changed route or schema breaks the build, not the user.
import createClient, { type Middleware } from 'openapi-fetch';
import type { components, paths } from './schema';

export type Schemas = components['schemas'];

/** An RFC 9457 problem as the server sends it; `code` is stable, `detail` is for people. */
export interface Problem {
  type?: string;
  code: string;
  title?: string;
  status: number;
  detail?: string;
  errors?: { field: string; message: string }[];
}

/** A failed call: the problem the server answered, or a network failure (`code: network`). */
export class ApiError extends Error {
  problem: Problem;
  constructor(problem: Problem) {
    super(problem.detail ?? problem.title ?? problem.code);
    this.problem = problem;
  }
}

const TOKEN_KEY = 'vbp.token';
let token: string | null = sessionStorage.getItem(TOKEN_KEY);
let onUnauthorized: () => void = () => {};

export function setToken(t: string | null) {
  token = t;
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}
export const getToken = () => token;
/** Called when the server says the session is over (401 on anything but the login). */
export function setUnauthorizedHandler(f: () => void) {
  onUnauthorized = f;
}

const auth: Middleware = {
  onRequest({ request }) {
    if (token) request.headers.set('Authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ request, response }) {
    if (response.status === 401 && !request.url.endsWith('/api/v1/auth/login')) onUnauthorized();
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '' });
api.use(auth);

function toProblem(error: unknown, response?: Response): Problem {
  if (error && typeof error === 'object' && 'code' in error) return error as Problem;
  return {
    code: response ? `http_${response.status}` : 'network',
    status: response?.status ?? 0,
    detail: typeof error === 'string' ? error : undefined,
  };
}

/** The data of an openapi-fetch result, or an ApiError with the server's problem. */
export async function must<R extends { data?: unknown; error?: unknown; response: Response }>(
  call: Promise<R>,
): Promise<Exclude<R['data'], undefined>> {
  let result;
  try {
    result = await call;
  } catch (e) {
    throw new ApiError({ code: 'network', status: 0, detail: String(e) });
  }
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiError(toProblem(result.error, result.response));
  }
  return result.data as Exclude<R['data'], undefined>;
}

/** A paged list as every list route answers it. */
export interface Page<T> {
  items: T[];
  page: number;
  per_page: number;
  total: number;
}

type PathsWith<M extends string> = {
  [K in keyof paths]: paths[K] extends Record<M, object> ? K : never;
}[keyof paths];
/** A path of the document that has a GET (checked at build time against the server's document). */
export type GetPath = PathsWith<'get'>;
export type PostPath = PathsWith<'post'>;
export type PutPath = PathsWith<'put'>;
export type PatchPath = PathsWith<'patch'>;
export type DeletePath = PathsWith<'delete'>;

/** `/rounds/{id}/lots` with `{id: ...}` filled in (percent-encoded). */
export function fill(path: string, params?: Record<string, string | number>): string {
  return path.replace(/\{(\w+)\}/g, (_, k: string) => encodeURIComponent(String(params?.[k] ?? '')));
}

/**
 * A GET by path for the generic list and detail screens: the path is one of the document's
 * (a typo or a removed route fails the build), its `{params}` filled from `params`.
 */
export async function getJson<T>(
  template: GetPath,
  query?: Record<string, unknown>,
  params?: Record<string, string | number>,
): Promise<T> {
  const path = fill(template, params);
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(query ?? {})) {
    if (v !== undefined && v !== null && v !== '') clean[k] = String(v);
  }
  const qs = new URLSearchParams(clean).toString();
  let response: Response;
  try {
    response = await fetch(qs ? `${path}?${qs}` : path, {
      headers: token ? { Authorization: `Bearer ${token}` } : {},
    });
  } catch (e) {
    throw new ApiError({ code: 'network', status: 0, detail: String(e) });
  }
  if (response.status === 401) onUnauthorized();
  const body = response.headers.get('content-type')?.includes('json') ? await response.json() : await response.text();
  if (!response.ok) throw new ApiError(toProblem(body, response));
  return body as T;
}

/** A JSON request by path and method, for screens that post to a path built at run time. */
export async function sendJson<T>(
  method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
  template: PostPath | PutPath | PatchPath | DeletePath,
  params: Record<string, string | number> | undefined,
  body?: unknown,
  headers?: Record<string, string>,
): Promise<T> {
  const path = fill(template, params);
  let response: Response;
  try {
    response = await fetch(path, {
      method,
      headers: {
        ...(token ? { Authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}),
        ...headers,
      },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch (e) {
    throw new ApiError({ code: 'network', status: 0, detail: String(e) });
  }
  if (response.status === 401 && !path.endsWith('/auth/login')) onUnauthorized();
  const text = await response.text();
  const parsed = text ? JSON.parse(text) : undefined;
  if (!response.ok) throw new ApiError(toProblem(parsed, response));
  return parsed as T;
}

/** Downloads a file the API streams (CSV statements, the catalog) with the session's token; answers the file. */
export async function download(
  template: GetPath,
  params: Record<string, string | number> | undefined,
  query: Record<string, string> | undefined,
  filename: string,
): Promise<Blob> {
  const qs = new URLSearchParams(query ?? {}).toString();
  const path = fill(template, params) + (qs ? `?${qs}` : '');
  let response: Response;
  try {
    response = await fetch(path, { headers: token ? { Authorization: `Bearer ${token}` } : {} });
  } catch (e) {
    throw new ApiError({ code: 'network', status: 0, detail: String(e) });
  }
  if (response.status === 401) onUnauthorized();
  if (!response.ok) throw new ApiError(toProblem(await response.json().catch(() => undefined), response));
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  a.click();
  URL.revokeObjectURL(url);
  return blob;
}

/**
 * Posts a file as the raw request body, with its media type (a complaint's attachments):
 * openapi-fetch would serialise it; answers the JSON the route returns.
 */
export async function uploadRaw<T>(
  template: PostPath,
  params: Record<string, string | number> | undefined,
  query: Record<string, string> | undefined,
  file: Blob,
  contentType: string,
): Promise<T> {
  const qs = new URLSearchParams(query ?? {}).toString();
  const path = fill(template, params) + (qs ? `?${qs}` : '');
  let response: Response;
  try {
    response = await fetch(path, {
      method: 'POST',
      headers: { ...(token ? { Authorization: `Bearer ${token}` } : {}), 'Content-Type': contentType },
      body: file,
    });
  } catch (e) {
    throw new ApiError({ code: 'network', status: 0, detail: String(e) });
  }
  if (response.status === 401) onUnauthorized();
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined; // a proxy's HTML page (413 from the balancer): the status says enough
  }
  if (!response.ok) throw new ApiError(toProblem(parsed, response));
  return parsed as T;
}
