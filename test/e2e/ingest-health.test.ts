// services: process
/**
 * Ingestion health on the real `npm start` process (`GET /v1/sources`): a shipper's counters per route and token
 * (events, events/s, refusals by reason after a bad record and a bad token), `stopped` flipping on once it goes quiet
 * for `ingest.stopped_after` (short here) and off when it sends again, and the counters the collector flushes at
 * shutdown still there after a restart.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { until } from '../support/until.js';

interface Source {
  route: string;
  token_id: string | null;
  token_name: string | null;
  source: string;
  events_total: number;
  events_per_s: number;
  rejected: Record<string, number>;
  last_seen: string | null;
  stopped: boolean;
}

const ROUTE = '/v1/ingest/events';
// Longer than the collector's flush interval (5 s), or a source would look stopped before its counts arrive.
const STOPPED_AFTER_MS = 8_000;

describe('ingestion health of the npm start process', () => {
  let bulwark: BulwarkProcess;
  let shipper: { id: string; token: string };
  let reader: { id: string; token: string };
  let dir: string;
  before(async () => {
    bulwark = await startBulwark({ env: { BULWARK_INGEST_STOPPED_AFTER: `${STOPPED_AFTER_MS}ms`, BULWARK_CORRELATOR: 'false' } });
    dir = bulwark.dir;
    shipper = await bulwark.mint('health-shipper', ['ingest']);
    reader = await bulwark.mint('health-reader', ['read']);
  });
  after(async () => {
    await bulwark?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const send = (body: string, token = shipper.token) =>
    bulwark.fetch(ROUTE, { method: 'POST', token, headers: { 'content-type': 'application/x-ndjson' }, body });
  const line = (n: number) => JSON.stringify({ '@timestamp': new Date().toISOString(), message: `health ${n}`, event: { dataset: 'app.health' } });
  const sources = async (): Promise<{ window_s: number; items: Source[] }> => bulwark.get('/v1/sources', reader.token);
  const mine = async () => (await sources()).items.find((s) => s.route === ROUTE && s.token_id === shipper.id);

  it('shows a source’s events, events/s and refusals by reason, then flags it stopped once it goes quiet, and not once it sends again', async () => {
    const good = await send([line(1), line(2), line(3)].join('\n') + '\n');
    assert.equal(good.status, 200, await good.text());
    const bad = await send(`${line(4)}\n{"message": "unterminated\n`);
    assert.equal(bad.status, 400);
    const badCode = ((await bad.json()) as { error: { details: { errors: Array<{ code: string }> } } }).error.details.errors[0]!.code;
    const refused = await send(line(5), 'bwk_not_a_real_token_at_all_0000');
    assert.equal(refused.status, 401);
    const refusedCode = ((await refused.json()) as { error: { code: string } }).error.code;

    // Flushed every few seconds by the collector.
    const seen = await until('the shipper’s counters in /v1/sources', async () => {
      const s = await mine();
      return s && s.events_total === 4 && s.rejected[badCode] === 1 ? s : null;
    }, 30_000, 250);
    assert.equal((await sources()).window_s, 60);
    assert.deepEqual([seen.token_name, seen.source, seen.stopped], ['health-shipper', 'logs', false]);
    assert.ok(seen.events_per_s > 0, `events/s over the last minute: ${seen.events_per_s}`);
    assert.ok(seen.last_seen && Date.now() - Date.parse(seen.last_seen) < 30_000);
    const anonymous = await until('the refused request under no token', async () => {
      const s = (await sources()).items.find((i) => i.route === ROUTE && i.token_id === null);
      return s && s.rejected[refusedCode] === 1 ? s : null;
    });
    assert.equal(anonymous.events_total, 0);

    const stopped = await until('the quiet source flagged stopped', async () => {
      const s = await mine();
      return s?.stopped ? s : null;
    }, 30_000, 250);
    assert.ok(Date.now() - Date.parse(stopped.last_seen!) >= STOPPED_AFTER_MS);

    assert.equal((await send(line(6) + '\n')).status, 200);
    const resumed = await until('the source sending again, no longer stopped', async () => {
      const s = await mine();
      return s && s.events_total === 5 && !s.stopped ? s : null;
    }, 30_000, 250);
    assert.equal(resumed.rejected[badCode], 1);
  });

  it('keeps what was counted just before a shutdown: the collector flushes at SIGTERM', async () => {
    const before = (await mine())!.events_total;
    assert.equal((await send([line(7), line(8)].join('\n') + '\n')).status, 200);
    // Stopped at once, well within the flush interval: only the flush at shutdown writes these two.
    await bulwark.stop({ keepData: true });
    bulwark = await startBulwark({ dir, adminToken: bulwark.admin, env: { BULWARK_INGEST_STOPPED_AFTER: `${STOPPED_AFTER_MS}ms`, BULWARK_CORRELATOR: 'false' } });
    const after = await mine();
    assert.equal(after?.events_total, before + 2);
  });
});
