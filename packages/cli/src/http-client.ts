/**
 * Talking to a running Bulwark (the server commands: `playbooks run`, `runs …`). Where: `--url`, else BULWARK_URL,
 * else http://127.0.0.1:8080; as whom: `--token`, else BULWARK_TOKEN (required). Global fetch, JSON both ways. An
 * API error is shown as the server wrote it (`<code>: <message>`), a server that cannot be reached says which URL was
 * tried and why; both exit 1. A bad URL or no token is a usage error (2), found before anything is sent.
 */
import { type ParseArgsConfig } from 'node:util';
import { BulwarkError } from '@bulwark/schema';
import { EXIT, line, UsageError, usageFailed, type CliIo } from './io.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
/** Nothing the CLI asks for takes long (a dry run is the slowest); a hung server should not hang a script for ever. */
const REQUEST_TIMEOUT_MS = 60_000;

/**
 * The server answered with an error (`{error:{code,message,details}}` or anything else that is not 2xx). To the CLI
 * the server is an upstream (BWK_UPSTREAM_FAILED); the server's own code, status and details are kept as it sent them
 * (a newer server may send a code this CLI does not know).
 */
export class ApiError extends BulwarkError<'BWK_UPSTREAM_FAILED'> {
  constructor(
    readonly httpStatus: number,
    readonly serverCode: string,
    message: string,
    readonly serverDetails: unknown,
  ) {
    super('BWK_UPSTREAM_FAILED', message, { upstream_status: httpStatus, upstream_code: serverCode });
    this.name = 'ApiError';
  }
}

/** The server could not be reached, or its answer was not readable. */
export class ConnectionError extends BulwarkError<'BWK_UPSTREAM_FAILED'> {
  constructor(message: string) {
    super('BWK_UPSTREAM_FAILED', message);
    this.name = 'ConnectionError';
  }
}

/** The options every server command takes. */
export const SERVER_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies NonNullable<ParseArgsConfig['options']>;

export interface ServerTarget {
  url: string;
  token: string;
}

/** Where to send requests and the token, from the options or the environment. */
export function serverTarget(values: { url?: string | undefined; token?: string | undefined }, env: NodeJS.ProcessEnv): ServerTarget {
  const raw = values.url ?? (env.BULWARK_URL || DEFAULT_URL);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UsageError(`--url '${raw}' is not a URL (e.g. ${DEFAULT_URL})`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--url '${raw}' must be http:// or https://`);
  const token = values.token ?? env.BULWARK_TOKEN;
  if (!token) throw new UsageError('a token is required: --token <token> or BULWARK_TOKEN (scope read to look, respond to act, approve to decide)');
  return { url: url.toString().replace(/\/+$/, ''), token };
}

/** One request; resolves to the parsed JSON body of a 2xx answer. */
export async function request<T = unknown>(target: ServerTarget, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const href = `${target.url}${path}`;
  let res: Response;
  try {
    res = await fetch(href, {
      method,
      headers: {
        authorization: `Bearer ${target.token}`,
        accept: 'application/json',
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (error) {
    throw new ConnectionError(`cannot reach Bulwark at ${target.url} (${reason(error)}); set --url or BULWARK_URL`);
  }
  let text: string;
  try {
    text = await res.text();
  } catch (error) {
    throw new ConnectionError(`the answer from ${target.url} was cut off (${reason(error)})`);
  }
  let parsed: unknown = undefined;
  try {
    parsed = text === '' ? null : JSON.parse(text);
  } catch {
    // not JSON: a proxy's error page, or not Bulwark at all
  }
  if (res.ok) {
    if (parsed === undefined) throw new ConnectionError(`${method} ${path}: the answer from ${target.url} is not JSON (is it Bulwark?)`);
    return parsed as T;
  }
  const error = (parsed as { error?: { code?: unknown; message?: unknown; details?: unknown } } | null | undefined)?.error;
  if (error && typeof error.code === 'string') {
    throw new ApiError(res.status, error.code, typeof error.message === 'string' ? error.message : '', error.details ?? null);
  }
  throw new ApiError(res.status, `HTTP ${res.status}`, text.slice(0, 200).trim() || res.statusText, null);
}

function reason(error: unknown): string {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError') return `no answer within ${REQUEST_TIMEOUT_MS / 1000}s`;
  return err.cause?.code ?? err.cause?.message ?? err.message;
}

/**
 * Runs a command body and turns the errors above into their messages and exit codes; anything else is a bug and is
 * thrown on.
 */
export async function withServerErrors(io: CliIo, body: () => Promise<number>): Promise<number> {
  try {
    return await body();
  } catch (error) {
    if (error instanceof UsageError) return usageFailed(io, error);
    if (error instanceof ApiError) {
      line(io.stderr, `bulwark: ${error.serverCode}: ${error.message} (HTTP ${error.httpStatus})`);
      const field = (error.serverDetails as { field?: unknown } | null)?.field;
      if (typeof field === 'string') line(io.stderr, `  field: ${field}`);
      return EXIT.failed;
    }
    if (error instanceof ConnectionError) {
      line(io.stderr, `bulwark: ${error.message}`);
      return EXIT.failed;
    }
    throw error;
  }
}

