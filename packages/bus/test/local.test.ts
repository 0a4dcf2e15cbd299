/**
 * LocalBus on a real SQLite store file: the shared contract (batches of 3 so several published batches merge or split
 * like they do in production), then what only the outbox cursor has: the committed offset on disk, commits only over
 * a gap-free prefix when consumers finish out of order, and a restart that resumes from the file alone.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BlockLogStore, openDatabase } from '@bulwark/store';
import { LocalBus, type Bus } from '../src/index.js';
import { makeBatches, runBusContract, waitFor, type BusScope } from './bus-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-bus-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function localScope(groupCount: number): Promise<BusScope> {
  const path = join(dir, `bus-${++files}.sqlite`);
  const store = new BlockLogStore({ path });
  await store.init();
  const opened: Bus[] = [];
  const options = { path, batchSize: 3, pollIntervalMs: 50 };
  const open = () => {
    const bus = new LocalBus({ ...options, onHandlerError: () => {} });
    opened.push(bus);
    return bus;
  };
  const publisher = open();
  return {
    groups: Array.from({ length: groupCount }, (_, i) => `g${i}`),
    open,
    async publish(batch) {
      await store.appendSerialized(batch.events);
      await publisher.publish(batch);
    },
    // A crashed process simply stops: its connection and its half-done handler are abandoned until cleanup.
    async crash() {},
    childBus: () => ({ adapter: 'local', options }),
    async cleanup() {
      // Let the abandoned handlers settle first (they were released with an error) so their closes return.
      await new Promise((r) => setTimeout(r, 50));
      for (const bus of opened) await bus.close();
      await store.close();
    },
  };
}

runBusContract('local (SQLite outbox cursor)', localScope);

describe('LocalBus specifics', () => {
  it('keeps the acknowledged seq in bus_offsets, and a restarted bus starts there', async () => {
    const s = await localScope(1);
    const bus = s.open() as LocalBus;
    let count = 0;
    await bus.subscribe('g0', async (b) => void (count += b.events.length));
    for (const b of makeBatches(4, 3)) await s.publish(b);
    await waitFor('all', () => count === 12);
    await bus.close();
    const path = join(dir, `bus-${files}.sqlite`);
    const db = openDatabase({ path });
    assert.equal(db.prepare('SELECT seq FROM bus_offsets WHERE "group" = ?').pluck().get('g0'), 12);
    db.close();
    const again = s.open() as LocalBus;
    let redelivered = 0;
    await again.subscribe('g0', async (b) => void (redelivered += b.events.length));
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(redelivered, 0);
    assert.equal(again.committedSeq('g0'), 12);
    await s.cleanup();
  });

  it('keeps going when saving its position fails, and writes the position once it can, skipping nothing', async () => {
    const s = await localScope(1);
    const path = join(dir, `bus-${files}.sqlite`);
    // A real failure of the offset write, as a busy file past its timeout would give: a trigger refuses it while flagged.
    const admin = openDatabase({ path });
    admin.exec(`CREATE TABLE refuse_offsets (x INTEGER);
      CREATE TRIGGER refuse_offset_insert BEFORE INSERT ON bus_offsets WHEN EXISTS (SELECT 1 FROM refuse_offsets) BEGIN SELECT RAISE(ABORT, 'database is locked'); END;
      CREATE TRIGGER refuse_offset_update BEFORE UPDATE ON bus_offsets WHEN EXISTS (SELECT 1 FROM refuse_offsets) BEGIN SELECT RAISE(ABORT, 'database is locked'); END;
      INSERT INTO refuse_offsets VALUES (1);`);
    const cursorErrors: unknown[] = [];
    const bus = new LocalBus({ path, batchSize: 3, pollIntervalMs: 20, onCursorError: (error) => cursorErrors.push(error) });
    const seen: string[] = [];
    await bus.subscribe('g0', async (b) => void seen.push(...b.events.map((e) => e.id)));
    for (const b of makeBatches(3, 3)) await s.publish(b);
    await waitFor('every event, while no position can be saved', () => seen.length === 9);
    assert.ok(cursorErrors.length > 0, 'the failed writes were reported');
    assert.equal(bus.committedSeq('g0'), 0);
    admin.exec('DELETE FROM refuse_offsets');
    await waitFor('the position written', () => bus.committedSeq('g0') === 9);
    for (const b of makeBatches(1, 3, 9)) await s.publish(b);
    await waitFor('the next batch', () => seen.length === 12);
    assert.equal(new Set(seen).size, 12, 'nothing delivered twice');
    assert.equal(admin.prepare('SELECT seq FROM bus_offsets WHERE "group" = ?').pluck().get('g0'), 12);
    admin.close();
    await bus.close();
    await s.cleanup();
  });

  it('commits only a gap-free prefix when a later batch finishes before an earlier one', async () => {
    const s = await localScope(1);
    const bus = s.open() as LocalBus;
    let releaseFirst!: () => void;
    const firstGate = new Promise<void>((r) => (releaseFirst = r));
    const finished: string[] = [];
    await bus.subscribe(
      'g0',
      async (b) => {
        if (b.events[0]!.id === 'e-0000') await firstGate;
        finished.push(b.id);
      },
      { concurrency: 2 },
    );
    for (const b of makeBatches(2, 3)) await s.publish(b);
    await waitFor('the second batch', () => finished.length === 1);
    assert.equal(bus.committedSeq('g0'), 0, 'the cursor must not pass the unfinished first batch');
    releaseFirst();
    await waitFor('both', () => finished.length === 2);
    assert.equal(bus.committedSeq('g0'), 6);
    await s.cleanup();
  });

  it('refuses an in-memory database and bad group names', async () => {
    assert.throws(() => new LocalBus({ path: ':memory:' }), /store file path/);
    const s = await localScope(1);
    await assert.rejects(s.open().subscribe('bad group!', async () => {}), /group name/);
    await s.cleanup();
  });
});
