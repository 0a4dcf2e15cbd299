/**
 * The engine-specific part of the search-engine adapter family, kept small: building the official client for the
 * engine (@elastic/elasticsearch for Elasticsearch, @opensearch-project/opensearch for OpenSearch) and detecting the
 * engine and version at start. Everything above this talks to the engine through `EngineClient.request`, which both
 * clients' transports provide (connection pooling, retries on dead nodes, auth and TLS stay theirs).
 */
import { readFileSync } from 'node:fs';
import { BulwarkError } from '@bulwark/schema';

export type EngineKind = 'opensearch' | 'elasticsearch';

export interface SearchEngineOptions {
  kind: EngineKind;
  /** e.g. `http://127.0.0.1:9200`; several nodes comma-separated. */
  url: string;
  auth?: { username: string; password: string } | { apiKey: string };
  /** PEM file of the CA that signed the engine's certificate. */
  caFile?: string;
  requestTimeoutMs?: number;
}

export interface EngineInfo {
  kind: EngineKind;
  /** e.g. `3.8.0` or `8.17.0`. */
  version: string;
  major: number;
}

export interface EngineRequest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'DELETE';
  path: string;
  body?: unknown;
  /** NDJSON body for `_bulk` (array of objects or pre-serialised lines). */
  bulkBody?: Array<unknown> | string;
  querystring?: Record<string, string | number | boolean | undefined>;
}

export interface EngineResponse<T> {
  statusCode: number;
  body: T;
}

export interface EngineClient {
  readonly kind: EngineKind;
  /**
   * Sends one request. Statuses listed in `ignore` resolve instead of throwing (e.g. 404 on a lookup).
   * @throws BulwarkError BWK_STORE_UNAVAILABLE when the engine cannot be reached or answers 429/5xx.
   */
  request<T = unknown>(req: EngineRequest, options?: { ignore?: number[]; timeoutMs?: number }): Promise<EngineResponse<T>>;
  info(): Promise<EngineInfo>;
  close(): Promise<void>;
}

interface RawTransport {
  request(params: unknown, options?: unknown): Promise<{ statusCode?: number | null; body: unknown }>;
}

function nodes(url: string): string[] {
  return url.split(',').map((u) => u.trim()).filter(Boolean);
}

/** Maps a client error to ours: unreachable, throttled or failing engines are 503 to our callers (retry later). */
function toStoreError(err: unknown): BulwarkError {
  const e = err as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown }; statusCode?: number; body?: unknown };
  const status = e.meta?.statusCode ?? e.statusCode;
  const body = e.meta?.body ?? e.body;
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    return new BulwarkError('BWK_INTERNAL', `search engine refused the request (${status})`, { status, body });
  }
  return new BulwarkError('BWK_STORE_UNAVAILABLE', `search engine unavailable: ${e.message ?? e.name ?? 'unknown error'}`, {
    ...(status !== undefined ? { status } : {}),
  });
}

/**
 * Builds the official client for the engine on first use (imported lazily: the embedded mode never loads either
 * client library).
 */
async function openTransport(opts: SearchEngineOptions): Promise<{ transport: RawTransport; close: () => Promise<void> }> {
  const ca = opts.caFile ? readFileSync(opts.caFile) : undefined;
  const timeout = opts.requestTimeoutMs ?? 30_000;
  if (opts.kind === 'elasticsearch') {
    const { Client } = await import('@elastic/elasticsearch');
    const client = new Client({
      nodes: nodes(opts.url),
      requestTimeout: timeout,
      ...(opts.auth ? { auth: opts.auth } : {}),
      ...(ca ? { tls: { ca } } : {}),
    });
    return { transport: client.transport as unknown as RawTransport, close: () => client.close() };
  }
  const { Client } = await import('@opensearch-project/opensearch');
  const client = new Client({
    nodes: nodes(opts.url),
    requestTimeout: timeout,
    ...(opts.auth && 'username' in opts.auth ? { auth: opts.auth } : {}),
    ...(opts.auth && 'apiKey' in opts.auth ? { headers: { authorization: `ApiKey ${opts.auth.apiKey}` } } : {}),
    ...(ca ? { ssl: { ca } } : {}),
  });
  return { transport: client.transport as unknown as RawTransport, close: () => client.close() };
}

export function createEngineClient(opts: SearchEngineOptions): EngineClient {
  let opened: ReturnType<typeof openTransport> | null = null;
  const open = () => (opened ??= openTransport(opts));
  const request = async <T>(req: EngineRequest, options: { ignore?: number[]; timeoutMs?: number } = {}): Promise<EngineResponse<T>> => {
    const params = {
      method: req.method,
      path: req.path,
      ...(req.body !== undefined ? { body: req.body } : {}),
      ...(req.bulkBody !== undefined ? { bulkBody: req.bulkBody } : {}),
      ...(req.querystring ? { querystring: req.querystring } : {}),
    };
    const transportOptions = {
      ...(options.ignore ? { ignore: options.ignore } : {}),
      ...(options.timeoutMs ? { requestTimeout: options.timeoutMs } : {}),
      meta: true,
    };
    try {
      const { transport } = await open();
      const res = await transport.request(params, transportOptions);
      return { statusCode: res.statusCode ?? 200, body: res.body as T };
    } catch (err) {
      throw toStoreError(err);
    }
  };
  return {
    kind: opts.kind,
    request,
    async info() {
      const res = await request<{ version?: { number?: string; distribution?: string } }>({ method: 'GET', path: '/' });
      const version = res.body.version?.number ?? '0.0.0';
      const detected: EngineKind = res.body.version?.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch';
      if (detected !== opts.kind) {
        throw new BulwarkError('BWK_CONFIG_INVALID', `BULWARK_STORE is ${opts.kind} but ${opts.url} is ${detected} ${version}`, {
          expected: opts.kind,
          found: detected,
        });
      }
      return { kind: detected, version, major: Number(version.split('.')[0]) };
    },
    async close() {
      if (opened) await (await opened).close();
    },
  };
}
