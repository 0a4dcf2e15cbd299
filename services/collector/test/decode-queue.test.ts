/**
 * A saturated decode pool answers `429 BWK_OVERLOADED` with Retry-After — not 500: a sender told to retry later loses
 * nothing, and a flood cannot make the collector fail. The pool is a
 * real piscina pool with one thread and a queue of one, and the requests are real HTTP requests to the collector's
 * ingest routes: enough concurrent bodies are sent that the queue must overflow, and every request is answered
 * either 200 (decoded and stored) or 429 (refused, nothing stored), never anything else.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { loadConfig } from '@bulwark/config';
import { errorHandler, mintToken } from '@bulwark/http';
import { DECODERS } from '@bulwark/ingest';
import { openCore, type Core } from '@bulwark/runtime';
import { BulwarkError } from '@bulwark/schema';
import { isQueueFull, threadDecoder, type Decoder } from '../src/decoder.js';
import { nativeIngestRouter } from '../src/native-routes.js';

/** NDJSON of generic events, large enough that decoding one body takes a while. */
function body(n: number, tag: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += `${JSON.stringify({ message: `request ${tag} line ${i} ${'x'.repeat(200)}`, labels: { i: String(i) } })}\n`;
  return out;
}

describe('decode pool saturation', () => {
  let dir: string;
  let deps: Core;
  let decoder: Decoder;
  let server: Server;
  let url: string;
  let token: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-decode-queue-'));
    deps = await openCore(loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_SQLITE_SYNCHRONOUS: 'NORMAL' }), pino({ level: 'silent' }));
    const minted = mintToken('shipper', ['ingest']);
    await deps.tokens.put(minted.stored);
    token = minted.secret;
    decoder = threadDecoder(1, { maxQueue: 1 });
    const app = express();
    app.use(nativeIngestRouter(deps, decoder));
    app.use(errorHandler(deps.logger));
    server = app.listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await decoder.close();
    await deps.lifetime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("recognises piscina's queue-full refusals", () => {
    assert.ok(isQueueFull(new Error('Task queue is at limit')));
    assert.ok(isQueueFull(new Error('No task queue available and all Workers are busy')));
    assert.ok(!isQueueFull(new Error('boom')));
  });

  it('a full queue answers 429 BWK_OVERLOADED with Retry-After, and the requests it took are stored', async () => {
    const bodies = Array.from({ length: 12 }, (_, i) => body(3000, i));
    const answers = await Promise.all(
      bodies.map(async (b) => {
        const res = await fetch(`${url}/v1/ingest/events`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: b });
        return { status: res.status, retryAfter: res.headers.get('retry-after'), json: (await res.json()) as { error?: { code: string }; accepted?: number } };
      }),
    );
    const statuses = answers.map((a) => a.status);
    assert.deepEqual([...new Set(statuses)].filter((s) => s !== 200 && s !== 429), [], `only 200 and 429 expected, got ${statuses}`);
    const refused = answers.filter((a) => a.status === 429);
    const taken = answers.filter((a) => a.status === 200);
    assert.ok(refused.length > 0, `the queue of one must overflow with ${bodies.length} concurrent bodies (got ${statuses})`);
    assert.ok(taken.length > 0, 'the requests the pool took are decoded');
    for (const a of refused) {
      assert.equal(a.json.error?.code, 'BWK_OVERLOADED');
      assert.equal(a.retryAfter, '1');
    }
    for (const a of taken) assert.equal(a.json.accepted, 3000);
    const stored = await deps.store.search({ query: { type: 'all' }, size: 1 });
    assert.ok(stored.hits.length > 0);
  });

  it('the decoder itself throws BWK_OVERLOADED, not the pool error', async () => {
    const tasks = Array.from({ length: 8 }, (_, i) =>
      decoder
        .decode({
          registry: DECODERS.origin,
          decoder: 'events',
          body: Buffer.from(body(2000, i)),
          options: {},
          mediaType: 'application/x-ndjson',
          params: {},
          provenance: { route: '/v1/ingest/events', protocol: 'events', source: 'logs', token: { id: 't', name: 't' }, token_sources: ['logs'] },
        })
        .then(
          () => 'ok',
          (err: unknown) => (err instanceof BulwarkError ? err.code : `other: ${String(err)}`),
        ),
    );
    const outcomes = await Promise.all(tasks);
    assert.ok(outcomes.includes('BWK_OVERLOADED'), String(outcomes));
    assert.deepEqual(outcomes.filter((o) => o !== 'ok' && o !== 'BWK_OVERLOADED'), []);
  });
});
