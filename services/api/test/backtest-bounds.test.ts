/**
 * The cost bounds of `POST /v1/rules/backtest` on a real embedded store with many events: `max_events` truncates and
 * says where; a long backtest yields to the event loop (other requests are served meanwhile, so ingest never stalls
 * behind it); more than MAX_CONCURRENT at once answer 429 with Retry-After.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
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
import { buildApp } from '../src/app.js';
import { MAX_CONCURRENT } from '../src/backtest-routes.js';

const EVENTS = 40_000;
const T0 = Date.parse('2026-11-01T00:00:00Z');

/** `n` allowed execs by one user, one second apart. */
function execs(n: number): Event[] {
  return Array.from({ length: n }, (_, i) => ({
    '@timestamp': new Date(T0 + i * 1000).toISOString(),
    event: { id: `e${i}`, kind: 'event', dataset: 'kubernetes.audit' },
    kubernetes: { audit: { verb: 'create', user: { username: 'ci' }, objectRef: { resource: 'pods', subresource: 'exec' }, responseStatus: { code: 200 } } },
  })) as unknown as Event[];
}

describe('backtest cost bounds', () => {
  let dir: string;
  let core: Core;
  let server: Server;
  let url: string;
  let token: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-backtest-'));
    core = await openCore(loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_SQLITE_SYNCHRONOUS: 'NORMAL' }), pino({ level: 'silent' }));
    const deps = apiDeps(core, caseServiceFrom(core.config, await openCases(core), null), null);
    const all = execs(EVENTS);
    for (let i = 0; i < all.length; i += 5000) await deps.store.append(all.slice(i, i + 5000));
    const minted = mintToken('reader', ['read']);
    await deps.tokens.put(minted.stored);
    token = minted.secret;
    server = buildApp(deps).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await core.lifetime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const backtest = (body: Record<string, unknown>) =>
    fetch(`${url}/v1/rules/backtest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ rule_id: '1fea1988-ca78-480b-a140-a99798d3a434', from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z', ...body }),
    });

  it('max_events stops the scan: truncated, by which bound, and where to resume', async () => {
    const res = await backtest({ max_events: 2500, limit: 3 });
    assert.equal(res.status, 200);
    const answer = (await res.json()) as Record<string, unknown>;
    assert.equal(answer.scanned, 2500);
    assert.equal(answer.matches, 2500);
    assert.equal(answer.truncated, true);
    assert.equal(answer.truncated_by, 'max_events');
    assert.equal(answer.scanned_until, new Date(T0 + 2499 * 1000).toISOString());
    assert.equal((answer.hits as unknown[]).length, 3);
    assert.equal(answer.hits_omitted, 2497);
  });

  it('a full scan lets other requests through while it runs, and one backtest beyond the bound gets 429', async () => {
    const requests = Array.from({ length: MAX_CONCURRENT + 1 }, () =>
      backtest({}).then(async (r) => ({ status: r.status, retryAfter: r.headers.get('retry-after'), body: (await r.json()) as Record<string, unknown>, at: Date.now() })),
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    const health = await fetch(`${url}/healthz`);
    const healthAt = Date.now();
    const done = await Promise.all(requests);
    const ok = done.filter((d) => d.status === 200);
    const refused = done.filter((d) => d.status !== 200);
    assert.equal(ok.length, MAX_CONCURRENT, JSON.stringify(done.map((d) => d.status)));
    for (const { body } of ok) {
      assert.equal(body.scanned, EVENTS);
      assert.equal(body.matches, EVENTS);
      assert.equal(body.truncated, false);
    }
    assert.deepEqual(refused.map((d) => [d.status, d.retryAfter, (d.body.error as { code: string }).code]), [[429, '1', 'BWK_OVERLOADED']]);
    assert.equal(health.status, 200);
    assert.ok(healthAt < Math.max(...ok.map((d) => d.at)), 'the health check was answered before the backtests finished');
  });
});
