/**
 * Test harness: a real all-in-one app on a loopback port with a throwaway SQLite store, and tokens for each scope.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createServer as createHttpServer, type Server } from 'node:http';
import { pino } from 'pino';
import type { KubeClients } from '@bulwark/actions';
import { LocalBus } from '@bulwark/bus';
import { loadConfig, type Config } from '@bulwark/config';
import type { Correlator } from '@bulwark/correlator';
import { listen, mintToken, plainServerOf } from '@bulwark/http';
import { createLifetime, openCore } from '@bulwark/runtime';
import { composeAllInOne, type AllInOneDeps, type CorrelatorPlacement, type CorrelatorThread } from '@bulwark/all-in-one';
import type { Responder, ResponderOptions } from '@bulwark/responder';

export interface Harness {
  url: string;
  /** What the process's root handed the app (stores, case service, logger...). */
  deps: AllInOneDeps;
  /** The in-process correlator and the embedded bus it consumes, when started with `{ correlator }`. */
  embedded: { bus: LocalBus; correlator: Correlator } | null;
  /** The correlator thread, when started with `{ correlator: { thread: true } }` (as `npm start` runs it). */
  thread: CorrelatorThread | null;
  /** The in-process responder, when started with `{ responder }`. */
  responder: Responder | null;
  tokens: { admin: string; ingest: string; alerts: string; read: string; respond: string; approve: string };
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  close(): Promise<void>;
}

export interface HarnessCorrelatorOptions {
  /** Sigma rules directory; default `detection.rules_dir`, else the bundled `rules/`. */
  rulesDir?: string;
  /** How often the embedded bus looks for new events when not woken (ms, default 250). */
  pollIntervalMs?: number;
  /** Run it on its own thread exactly as `npm start` does (no `embedded` handle then; see `thread`). */
  thread?: boolean;
}

export interface HarnessResponderOptions extends ResponderOptions {
  /** The Kubernetes clients it acts with (default: `responder.kube`, else KUBECONFIG). */
  kube?: KubeClients;
}

export interface HarnessOptions {
  /** Also start the embedded correlator on the harness's data dir: in-process (default) or on its thread. */
  correlator?: boolean | HarnessCorrelatorOptions;
  /** Loopback port to listen on (default: any free one), e.g. where a test API server sends its audit webhook. */
  port?: number;
  /** Tokens with known secrets to install before listening (a sender that is already retrying must not be refused). */
  tokens?: Array<{ name: string; scopes: string[]; secret: string }>;
  /**
   * Serve HTTPS on `port` with these PEM files as Bulwark does (`server.tls`, through the product's own `listen`), for
   * a sender that sends credentials only over TLS (client-go); the harness's own `url` and `fetch` use the plain HTTP
   * port beside it (`server.tls.http_port`).
   */
  tls?: { certFile: string; keyFile: string; clientCaFile?: string };
  /** Also start the responder in-process (playbooks, runs API), as `npm start` does. */
  responder?: boolean | HarnessResponderOptions;
}

/**
 * A real all-in-one app composed by the same root as `npm start` (services/all-in-one/src/root.ts), on a throwaway
 * data directory; the correlator and responder only when asked for.
 */
export async function startHarness(env: Record<string, string> = {}, options: HarnessOptions = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-test-'));
  const config: Config = loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_PORT: '0', BULWARK_SQLITE_SYNCHRONOUS: 'NORMAL', ...scaleBus(env), ...env });
  const logger = pino({ level: 'silent' });
  const lifetime = createLifetime(logger);
  const core = await openCore(config, logger, lifetime);
  const tokens = { admin: '', ingest: '', alerts: '', read: '', respond: '', approve: '' };
  for (const scope of Object.keys(tokens) as Array<keyof typeof tokens>) {
    const { secret, stored } = mintToken(`test-${scope}`, [scope]);
    await core.tokens.put(stored);
    tokens[scope] = secret;
  }
  for (const { name, scopes, secret } of options.tokens ?? []) await core.tokens.put(mintToken(name, scopes, secret).stored);
  const correlator = options.correlator === true ? {} : options.correlator || null;
  const placement: CorrelatorPlacement = !correlator ? 'none' : correlator.thread ? 'thread' : 'in-process';
  const { kube, ...responderOptions } = options.responder === true ? {} : options.responder || {};
  let composed;
  try {
    composed = await composeAllInOne(core, {
      correlator: placement,
      ...(correlator?.rulesDir !== undefined ? { rulesDir: correlator.rulesDir } : {}),
      ...(correlator?.pollIntervalMs !== undefined ? { pollIntervalMs: correlator.pollIntervalMs } : {}),
      responder: options.responder ? responderOptions : false,
      ...(kube ? { kube } : {}),
    });
  } catch (err) {
    await lifetime.close();
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const { app, deps, responder, thread } = composed;
  const embedded = composed.embedded ? embeddedOf(composed.embedded) : null;
  let servers: Server[];
  let server: Server;
  if (options.tls) {
    const tls = { cert_file: options.tls.certFile, key_file: options.tls.keyFile, http_port: 0, ...(options.tls.clientCaFile ? { client_ca_file: options.tls.clientCaFile } : {}) };
    const secure = await listen(app, { port: options.port ?? 0, host: '127.0.0.1', tls });
    servers = [secure];
    server = plainServerOf(secure)!;
  } else {
    server = createHttpServer(app);
    servers = [server];
    await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  }
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    deps,
    embedded,
    thread,
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
      await lifetime.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Tests read the embedded bus's cursor (`committedSeq`): the in-process correlator here always runs on `LocalBus`. */
function embeddedOf(embedded: { bus: unknown; correlator: Correlator }): { bus: LocalBus; correlator: Correlator } {
  if (!(embedded.bus instanceof LocalBus)) throw new TypeError('the harness runs its in-process correlator on the embedded store only');
  return { bus: embedded.bus, correlator: embedded.correlator };
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
