/**
 * The api app on a real store for the explorer tests: the embedded SQLite store in a temporary data directory, or a
 * search engine (its own index prefix, appends searchable before they resolve), with two reader tokens so ownership
 * (saved searches) can be tested, listening on a free port.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { pino } from 'pino';
import { loadConfig } from '@bulwark/config';
import { mintToken } from '@bulwark/http';
import { apiDeps, caseServiceFrom, openCases, openCore, type Core } from '@bulwark/runtime';
import type { Event } from '@bulwark/schema';
import type { LogStore } from '@bulwark/store';
import { buildApp } from '../src/app.js';

export interface ExplorerApp {
  url: string;
  store: LogStore;
  /** Secrets of two read-only tokens, and one that may only ingest. */
  alice: string;
  bob: string;
  ingestOnly: string;
  append(events: Event[]): Promise<void>;
  get(path: string, token?: string): Promise<Response>;
  json<T = Record<string, unknown>>(path: string, token?: string): Promise<T>;
  close(): Promise<void>;
}

export type StoreKind = 'sqlite' | 'opensearch';

/** `wrapStore`: what the routes see instead of the store (a test counting reads); appends go to the store itself. */
export async function startExplorerApp(kind: StoreKind, wrapStore?: (store: LogStore) => LogStore): Promise<ExplorerApp> {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-explorer-'));
  const prefix = `bwk-explorer-${process.pid}-${Date.now().toString(36)}`;
  const engineUrl = process.env.OPENSEARCH_URL;
  if (kind === 'opensearch' && !engineUrl) throw new Error('OPENSEARCH_URL is not set: source test/.services.env');
  const env: Record<string, string> =
    kind === 'sqlite'
      ? { BULWARK_DATA_DIR: dir, BULWARK_SQLITE_SYNCHRONOUS: 'NORMAL' }
      : { BULWARK_DATA_DIR: dir, BULWARK_STORE: 'opensearch', BULWARK_STORE_URL: engineUrl!, BULWARK_STORE_PREFIX: prefix, BULWARK_STORE_REFRESH: 'wait_for', BULWARK_REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6390' };
  const core: Core = await openCore(loadConfig(env), pino({ level: 'silent' }));
  const deps = apiDeps(core, caseServiceFrom(core.config, await openCases(core), null), null);
  const mint = async (name: string, scopes: string[]) => {
    const minted = mintToken(name, scopes as never);
    await deps.tokens.put(minted.stored);
    return minted.secret;
  };
  const alice = await mint('alice', ['read']);
  const bob = await mint('bob', ['read']);
  const ingestOnly = await mint('shipper', ['ingest']);
  const server: Server = buildApp(wrapStore ? { ...deps, store: wrapStore(deps.store) } : deps).listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const get = (path: string, token = alice) => fetch(`${url}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return {
    url,
    store: deps.store,
    alice,
    bob,
    ingestOnly,
    async append(events) {
      for (let i = 0; i < events.length; i += 5000) {
        const result = await deps.store.append(events.slice(i, i + 5000));
        if (result.rejected?.length) throw new Error(`rejected: ${JSON.stringify(result.rejected.slice(0, 3))}`);
      }
    },
    get,
    async json(path, token) {
      const res = await get(path, token);
      const body = await res.json();
      if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(body)}`);
      return body as never;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await core.lifetime.close();
      if (kind === 'opensearch') {
        await fetch(`${engineUrl}/_data_stream/${prefix}*`, { method: 'DELETE' }).catch(() => undefined);
        await fetch(`${engineUrl}/${prefix}*`, { method: 'DELETE' }).catch(() => undefined);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
