/**
 * The console's one way to the API: same-origin fetch with the session cookie, the CSRF token on every state change
 * (the session's, kept in memory only: a reload reads it again from GET /v1/session), JSON in and out, and the
 * catalogue's errors (`{ error: { code, message, details } }`) raised as ApiError. A 401 means the session is gone:
 * the app goes back to sign-in. Failures are shown as toasts unless the caller handles them (`quiet`).
 */
import { showToast } from './toasts.js';

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

export interface RequestOptions {
  query?: URLSearchParams | Record<string, string | number | undefined>;
  body?: unknown;
  /** The version the change is made against (the incident routes' optimistic locking). */
  ifMatch?: string;
  /** The caller shows the error itself (e.g. a query syntax error under the query bar): no toast. */
  quiet?: boolean;
  signal?: AbortSignal;
}

let csrfToken: string | null = null;
let onUnauthorized: () => void = () => {};

export function setCsrfToken(token: string | null): void {
  csrfToken = token;
}

/** What happens on a 401 (the app: forget the session, show sign-in). */
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

function urlOf(path: string, query: RequestOptions['query']): string {
  if (!query) return path;
  const params =
    query instanceof URLSearchParams
      ? query
      : new URLSearchParams(Object.entries(query).filter((e): e is [string, string | number] => e[1] !== undefined && e[1] !== '').map(([k, v]) => [k, String(v)]));
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (options.ifMatch) headers['If-Match'] = `"${options.ifMatch}"`;
  let res: Response;
  try {
    res = await fetch(urlOf(path, options.query), {
      method,
      headers,
      credentials: 'same-origin',
      ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    const error = new ApiError(0, 'NETWORK', `Bulwark did not answer: ${(err as Error).message}`);
    if (!options.quiet) showToast(error.message, 'error');
    throw error;
  }
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!res.ok) {
    const e = (body as { error?: { code?: string; message?: string; details?: Record<string, unknown> } } | undefined)?.error;
    const error = new ApiError(res.status, e?.code ?? `HTTP_${res.status}`, e?.message ?? `${method} ${path}: HTTP ${res.status}`, e?.details ?? {});
    // The session ended (expired, revoked, signed out elsewhere); signing in itself reports its own 401.
    if (res.status === 401 && path !== '/v1/session') onUnauthorized();
    else if (!options.quiet) showToast(`${error.message} (${error.code})`, 'error');
    throw error;
  }
  return body as T;
}

export const api = {
  get: <T>(path: string, options?: RequestOptions) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('POST', path, { ...options, body: body ?? {} }),
  put: <T>(path: string, body?: unknown, options?: RequestOptions) => request<T>('PUT', path, { ...options, body: body ?? {} }),
  delete: <T>(path: string, options?: RequestOptions) => request<T>('DELETE', path, options),
};

/** `/v1/incidents/${id}`: ids are encoded once, here and in callers, never concatenated raw. */
export const enc = encodeURIComponent;
