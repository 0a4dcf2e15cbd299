/**
 * Outgoing HTTP for actions (`http.request`, `notify.webhook`, `credentials.revokeExternal`), with one set of guards:
 *
 * - only `http:`/`https:` URLs without user info, to hosts in `ctx.http.allowHosts` (exact, or `*.example.com` for any
 *   name below example.com);
 * - SSRF: the host is resolved once and EVERY address is checked; loopback, private (RFC 1918, CGNAT, ULA), link-local,
 *   unspecified, multicast and reserved addresses — also inside IPv4-mapped, IPv4-compatible, NAT64 and 6to4 IPv6
 *   forms — are refused unless `ctx.http.allowCidrs` lists them. Cloud metadata endpoints (169.254.169.254,
 *   fd00:ec2::254, 169.254.170.2, 100.100.100.200) are refused even then. The connection then goes to the checked
 *   address (a `lookup` that returns it, so there is no second resolution and no DNS-rebinding window; Host and TLS
 *   SNI still name the host);
 * - redirects are never followed; one deadline (`ctx.http.timeoutMs`, 10 s) covers connect, send and response;
 * - secret values (bearer tokens, passwords, routing keys) are redacted from plans, outputs and errors.
 */
import { lookup as dnsLookup } from 'node:dns/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { BulwarkError, withTimeout } from '@bulwark/schema';
import type { ActionContext, HttpSettings, PlannedChange } from '../action.js';
import { allowList, checkAddress } from './address-policy.js';

export const DEFAULT_HTTP_TIMEOUT_MS = 10_000;
/** Response bodies kept in outputs and errors. */
export const MAX_RESPONSE_BYTES = 64 * 1024;
export const REDACTED = '[redacted]';

// ---- URLs and hosts ------------------------------------------------------------------------------------------------

export function httpSettings(ctx: ActionContext): HttpSettings {
  if (!ctx.http) {
    throw new BulwarkError('BWK_CONFIG_INVALID', 'outgoing HTTP is not configured: set http.allowHosts for the responder', { field: 'http' });
  }
  return ctx.http;
}

function hostAllowed(settings: HttpSettings, host: string): boolean {
  return settings.allowHosts.some((pattern) => {
    const p = pattern.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
    if (p.startsWith('*.')) return host.endsWith(p.slice(1)) && host.length > p.length - 1;
    return p === host;
  });
}

/** The bare host of a URL: lower case, IPv6 without brackets. */
const hostOf = (url: URL): string => url.hostname.toLowerCase().replace(/^\[(.*)\]$/, '$1');

/**
 * Parses and checks a URL without touching the network: scheme, no user info, host on the allowlist, and a literal IP
 * checked like a resolved one. `shown` is how the URL is named in errors (a URL from a secret is not shown).
 * @throws BulwarkError BWK_BAD_REQUEST naming `field`.
 */
export function checkUrl(ctx: ActionContext, raw: string, field = 'url', shown = raw): URL {
  const settings = httpSettings(ctx);
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new BulwarkError('BWK_BAD_REQUEST', `${field}: ${shown} is not a URL`, { field });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BulwarkError('BWK_BAD_REQUEST', `${field}: only http and https URLs are allowed, not ${url.protocol}`, { field });
  }
  if (url.username || url.password) {
    throw new BulwarkError('BWK_BAD_REQUEST', `${field}: credentials in the URL are not allowed; use auth with a secret reference`, { field });
  }
  const host = hostOf(url);
  if (!hostAllowed(settings, host)) {
    throw new BulwarkError(
      'BWK_BAD_REQUEST',
      `refused: host ${host} is not in http.allowHosts (${settings.allowHosts.join(', ') || 'empty'})`,
      { field, host },
    );
  }
  if (isIP(host)) checkAddress(settings, allowList(settings), host, host);
  return url;
}

/** Resolves the URL's host and checks every address; returns them all (the connection may use any of them). */
async function resolveChecked(settings: HttpSettings, url: URL, deadline: number): Promise<{ address: string; family: number }[]> {
  const host = hostOf(url);
  const allowed = allowList(settings);
  if (isIP(host)) {
    checkAddress(settings, allowed, host, host);
    return [{ address: host, family: isIP(host) }];
  }
  let addresses: { address: string; family: number }[];
  try {
    addresses = await withTimeout(dnsLookup(host, { all: true, verbatim: true }), Math.max(deadline - Date.now(), 1), () => new OutboundError(`resolving ${host} timed out`));
  } catch (err) {
    throw new OutboundError(`could not resolve ${host}: ${(err as Error).message}`);
  }
  if (addresses.length === 0) throw new OutboundError(`could not resolve ${host}: no addresses`);
  for (const a of addresses) checkAddress(settings, allowed, host, a.address);
  return addresses;
}

// ---- secrets -------------------------------------------------------------------------------------------------------

/** Resolves a secret reference; the value must fit in a header (no CR/LF). Errors name the reference, never the value. */
export function readSecret(ctx: ActionContext, ref: string, field: string): string {
  if (!ctx.secret) throw new BulwarkError('BWK_CONFIG_INVALID', `${field}: no secret resolver is configured for ${ref}`, { field });
  let value: string;
  try {
    value = ctx.secret(ref);
  } catch (err) {
    throw new BulwarkError('BWK_BAD_REQUEST', `${field}: secret ${ref} could not be read (${(err as Error).message})`, { field });
  }
  value = value.replace(/\r?\n$/, '');
  if (value === '' || /[\r\n\0]/.test(value)) {
    throw new BulwarkError('BWK_BAD_REQUEST', `${field}: secret ${ref} is empty or holds a line break`, { field });
  }
  return value;
}

/** Replaces every secret value with `[redacted]`, deeply (strings, array items, object keys and values). */
export function redact<T>(value: T, secrets: readonly string[]): T {
  const needles = secrets.filter((s) => s.length >= 4);
  if (needles.length === 0) return value;
  const scrub = (s: string) => needles.reduce((acc, n) => acc.split(n).join(REDACTED), s);
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return scrub(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [scrub(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}

// ---- the request ---------------------------------------------------------------------------------------------------

export interface OutboundRequest {
  method: string;
  url: URL;
  /** How the URL appears in plans, summaries and errors (a URL from a secret: its origin only). */
  shownUrl: string;
  headers: Record<string, string>;
  /** Header values as they appear in the plan (secrets replaced). */
  shownHeaders: Record<string, string>;
  body?: string;
  /** The body as it appears in the plan. */
  shownBody?: unknown;
  /** Statuses that count as success (default: any 2xx). */
  expectStatus?: readonly number[];
  /** Values never to show. */
  secrets: string[];
}

export interface OutboundResponse {
  status: number;
  /** Parsed JSON when the response is JSON, otherwise text; at most 64 KiB (then `truncated`). */
  body: unknown;
  truncated: boolean;
}

const PLAN_KIND: Record<string, PlannedChange['kind']> = { DELETE: 'delete', PUT: 'patch', PATCH: 'patch' };

export function planOf(req: OutboundRequest): PlannedChange {
  return redact(
    {
      kind: PLAN_KIND[req.method] ?? 'create',
      target: `${req.method} ${req.shownUrl}`,
      detail: { method: req.method, url: req.shownUrl, headers: req.shownHeaders, ...(req.shownBody !== undefined ? { body: req.shownBody } : {}) },
    },
    req.secrets,
  );
}

/** Headers a step may not set: they would change where or how the request goes, not what it says. */
const FORBIDDEN_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'upgrade', 'te', 'trailer', 'keep-alive', 'proxy-authorization', 'idempotency-key']);

export function checkHeaders(headers: Record<string, string>, field = 'headers'): void {
  for (const [name, value] of Object.entries(headers)) {
    if (!/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new BulwarkError('BWK_BAD_REQUEST', `${field}: "${name}" is not a valid header name`, { field });
    }
    if (FORBIDDEN_HEADERS.has(name.toLowerCase())) {
      throw new BulwarkError('BWK_BAD_REQUEST', `${field}: ${name} is set by Bulwark, not by a step`, { field });
    }
    if (/[\r\n\0]/.test(value)) throw new BulwarkError('BWK_BAD_REQUEST', `${field}: ${name} holds a line break`, { field });
  }
}

/** An HTTP call that failed (no answer, timeout, or an unexpected status); the message carries no secret. */
export class OutboundError extends BulwarkError<'BWK_UPSTREAM_FAILED'> {
  constructor(
    message: string,
    /** The HTTP status the other system answered, if it answered. */
    readonly upstreamStatus?: number,
  ) {
    super('BWK_UPSTREAM_FAILED', message, upstreamStatus === undefined ? undefined : { upstream_status: upstreamStatus });
    this.name = 'OutboundError';
  }
}

async function readBody(res: IncomingMessage): Promise<{ text: string; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    const room = MAX_RESPONSE_BYTES - size;
    if (chunk.length > room) {
      chunks.push(chunk.subarray(0, room));
      truncated = true;
      res.destroy();
      break;
    }
    chunks.push(chunk);
    size += chunk.length;
  }
  // A multi-byte character cut at the limit decodes to U+FFFD; drop it.
  const text = Buffer.concat(chunks).toString('utf8');
  return { text: truncated ? text.replace(/\uFFFD$/, '') : text, truncated };
}

function parseResponse(text: string, contentType: string | undefined, truncated: boolean): unknown {
  if (!truncated && /\bjson\b/i.test(contentType ?? '') && text.trim() !== '') {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

/**
 * Sends the request to the checked address of an allowed host; no redirects, one deadline. Adds
 * `Idempotency-Key: ctx.idempotencyKey` when the context has one.
 * @throws BulwarkError BWK_BAD_REQUEST when the host or an address is refused (nothing is sent);
 * OutboundError on a network failure, a timeout or a status outside `expectStatus` (default 2xx).
 */
export async function send(ctx: ActionContext, req: OutboundRequest): Promise<OutboundResponse> {
  const settings = httpSettings(ctx);
  const timeoutMs = settings.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS;
  const deadline = Date.now() + timeoutMs;
  const name = `${req.method} ${req.shownUrl}`;
  try {
    checkUrl(ctx, req.url.href, 'url', req.shownUrl);
    const checked = await resolveChecked(settings, req.url, deadline);
    // The connection goes to the addresses just checked (node tries them in turn when it asks for all): no second lookup.
    const pinned: LookupFunction = (_host, options, callback) => {
      const wanted = options.family === 4 || options.family === 6 ? checked.filter((a) => a.family === options.family) : checked;
      const list = wanted.length ? wanted : checked;
      if (options.all) callback(null, list);
      else callback(null, list[0]!.address, list[0]!.family);
    };
    const headers: Record<string, string> = { 'user-agent': 'bulwark-actions', ...req.headers };
    if (ctx.idempotencyKey) headers['Idempotency-Key'] = ctx.idempotencyKey;
    if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
    const requestFn = req.url.protocol === 'https:' ? httpsRequest : httpRequest;

    let location: string | undefined;
    const response = await new Promise<OutboundResponse>((resolve, reject) => {
      const r = requestFn(req.url, { method: req.method, headers, lookup: pinned, agent: false }, (res) => {
        location = res.headers.location;
        readBody(res).then(({ text, truncated }) => {
          clearTimeout(timer);
          resolve({ status: res.statusCode ?? 0, body: parseResponse(text, res.headers['content-type'], truncated), truncated });
        }, reject);
      });
      const timer = setTimeout(() => r.destroy(new OutboundError(`${name} timed out after ${timeoutMs} ms`)), Math.max(deadline - Date.now(), 1));
      r.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      r.end(req.body);
    });

    const ok = req.expectStatus?.length ? req.expectStatus.includes(response.status) : response.status >= 200 && response.status < 300;
    if (!ok) {
      const snippet = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
      const expected = req.expectStatus?.length ? req.expectStatus.join(', ') : '2xx';
      const redirect = response.status >= 300 && response.status < 400 ? ` (a redirect${location ? ` to ${location}` : ''}: not followed)` : '';
      throw new OutboundError(`${name} answered ${response.status}, expected ${expected}${redirect}: ${snippet.slice(0, 500)}`, response.status);
    }
    return response;
  } catch (err) {
    if (err instanceof OutboundError) throw new OutboundError(redact(err.message, req.secrets), err.upstreamStatus);
    if (err instanceof BulwarkError) throw redactError(err, req.secrets);
    throw new OutboundError(redact(`${name} failed: ${(err as Error).message}`, req.secrets));
  }
}

function redactError(err: BulwarkError, secrets: readonly string[]): BulwarkError {
  const message = redact(err.message, secrets);
  const details = err.details ? redact(err.details, secrets) : undefined;
  return message === err.message && details === err.details ? err : new BulwarkError(err.code, message, details);
}
