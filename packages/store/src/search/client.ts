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
  /**
   * Whether `GET /` answered. Elasticsearch serves it from its `rest-root` module; a server without that module (the
   * bare server jar, as embedded by the test node) is identified through `GET /_nodes/_local` instead.
   */
  rootEndpoint: boolean;
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
  /** Response headers, lowercased names (e.g. `x-elastic-product`). */
  headers?: Record<string, string | string[] | undefined>;
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
  request(params: unknown, options?: unknown): Promise<{ statusCode?: number | null; body: unknown; headers?: Record<string, string | string[] | undefined> | null }>;
}

function nodes(url: string): string[] {
  return url.split(',').map((u) => u.trim()).filter(Boolean);
}

/** `: <type>: <reason>` of an engine's error body, innermost cause first: the part that says what to fix. */
function refusalReason(body: unknown): string {
  type Cause = { type?: string; reason?: string; caused_by?: Cause };
  let cause = (body as { error?: Cause } | undefined)?.error;
  if (!cause || typeof cause !== 'object') return '';
  while (cause.caused_by?.reason) cause = cause.caused_by;
  return cause.reason ? `: ${cause.type ?? 'error'}: ${cause.reason}`.slice(0, 500) : '';
}

/** Maps a client error to ours: unreachable, throttled or failing engines are 503 to our callers (retry later). */
function toStoreError(err: unknown): BulwarkError {
  const e = err as { name?: string; message?: string; meta?: { statusCode?: number; body?: unknown }; statusCode?: number; body?: unknown };
  const status = e.meta?.statusCode ?? e.statusCode;
  const body = e.meta?.body ?? e.body;
  if (status !== undefined && status >= 400 && status < 500 && status !== 429) {
    return new BulwarkError('BWK_INTERNAL', `search engine refused the request (${status}${refusalReason(body)})`, { status, body });
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

type Request = EngineClient['request'];

const noBackoff = (): number => 0;

/**
 * Which engine and version answer: `GET /` where it is served (both engines normally), else the local node's info,
 * with the product from the `X-Elastic-Product` header Elasticsearch puts on every response (OpenSearch never sends
 * it, and always serves `GET /`).
 */
async function identify(request: Request): Promise<EngineInfo> {
  const root = await request<{ version?: { number?: string; distribution?: string } }>({ method: 'GET', path: '/' }, { ignore: [400, 404, 405] });
  if (root.statusCode === 200 && root.body.version?.number) {
    const version = root.body.version.number;
    const kind: EngineKind = root.body.version.distribution === 'opensearch' ? 'opensearch' : 'elasticsearch';
    return { kind, version, major: majorOf(version), rootEndpoint: true };
  }
  const local = await request<{ nodes?: Record<string, { version?: string }> }>({
    method: 'GET',
    path: '/_nodes/_local',
    querystring: { filter_path: 'nodes.*.version' },
  });
  const version = Object.values(local.body.nodes ?? {})[0]?.version ?? '0.0.0';
  if (local.headers?.['x-elastic-product'] !== 'Elasticsearch') {
    throw new BulwarkError('BWK_CONFIG_INVALID', `the search engine answers no version on GET / and is not Elasticsearch (node version ${version})`, {
      status: root.statusCode,
    });
  }
  return { kind: 'elasticsearch', version, major: majorOf(version), rootEndpoint: false };
}

function majorOf(version: string): number {
  return Number(version.split('.')[0]) || 0;
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
      // A body already serialised (the case store sends its records as JSON text, keeping their key order) would go
      // out as text/plain, which Elasticsearch refuses with 406; OpenSearch's client labels strings JSON itself.
      ...(typeof req.body === 'string' ? { headers: { 'content-type': 'application/json' } } : {}),
      // Elasticsearch's client waits 1–4 s between its own retries once every node has been tried (5–10 s per call
      // with one node), on top of the bulk writer's retries: with the engine down, a collector took a minute to answer
      // 503. It still retries on the other nodes at once, as OpenSearch's client does; the waiting is ours to do.
      ...(opts.kind === 'elasticsearch' ? { retryBackoff: noBackoff } : {}),
      ...(options.ignore ? { ignore: options.ignore } : {}),
      ...(options.timeoutMs ? { requestTimeout: options.timeoutMs } : {}),
      meta: true,
    };
    try {
      const { transport } = await open();
      const res = await transport.request(params, transportOptions);
      return { statusCode: res.statusCode ?? 200, body: res.body as T, ...(res.headers ? { headers: res.headers } : {}) };
    } catch (err) {
      throw toStoreError(err);
    }
  };
  return {
    kind: opts.kind,
    request,
    async info() {
      const found = await identify(request);
      if (found.kind !== opts.kind) {
        throw new BulwarkError('BWK_CONFIG_INVALID', `BULWARK_STORE is ${opts.kind} but ${opts.url} is ${found.kind} ${found.version}`, {
          expected: opts.kind,
          found: found.kind,
        });
      }
      return found;
    },
    async close() {
      if (opened) await (await opened).close();
    },
  };
}
