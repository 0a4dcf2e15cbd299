/**
 * Small blocks merged (blocks/compaction.ts): many one-event appends become a few blocks holding the same events,
 * with the same arrival numbers (the bus's view is unchanged), ids (duplicates still refused) and answers.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BlockLogStore, BlockOutbox, parseQuery } from '../src/index.js';
import { searchAll } from './contract/logstore-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-compaction-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-03-01T00:00:00Z');

const one = (i: number): Event =>
  ({
    '@timestamp': new Date(T0 + (i % 7) * 1000).toISOString(), // ties across blocks, out of order in time
    event: { id: `one-${i}`, dataset: i % 4 === 0 ? 'falco.alert' : 'kubernetes.audit' },
    message: `single event ${i}`,
    kubernetes: { namespace: `ns-${i % 3}`, audit: { auditID: `aid-${i}` } },
  }) as Event;

describe('merging small blocks', () => {
  it('keeps every event, its arrival number and its id, in far fewer blocks', async () => {
    const store = new BlockLogStore({ path: join(dir, 'compact.sqlite') });
    await store.init();
    for (let i = 0; i < 200; i++) await store.append([one(i)]);
    const blocks = () => store.database.prepare('SELECT count(*) FROM blocks').pluck().get() as number;
    assert.equal(blocks(), 200);
    const before = await searchAll(store, { query: parseQuery(''), size: 1000 });
    const outboxBefore = new BlockOutbox(store.database).read(0, 1000)?.rows.map((r) => [r.seq, r.id]);
    let passes = 0;
    while ((store.compact()?.written ?? 0) > 0) passes++;
    assert.ok(passes > 0);
    assert.ok(blocks() <= 4, `${blocks()} blocks left (two streams)`);
    assert.deepEqual(await searchAll(store, { query: parseQuery(''), size: 1000 }), before, 'same events, same order');
    assert.deepEqual(new BlockOutbox(store.database).read(0, 1000)?.rows.map((r) => [r.seq, r.id]), outboxBefore);
    assert.deepEqual((await searchAll(store, { query: parseQuery('aid-117'), size: 10 })).map((e) => e.event.id), ['one-117']);
    assert.deepEqual(await store.get('one-42'), one(42));
    assert.equal((await store.append([one(5), one(199)])).duplicates, 2);
    // The merged-away blocks' ids went with them: the id set (event_ids below the merge mark, blocks above) holds 200.
    const idSet = store.database
      .prepare(
        "SELECT (SELECT count(*) FROM event_ids) + (SELECT coalesce(sum(rows), 0) FROM blocks WHERE id > (SELECT value FROM store_state WHERE name = 'keys_merged_upto'))",
      )
      .pluck()
      .get();
    assert.equal(idSet, 200);
    const h = await store.histogram({ query: parseQuery('event.dataset:falco.alert'), from: new Date(T0), to: new Date(T0 + 7000), intervalMs: 1000 });
    assert.equal(h.total, 50);
    await store.close();
  });
});
