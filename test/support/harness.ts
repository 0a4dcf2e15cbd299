/**
 * Test harness: a real all-in-one app on a loopback port with a throwaway SQLite store, and tokens for each scope.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { pino } from 'pino';
import { loadConfig, type Config } from '@bulwark/config';
import { mintToken, openRuntime, type ServiceDeps } from '@bulwark/http';
import { buildApp, startEmbedded, type Embedded, type EmbeddedOptions } from '@bulwark/all-in-one';
import { startResponder, type Responder, type ResponderOptions } from '@bulwark/responder';

export interface Harness {
  url: string;
  deps: ServiceDeps;
  /** The in-process correlator and its bus, when started with `{ correlator }`. */
  embedded: Embedded | null;
  /** The in-process responder, when started with `{ responder }`. */
  responder: Responder | null;
  tokens: { admin: string; ingest: string; alerts: string; read: string; respond: string; approve: string };
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Also start the embedded correlator on the harness's data dir (as `npm start` does). */
  correlator?: boolean | EmbeddedOptions;
  /** Loopback port to listen on (default: any free one), e.g. where a test API server sends its audit webhook. */
  port?: number;
  /** Tokens with known secrets to install before listening (a sender that is already retrying must not be refused). */
  tokens?: Array<{ name: string; scopes: string[]; secret: string }>;
  /**
   * Also serve HTTPS on `port` with this PEM certificate and key, for a sender that sends credentials only over TLS
   * (client-go); the harness's own `url` and `fetch` stay on plain HTTP on another port.
   */
  tls?: { cert: string; key: string };
  /** Also start the responder in-process (playbooks, runs API), as `npm start` does. */
  responder?: boolean | ResponderOptions;
}

export async function startHarness(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-test-'));
  const config: Config = loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_PORT: '0', BULWARK_SQLITE_SYNCHRONOUS: 'NORMAL', ...scaleBus(env), ...env });
  // The collector publishes stored batches when there is a consumer to reach: the embedded correlator, or Redis.
  const bus = Boolean(options.correlator) || config.bus.redis_url !== undefined;
  const { deps } = await openRuntime(config, pino({ level: 'silent' }), { bus });
  const tokens = { admin: '', ingest: '', alerts: '', read: '', respond: '', approve: '' };
  for (const scope of Object.keys(tokens) as Array<keyof typeof tokens>) {
    const { secret, stored } = mintToken(`test-${scope}`, [scope]);
    await deps.tokens.put(stored);
    tokens[scope] = secret;
  }
  const embedded = options.correlator
    ? await startEmbedded(deps, options.correlator === true ? {} : options.correlator)
    : null;
  for (const { name, scopes, secret } of options.tokens ?? []) await deps.tokens.put(mintToken(name, scopes, secret).stored);
  const responder = options.responder ? await startResponder(deps, options.responder === true ? {} : options.responder) : null;
  const app = buildApp(deps, responder);
  const servers: Server[] = [createHttpServer(app)];
  if (options.tls) servers.push(createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, app));
  const ports = options.tls ? [0, options.port ?? 0] : [options.port ?? 0];
  await Promise.all(servers.map((srv, i) => new Promise<void>((resolve) => srv.listen(ports[i], '127.0.0.1', resolve))));
  const server = servers[0]!;
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    deps,
    embedded,
    responder,
    tokens,
    fetch(path, init = {}) {
      const { token, ...rest } = init;
      const headers = new Headers(rest.headers);
      const use = token === undefined ? tokens.admin : token;
      if (use && !headers.has('authorization')) headers.set('authorization', `Bearer ${use}`);
      return fetch(`${url}${path}`, { ...rest, headers });
    },
    async close() {
      for (const srv of servers) srv.closeAllConnections();
      await Promise.all(servers.map((srv) => new Promise<void>((resolve) => srv.close(() => resolve()))));
      await deps.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Scale mode needs a Redis for its bus: a search-engine store without one gets the suite's Redis (REDIS_URL, started
 * by test/services/up) under a fresh key prefix, so tests sharing that Redis never see each other's batches.
 */
export function scaleBus(env: Record<string, string>): Record<string, string> {
  if (!env.BULWARK_STORE || env.BULWARK_STORE === 'sqlite' || env.BULWARK_REDIS_URL) return {};
  const url = process.env.REDIS_URL;
  if (!url) throw new Error('scale-mode tests need Redis: REDIS_URL is unset; run `test/services/up redis` (npm test does)');
  return { BULWARK_REDIS_URL: url, BULWARK_BUS_PREFIX: `t${randomBytes(4).toString('hex')}` };
}

/** NDJSON body from objects. */
export function ndjson(lines: unknown[]): string {
  return lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
}

/** Searches through the API and returns the hits. */
export async function searchHits(h: Harness, q: string, extra: Record<string, string> = {}): Promise<Array<Record<string, any>>> {
  const params = new URLSearchParams({ q, size: '1000', ...extra });
  const res = await h.fetch(`/v1/search?${params}`, { token: h.tokens.read });
  if (res.status !== 200) throw new Error(`search ${q} -> ${res.status} ${await res.text()}`);
  return ((await res.json()) as { hits: Array<Record<string, any>> }).hits;
}
