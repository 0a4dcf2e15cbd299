/**
 * The embedded store's event-id set in two levels (blocks/id-index.ts): recent blocks' keys held in the writer's memory
 * and merged into `event_ids` in bulk. Idempotency must hold at every point — before a merge, after it, across a
 * reopen (memory rebuilt from the blocks), across two connections — and lookups by id must find events either side of
 * the mark. On the real SQLite engine, with a low merge threshold so merges happen within a test.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BlockLogStore, migrate, openDatabase } from '../src/index.js';
import { BlockReader } from '../src/blocks/reader.js';
import { BlockWriter } from '../src/blocks/writer.js';
import { MERGE_AT_BLOCKS } from '../src/blocks/id-index.js';
import { idSetEvents } from './id-set-events.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-id-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-06-30T12:00:00Z');

const { events, rows } = idSetEvents(T0, 'ids.test');

function open(name: string, mergeAt?: number) {
  const db = openDatabase({ path: join(dir, name) });
  migrate(db);
  return { db, writer: new BlockWriter(db, mergeAt), reader: new BlockReader(db) };
}

const merged = (db: ReturnType<typeof openDatabase>) => db.prepare('SELECT count(*) FROM event_ids').pluck().get() as number;
const mark = (db: ReturnType<typeof openDatabase>) =>
  db.prepare("SELECT value FROM store_state WHERE name = 'keys_merged_upto'").pluck().get() as number;

describe('embedded store id set in two levels', () => {
  it('keeps new keys in memory until the threshold, then merges them into event_ids and raises the mark', () => {
    const { db, writer } = open('threshold.sqlite', 250);
    assert.equal(writer.append(rows(events('a', 200))).created, 200);
    assert.equal(merged(db), 0, 'below the threshold nothing is written to event_ids');
    assert.equal(writer.pendingKeys, 200);
    assert.equal(writer.mergeKeysIfDue(), false);
    assert.equal(writer.append(rows(events('b', 100))).created, 100);
    assert.equal(writer.mergeKeysIfDue(), true);
    assert.equal(merged(db), 300);
    assert.equal(writer.pendingKeys, 0);
    assert.equal(mark(db), db.prepare('SELECT max(id) FROM blocks').pluck().get());
    db.close();
  });

  it('merges once many small blocks are pending, whatever their keys (a lookup by id probes each such block)', () => {
    const { db, writer } = open('small-blocks.sqlite', 1_000_000);
    for (let i = 0; i < MERGE_AT_BLOCKS - 1; i++) writer.append(rows(events(`s${i}`, 1)));
    assert.equal(writer.mergeKeysIfDue(), false);
    writer.append(rows(events('last', 1)));
    assert.equal(writer.mergeKeysIfDue(), true);
    assert.equal(merged(db), MERGE_AT_BLOCKS);
    assert.equal(writer.append(rows(events('s7', 1))).duplicates, 1);
    db.close();
  });

  it('answers duplicate for ids on either side of the mark, and for repeats inside one batch', () => {
    const { db, writer } = open('either-side.sqlite', 100);
    writer.append(rows(events('old', 150)));
    assert.ok(writer.mergeKeysIfDue());
    writer.append(rows(events('new', 50)));
    assert.equal(writer.pendingKeys, 50);
    const retry = writer.append(rows([...events('old', 150), ...events('new', 50), ...events('fresh', 3), ...events('fresh', 3)]));
    assert.deepEqual({ created: retry.created, duplicates: retry.duplicates }, { created: 3, duplicates: 203 });
    db.close();
  });

  it('answers duplicate for ids a batch shares with an earlier batch of the same commit', () => {
    const { db, writer } = open('one-commit.sqlite', 1000);
    writer.append(rows(events('seen', 5)));
    const [first, second] = writer.appendMany([rows([...events('seen', 5), ...events('x', 4)]), rows([...events('x', 4), ...events('y', 2)])]);
    assert.deepEqual([first!.created, first!.duplicates, second!.created, second!.duplicates], [4, 5, 2, 4]);
    db.close();
  });

  it('forgets what a rolled-back append added: the next block may take the same id, and a merge stores only its keys', () => {
    const { db, writer } = open('rollback.sqlite', 1_000_000);
    // A batch of two streams whose second block is refused inside the transaction: the first block's insert (and
    // the keys the writer noted for it) must be undone with it.
    db.exec("CREATE TRIGGER refuse_boom BEFORE INSERT ON blocks WHEN NEW.stream = 'boom' BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
    const boom = events('b', 2).map((e) => ({ ...e, event: { ...e.event, dataset: 'boom' } })) as Event[];
    const lastBlock = () => db.prepare('SELECT coalesce(max(id), 0) FROM blocks').pluck().get() as number;
    const before = lastBlock();
    assert.throws(() => writer.append(rows([...events('gone', 3), ...boom])), /boom refused/);
    assert.equal(writer.pendingKeys, 0);
    assert.equal(writer.append(rows(events('kept', 4))).created, 4);
    assert.equal(lastBlock(), before + 1, 'the new block took the id the rolled-back one had');
    assert.equal(writer.append(rows(events('gone', 3))).created, 3, 'the rolled-back events were never stored');
    writer.mergeKeys();
    assert.equal(merged(db), 7);
    assert.equal(writer.append(rows([...events('kept', 4), ...events('gone', 3)])).duplicates, 7);
    db.close();
  });

  it('rebuilds the pending keys from the blocks after a reopen (nothing acknowledged depends on memory)', () => {
    const path = 'reopen.sqlite';
    const first = open(path, 1000);
    first.writer.append(rows(events('p', 300)));
    assert.equal(merged(first.db), 0);
    first.db.close();
    const second = open(path, 1000);
    assert.equal(second.writer.pendingKeys, 300, 'read back from the blocks above the mark');
    assert.equal(second.writer.append(rows(events('p', 300))).duplicates, 300);
    second.db.close();
  });

  it('sees blocks another connection wrote, and blocks it merged, as duplicates', () => {
    const path = 'two.sqlite';
    const a = open(path, 10_000);
    const b = open(path, 10_000);
    a.writer.append(rows(events('by-a', 120)));
    assert.equal(b.writer.append(rows(events('by-a', 120))).duplicates, 120, 'B reads A’s pending block');
    b.writer.mergeKeys();
    assert.equal(merged(b.db), 120);
    assert.equal(a.writer.append(rows(events('by-a', 120))).duplicates, 120, 'A after B merged');
    assert.equal(a.writer.pendingKeys, 0, 'A dropped what B merged');
    a.db.close();
    b.db.close();
  });

  it('finds an event by id whether its key is merged or pending', () => {
    const { db, writer, reader } = open('locate.sqlite', 100);
    writer.append(rows(events('m', 120)));
    writer.mergeKeysIfDue();
    writer.append(rows(events('q', 10, 60_000)));
    const found = reader.locate('m-7');
    assert.equal(found?.view.column('"event","id"')?.[found.row], 'm-7', 'merged: found through event_ids');
    assert.ok(reader.locate('q-3'), 'pending: found through the filters of blocks above the mark');
    assert.equal(reader.locate('q-99'), null);
    const long = `x${'y'.repeat(400)}`;
    writer.append(rows([{ '@timestamp': new Date(T0).toISOString(), event: { id: long, dataset: 'ids.test' }, message: 'long id' } as Event]));
    assert.ok(reader.locate(long), 'an id too long for the filter is still found');
    db.close();
  });

  it("through the store's writer thread: repeats refused before and after a reopen", async () => {
    const path = join(dir, 'thread.sqlite');
    const store = new BlockLogStore({ path, writer: 'thread' });
    await store.init();
    assert.equal((await store.append(events('t', 500))).created, 500);
    assert.equal((await store.append(events('t', 500))).duplicates, 500);
    await store.close();
    const again = new BlockLogStore({ path, writer: 'thread' });
    await again.init();
    assert.equal((await again.append(events('t', 500))).duplicates, 500);
    assert.equal((await again.get('t-42'))?.event.id, 't-42');
    await again.close();
  });
});
