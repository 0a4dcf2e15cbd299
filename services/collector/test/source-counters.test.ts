/**
 * The collector's ingest counters per source (route and token) on a real embedded case store: what a flush writes
 * (one record per process, route and token), that only changed sources are written, that a record another process
 * pruned is written again, the flush at close, the pruning of records left by processes gone for a day, and the
 * ring of recent totals events/s is computed from.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SOURCE_PRUNE_AFTER_MS, SOURCE_SAMPLE_SPAN_MS, type SourceHealthRecord } from '@bulwark/schema';
import { SqliteCaseStore } from '@bulwark/store';
import { SourceCounters, sampled } from '../src/source-counters.js';

const dir = mkdtempSync(join(tmpdir(), 'bwk-sources-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function openStore(name: string): Promise<SqliteCaseStore> {
  const store = new SqliteCaseStore({ path: join(dir, `${name}.db`) });
  await store.init();
  return store;
}

const all = async (store: SqliteCaseStore) => (await store.query<SourceHealthRecord>('sources', { size: 100 })).items;
const alice = { tokenId: 'tok-alice', name: 'alice-shipper' };

describe('ingest source counters', () => {
  it('flushes one record per route and token with events, refusals by code and last seen; only changed ones', async () => {
    const store = await openStore('flush');
    let now = Date.parse('2026-01-01T00:00:00.000Z');
    const counters = new SourceCounters(store, { now: () => now });
    counters.accepted('/v1/ingest/events', 'logs', alice, 3);
    counters.rejectedRecords('/v1/ingest/events', 'logs', alice, ['BWK_INGEST_BAD_FIELD', 'BWK_INGEST_BAD_FIELD']);
    counters.rejectedRequest('/v1/ingest/events', 'logs', undefined, 'BWK_AUTH_INVALID');
    now += 5_000;
    await counters.flush();
    const records = (await all(store)).map((i) => i.record);
    assert.equal(records.length, 2);
    const mine = records.find((r) => r.token_id === 'tok-alice')!;
    assert.equal(mine.instance, counters.instance);
    assert.ok(mine.id.startsWith(`src-${counters.instance}-`));
    assert.deepEqual(
      [mine.route, mine.token_name, mine.source, mine.events_total, mine.rejected_records, mine.last_seen],
      ['/v1/ingest/events', 'alice-shipper', 'logs', 3, { BWK_INGEST_BAD_FIELD: 2 }, '2026-01-01T00:00:00.000Z'],
    );
    assert.deepEqual(mine.recent, [{ t: Date.parse('2026-01-01T00:00:00.000Z'), events: 0 }, { t: now, events: 3 }]);
    const anonymous = records.find((r) => r.token_id === '')!;
    assert.deepEqual([anonymous.token_name, anonymous.events_total, anonymous.rejected_requests], ['', 0, { BWK_AUTH_INVALID: 1 }]);

    const versions = new Map((await all(store)).map((i) => [i.record.id, i.version]));
    counters.accepted('/v1/ingest/events', 'logs', alice, 2);
    now += 5_000;
    await counters.flush();
    const after = new Map((await all(store)).map((i) => [i.record.id, i]));
    assert.equal(after.get(anonymous.id)!.version, versions.get(anonymous.id), 'an unchanged source is not written');
    assert.notEqual(after.get(mine.id)!.version, versions.get(mine.id));
    assert.equal(after.get(mine.id)!.record.events_total, 5);
    await store.close();
  });

  it('writes a record again after another process pruned it, and flushes what is left at close', async () => {
    const store = await openStore('recreate');
    const counters = new SourceCounters(store);
    counters.accepted('/v1/ingest/falco', 'falco', alice, 1);
    await counters.flush();
    const [first] = await all(store);
    await store.delete('sources', first!.record.id);
    counters.accepted('/v1/ingest/falco', 'falco', alice, 1);
    await counters.close();
    const [again] = await all(store);
    assert.equal(again!.record.events_total, 2, 'close flushed the count the pruned record lost nothing of');
    await store.close();
  });

  it('removes records no process has flushed for a day, not the live ones', async () => {
    const store = await openStore('prune');
    const old = new Date(Date.now() - SOURCE_PRUNE_AFTER_MS - 60_000).toISOString();
    const stale: SourceHealthRecord = {
      id: 'src-gone-1', instance: 'gone', route: '/v1/ingest/events', token_id: 'tok-x', token_name: 'x', source: 'logs', events_total: 9,
      rejected_records: {}, rejected_requests: {}, last_seen: old, started_at: old, flushed_at: old, recent: [],
    };
    await store.create('sources', stale);
    const counters = new SourceCounters(store);
    counters.accepted('/v1/ingest/events', 'logs', alice, 1);
    await counters.flush();
    assert.deepEqual((await all(store)).map((i) => i.record.instance), [counters.instance]);
    await store.close();
  });

  it('keeps the samples of the last span and the newest one before it', () => {
    const t = 1_000_000;
    const samples = [0, 10_000, 20_000, 40_000, 100_000].map((dt, i) => ({ t: t + dt, events: i }));
    const next = { t: t + 100_000 + SOURCE_SAMPLE_SPAN_MS - 50_000, events: 9 };
    // The span reaches back to t + 50_000: 100_000 is within it, 40_000 is the newest before it (the baseline).
    assert.deepEqual(sampled(samples, next).map((s) => s.t - t), [40_000, 100_000, 140_000]);
  });
});
