/**
 * The embedded bus's reads (blocks/outbox.ts): one append cut into blocks of two streams whose arrival numbers
 * interleave, with times out of arrival order inside each block, read back in batches of several sizes — every event
 * once, in arrival order, each field as stored; and some columns only, for a reader that knows its fields.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BlockLogStore, BlockOutbox } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-outbox-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-03-01T00:00:00Z');

const event = (i: number): Event =>
  ({
    '@timestamp': new Date(T0 + ((i * 37) % 101) * 10).toISOString(), // out of arrival order
    event: { id: `ev-${i}`, dataset: i % 3 === 0 ? 'falco.alerts' : 'kubernetes.audit', ingested: new Date(T0 + i).toISOString() },
    message: `event ${i}`,
    ...(i % 3 === 0 ? { falco: { rule: `r-${i}` } } : { kubernetes: { audit: { verb: 'get', n: i } } }),
  }) as Event;

describe('reading the outbox', () => {
  it('hands out every event once, in arrival order, in batches of any size', async () => {
    const store = new BlockLogStore({ path: join(dir, 'outbox.sqlite') });
    await store.init();
    const events = Array.from({ length: 300 }, (_, i) => event(i));
    await store.append(events.slice(0, 150));
    await store.append(events.slice(150));
    const outbox = new BlockOutbox(store.database);
    const bySeq = new Map((outbox.read(0, 1000)?.rows ?? []).map((r) => [r.seq, r.id]));
    assert.equal(bySeq.size, 300);
    for (const size of [1, 7, 64, 500]) {
      const seen: number[] = [];
      for (let at = 0, read = outbox.read(at, size); read; at = read.to, read = outbox.read(at, size)) {
        assert.ok(read.rows.length <= size);
        seen.push(...read.rows.map((r) => r.seq));
        assert.deepEqual(outbox.readRange(at, read.to).map((r) => r.seq), read.rows.map((r) => r.seq), 'a redelivery reads the same range');
      }
      assert.deepEqual(seen, [...bySeq.keys()].sort((a, b) => a - b), `batches of ${size}: each once, ascending`);
    }
    for (const row of outbox.read(0, 1000)!.rows) {
      const stored = events[Number(row.id.slice(3))]!;
      assert.deepEqual(row.parsed, stored);
      assert.deepEqual(JSON.parse(row.doc), stored);
      assert.equal(row.dataset, stored.event.dataset);
      assert.equal(row.ts, Date.parse(stored['@timestamp']));
      assert.equal(row.message, stored.message);
      assert.equal(row.ingested, stored.event.ingested);
    }
    await store.close();
  });

  it('rebuilds only the chosen columns for a reader that knows its fields, and the whole event after', async () => {
    const store = new BlockLogStore({ path: join(dir, 'paths.sqlite') });
    await store.init();
    const events = Array.from({ length: 30 }, (_, i) => event(i));
    await store.append(events);
    const wanted = (keys: readonly string[]) => keys[0] === 'event' || keys.join('.') === 'kubernetes.audit.verb';
    for (const row of new BlockOutbox(store.database).read(0, 100)!.rows) {
      const stored = events[Number(row.id.slice(3))]!;
      const audit = (stored as { kubernetes?: { audit: { verb: string } } }).kubernetes;
      assert.deepEqual(row.parsedPaths(wanted), { event: stored.event, ...(audit ? { kubernetes: { audit: { verb: audit.audit.verb } } } : {}) });
      assert.deepEqual(row.parsed, stored, 'the whole event is still there');
      assert.deepEqual(row.parsedPaths(wanted), stored, 'once rebuilt whole, the whole event is handed out');
    }
    await store.close();
  });
});
