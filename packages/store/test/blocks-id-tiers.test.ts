/**
 * The merged event-id keys in tiers (blocks/id-tiers.ts): a tier over its cap is moved into the next in steps of a
 * key range, and at every commit each key is in exactly one tier, so idempotency and lookups by id hold before,
 * during and after a move, across a reopen mid-move, and after retention drops blocks (whose keys stay, stale, until a
 * move or a sweep takes them out). On the real SQLite engine with
 * tiny tiers, so keys pass through every tier within a test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { migrate, openDatabase } from '../src/index.js';
import { ID_TIERS, IdTiers, type TierOptions } from '../src/blocks/id-tiers.js';
import { BlockReader } from '../src/blocks/reader.js';
import { enforceRetention } from '../src/blocks/retention.js';
import { BlockWriter } from '../src/blocks/writer.js';
import { idSetEvents } from './id-set-events.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-id-tiers-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-06-30T12:00:00Z');
const DAY = 86_400_000;
/** Four tiers of 400, 1,200 and 2,400 keys and the unbounded last, moved 400 keys a step; memory merged at 200. */
const TINY: TierOptions = { caps: [400, 1200, 2400, Infinity], step: 400, share: 1 };
const MERGE_AT = 200;

type Db = ReturnType<typeof openDatabase>;

const { events, rows } = idSetEvents(T0, 'tiers.test');

function open(name: string, options = TINY) {
  const db = openDatabase({ path: join(dir, name) });
  migrate(db);
  return { db, writer: new BlockWriter(db, MERGE_AT, options), reader: new BlockReader(db), tiers: new IdTiers(db, options) };
}

/** Keys in any tier whose block is gone, counted the slow way. */
const staleInTables = (db: Db) =>
  ID_TIERS.reduce((n, table) => n + (db.prepare(`SELECT count(*) FROM ${table} WHERE block NOT IN (SELECT id FROM blocks)`).pluck().get() as number), 0);
/** Rows in each tier's table, counted the slow way. */
const tableCounts = (db: Db) => ID_TIERS.map((table) => db.prepare(`SELECT count(*) FROM ${table}`).pluck().get() as number);
/** How many tables hold each (key, block) pair: 1 for every pair when each key is in exactly one tier. */
const placements = (db: Db) =>
  db
    .prepare(`SELECT count(*) AS n FROM (${ID_TIERS.map((t) => `SELECT key, block FROM ${t}`).join(' UNION ALL ')}) GROUP BY key, block`)
    .pluck()
    .all() as number[];

/**
 * Appends `batches` batches of 100 events of `prefix`, each followed by the writer's between-appends work (a memory
 * merge every other batch, a move step in between); the most keys each tier held after any batch.
 */
function fill(writer: BlockWriter, tiers: IdTiers, prefix: string, batches: number, offsetMs = 0): number[] {
  const most = [0, 0, 0, 0];
  for (let b = 0; b < batches; b++) {
    assert.equal(writer.append(rows(events(`${prefix}${b}`, 100, offsetMs + b * 1000))).created, 100);
    writer.mergeKeysIfDue();
    tiers.counts().forEach((n, tier) => (most[tier] = Math.max(most[tier]!, n)));
  }
  return most;
}

/** The writer's between-appends work until it has nothing left to merge or move. */
function settle(writer: BlockWriter): void {
  for (let i = 0; i < 1000 && writer.mergeKeysIfDue(); i++);
}

describe('embedded store id set in tiers', () => {
  it('moves an over-full tier into the next, keeps every key in one tier, and still refuses every stored id', () => {
    const { db, writer, reader, tiers } = open('move.sqlite');
    const most = fill(writer, tiers, 'a', 60);
    assert.ok(most[0]! <= 400 + 2 * MERGE_AT, `the first tier stays near its cap while appends go on: ${most}`);
    settle(writer);
    const counts = tiers.counts();
    assert.ok(most[1]! > 0 && most[2]! > 0 && counts[3]! > 0, `keys passed through every tier: ${most} then ${counts}`);
    assert.deepEqual(counts, tableCounts(db), 'the kept counts are the tables’ counts');
    assert.equal(counts.reduce((a, b) => a + b, 0), 6000, 'every merged key is in a tier');
    assert.ok(counts[0]! <= 400 && counts[1]! <= 1200 && counts[2]! <= 2400, `tiers within their caps: ${counts}`);
    assert.ok(placements(db).every((n) => n === 1), 'no key in two tiers');
    for (const b of [0, 13, 27, 42, 59]) {
      assert.equal(writer.append(rows(events(`a${b}`, 100, b * 1000))).duplicates, 100, `batch ${b} refused again`);
      assert.equal(reader.locate(`a${b}-42`)?.view.column('"event","id"')?.length, 100, `a${b}-42 found by id`);
    }
    db.close();
  });

  it('answers duplicate and finds ids in the middle of a move, and after a reopen that forgets the move', () => {
    const smallSteps = { ...TINY, step: 250 };
    const first = open('midway.sqlite', smallSteps);
    // 600 keys merged into the first tier at once (no move step between): over its cap of 400.
    for (let b = 0; b < 6; b++) first.writer.append(rows(events(`m${b}`, 100, b * 1000)));
    first.writer.mergeKeys();
    assert.deepEqual(first.tiers.counts(), [600, 0, 0, 0], 'over its cap before the move');
    assert.ok(first.writer.mergeKeysIfDue(), 'one move step');
    const midway = first.tiers.counts();
    assert.deepEqual(midway, [350, 250, 0, 0], 'one step moved 250 keys');
    assert.equal(first.writer.append(rows(events('m0', 100))).duplicates, 100);
    assert.equal(first.writer.append(rows(events('m5', 100, 5000))).duplicates, 100);
    first.db.close();

    const second = open('midway.sqlite', smallSteps);
    for (let b = 0; b < 6; b++) assert.equal(second.writer.append(rows(events(`m${b}`, 100, b * 1000))).duplicates, 100, 'refused after the reopen');
    assert.ok(second.reader.locate('m3-7'));
    settle(second.writer);
    assert.deepEqual(second.tiers.counts(), [350, 250, 0, 0], 'the first tier is within its cap again: no move');
    // Over the cap again: the move starts over from the smallest key and takes the whole tier.
    for (let b = 6; b < 8; b++) second.writer.append(rows(events(`m${b}`, 100, b * 1000)));
    second.writer.mergeKeys();
    settle(second.writer);
    const after = second.tiers.counts();
    assert.deepEqual(after, [0, 800, 0, 0], 'the move started over and finished');
    assert.deepEqual(after, tableCounts(second.db));
    assert.ok(placements(second.db).every((n) => n === 1));
    second.db.close();
  });

  it('retention leaves dropped blocks’ keys stale: their ids are new again at once, and moves and a sweep clear them', () => {
    const { db, writer, reader, tiers } = open('retention.sqlite');
    // 2,000 events ten days ago, then 2,000 now: the older half passes through the tiers before the newer arrives.
    fill(writer, tiers, 'old', 20, -10 * DAY);
    settle(writer);
    fill(writer, tiers, 'new', 20);
    settle(writer);
    const before = tiers.counts();
    assert.ok(before.slice(1).some((n) => n > 0), `keys in deeper tiers before the pass: ${before}`);
    // The writer remembers this block's ids from the retry; the block is then dropped.
    assert.equal(writer.append(rows(events('old3', 100, -10 * DAY + 3000))).duplicates, 100);

    assert.equal(enforceRetention(db, reader, { maxAgeDays: 5 }, T0 + DAY).events, 2000);
    assert.deepEqual(tiers.counts(), before, 'no key deleted one by one');
    assert.equal(tiers.stale(), 2000);
    assert.equal(staleInTables(db), 2000, 'the stale count is the keys whose block is gone');
    assert.equal(writer.append(rows(events('old3', 100, -10 * DAY + 3000))).created, 100, 'a dropped id is new again');
    assert.equal(writer.append(rows(events('new7', 100, 7000))).duplicates, 100);

    // More keys: the moves they cause copy only live keys, and the count follows.
    fill(writer, tiers, 'late', 20, DAY / 2);
    settle(writer);
    assert.equal(tiers.stale(), staleInTables(db));
    assert.deepEqual(tiers.counts(), tableCounts(db));

    // Everything dropped: stale keys now outnumber live ones, and a sweep takes every one out.
    assert.equal(enforceRetention(db, reader, { maxAgeDays: 1 }, T0 + 10 * DAY).events, 4100);
    assert.ok(tiers.stale() > 0);
    settle(writer);
    assert.equal(tiers.stale(), 0);
    assert.equal(staleInTables(db), 0);
    assert.deepEqual(tiers.counts(), tableCounts(db));
    db.close();
  });

  it('a move copies only keys whose block still exists', () => {
    const { db, writer, reader, tiers } = open('move-purges.sqlite');
    for (let b = 0; b < 3; b++) writer.append(rows(events(`gone${b}`, 100, -10 * DAY + b * 1000)));
    writer.mergeKeys();
    assert.equal(enforceRetention(db, reader, { maxAgeDays: 5 }, T0 + DAY).events, 300);
    for (let b = 0; b < 2; b++) writer.append(rows(events(`kept${b}`, 100, b * 1000)));
    writer.mergeKeys();
    assert.deepEqual([tiers.counts(), tiers.stale()], [[500, 0, 0, 0], 300], 'the first tier over its cap, 300 keys stale');
    // The move's two steps (400 keys each at most), before any sweep could run.
    assert.ok(writer.mergeKeysIfDue() && writer.mergeKeysIfDue());
    assert.deepEqual([tiers.counts(), tiers.stale(), staleInTables(db)], [[0, 200, 0, 0], 0, 0], 'the live 200 moved, the stale 300 left behind');
    assert.equal(writer.mergeKeysIfDue(), false, 'nothing left to move or sweep');
    assert.equal(writer.append(rows(events('kept1', 100, 1000))).duplicates, 100);
    db.close();
  });

  it('a stale count no key answers to is cleared by one sweep, not swept again on every call', () => {
    const { db, writer, tiers } = open('phantom.sqlite');
    writer.append(rows(events('live', 100)));
    writer.mergeKeys();
    db.transaction(() => tiers.forgotten(150))(); // more than the live keys: a sweep is due, and finds nothing
    settle(writer);
    assert.deepEqual([tiers.counts(), tiers.stale()], [[100, 0, 0, 0], 0]);
    assert.equal(writer.mergeKeysIfDue(), false);
    assert.equal(writer.append(rows(events('live', 100))).duplicates, 100);
    db.close();
  });

  it('keeps counting right when a move takes stale keys out in the middle of a sweep', () => {
    const { db, writer, reader, tiers } = open('sweep-and-move.sqlite', { caps: [1000, 1e6, 1e6, Infinity], step: 100, share: 1 });
    const batches = (prefix: string, n: number, offsetMs: number) => {
      for (let b = 0; b < n; b++) writer.append(rows(events(`${prefix}${b}`, 100, offsetMs + b * 1000)));
      writer.mergeKeys();
    };
    const dropOld = () => enforceRetention(db, reader, { maxAgeDays: 5 }, T0 + DAY).events;
    batches('live', 5, 0);
    batches('old', 5, -10 * DAY);
    assert.equal(dropOld(), 500); // 500 stale, 500 live: a sweep is due
    for (let i = 0; i < 3; i++) assert.ok(writer.mergeKeysIfDue(), 'a sweep step');
    batches('new', 2, DAY / 2); // the first tier over its cap: its move goes first, taking the stale keys left in it
    while (tiers.counts()[0]! > 0) assert.ok(writer.mergeKeysIfDue(), 'a move step');
    assert.ok(writer.mergeKeysIfDue(), 'the sweep goes on past the first tier');
    batches('late', 1, -10 * DAY + 60_000);
    assert.equal(dropOld(), 100); // stale behind the sweep: it will not find them
    settle(writer);
    assert.deepEqual([tiers.stale(), staleInTables(db)], [100, 100], 'the count still says what the tables hold');
    db.close();
  });

  it('a file from before the tiers opens with its keys counted in the first tier', () => {
    const before = open('v7.sqlite');
    before.writer.append(rows(events('v7', 120)));
    before.writer.mergeKeys();
    // Made into the file version 7 wrote: no tier tables but the first, no counts.
    before.db.exec(`DROP TABLE event_ids_2; DROP TABLE event_ids_3; DROP TABLE event_ids_4; DROP INDEX blocks_max_seq; DELETE FROM store_state WHERE name LIKE 'id_keys_%'`);
    before.db.pragma('user_version = 7');
    before.db.close();
    const { db, writer, tiers } = open('v7.sqlite');
    assert.deepEqual(tiers.counts(), [120, 0, 0, 0]);
    assert.equal(writer.append(rows(events('v7', 120))).duplicates, 120);
    db.close();
  });
});
