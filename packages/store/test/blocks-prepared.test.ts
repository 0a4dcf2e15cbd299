/**
 * Batches laid out where their events were decoded (`ColumnBatchBuilder`, `appendColumns`: the collector's path) must
 * store exactly what JSON rows (`appendSerialized`) store: the whole contract suite runs through them, and the stored
 * tables of both paths are compared byte for byte — for new events, and for batches holding stored and repeated ids,
 * which the writer lays out again from the batch's columns.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BlockLogStore, ColumnBatchBuilder, eventToRow, parseQuery, type AppendResult, type ColumnBatch } from '../src/index.js';
import { BlockReader } from '../src/blocks/reader.js';
import { FIXTURE, pagingEvents } from './contract/fixtures.js';
import { runLogStoreContract, searchAll } from './contract/logstore-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-prepared-'));
let n = 0;
const dbPath = () => join(dir, `prepared-${++n}.sqlite`);
after(() => rmSync(dir, { recursive: true, force: true }));

function columnsOf(events: readonly Event[]): ColumnBatch {
  const builder = new ColumnBatchBuilder();
  events.forEach((event, i) => builder.add(event, i));
  return builder.finish();
}

/** The block store with every `append` sent as a laid-out batch, as the collector sends them. */
class ColumnAppendingStore extends BlockLogStore {
  override async append(events: Event[]): Promise<AppendResult> {
    return this.appendColumns(columnsOf(events));
  }
}

runLogStoreContract('embedded blocks, laid-out batches (file)', async () => new ColumnAppendingStore({ path: dbPath() }));
runLogStoreContract('embedded blocks, laid-out batches (file, writer thread)', async () => new ColumnAppendingStore({ path: dbPath(), writer: 'thread' }));

/** Every stored table of the block layout, in a comparable form. */
function tables(store: BlockLogStore): Record<string, unknown[]> {
  const db = store.database;
  return {
    blocks: db.prepare('SELECT * FROM blocks ORDER BY id').all(),
    columns: db.prepare('SELECT * FROM block_columns ORDER BY block, col').all(),
    filters: db.prepare('SELECT * FROM block_filters ORDER BY block').all(),
    ids: db.prepare('SELECT * FROM event_ids ORDER BY key, block').all(),
    state: db.prepare('SELECT * FROM store_state ORDER BY name').all(),
  };
}

/**
 * The same batches through both paths, on two fresh files: the same answers and the same stored events. `exact`: the
 * same stored bytes too. A block the writer lays out again (a batch holding stored or repeated ids) has its documents
 * rebuilt from columns, whose key order is the block's column order, so only its bytes may differ (the store keeps
 * no key order: reads rebuild documents the same way).
 */
async function sameBothWays(batches: Event[][], exact: boolean): Promise<void> {
  const rows = new BlockLogStore({ path: dbPath() });
  const columns = new BlockLogStore({ path: dbPath() });
  await rows.init();
  await columns.init();
  for (const batch of batches) {
    const viaRows = await rows.appendSerialized(batch.map((event, i) => eventToRow(event, i)));
    const viaColumns = await columns.appendColumns(columnsOf(batch));
    assert.deepEqual(viaColumns, viaRows);
  }
  if (exact) assert.deepEqual(tables(columns), tables(rows));
  const everything = async (store: BlockLogStore) => searchAll(store, { query: parseQuery(''), size: 500, sort: 'asc' });
  assert.deepEqual(await everything(columns), await everything(rows));
  for (const id of new Set(batches.flat().map((event) => event.event.id))) assert.deepEqual(await columns.get(id), await rows.get(id), id);
  await rows.close();
  await columns.close();
}

const copy = <T>(value: T): T => structuredClone(value);

describe('laid-out batches', () => {
  it('store exactly what JSON rows store, for new events of several streams', async () => {
    await sameBothWays([copy(FIXTURE), pagingEvents(1500, 'a'), pagingEvents(10, 'b')], true);
  });

  it('store exactly what JSON rows store when a batch holds stored ids and repeats its own', async () => {
    const first = pagingEvents(40, 'p');
    const mixed = [...pagingEvents(60, 'p').slice(20), ...copy(FIXTURE), copy(FIXTURE[2]!), ...pagingEvents(5, 'q')];
    await sameBothWays([first, copy(FIXTURE).slice(0, 3), mixed, copy(mixed)], false);
  });

  it('store what JSON rows store when streams interleave, times run backwards and a stream spans several blocks', async () => {
    // A request's events are grouped by stream and cut into blocks by time (sorted, at gaps and at the row limit):
    // each block must hold exactly its own rows, and only the columns they have values in.
    const base = Date.parse('2026-03-01T00:00:00.000Z');
    const batch: Event[] = [];
    for (let i = 0; i < 1300; i++) {
      const late = i % 7 === 3 ? 120_000 : 0; // a second run of times, two minutes on: a block of its own
      const ms = base + late + (1300 - i) * 10; // arriving newest first
      const stream = i % 3 === 0 ? 'interleave.b' : 'interleave.a';
      const fields: Record<string, unknown> = i % 7 === 3 ? { late: { only: `l${i}` } } : { early: i % 2 ? 'odd' : 'even' };
      if (i % 5 === 0) fields.sometimes = [i, `s${i}`];
      batch.push({ '@timestamp': new Date(ms).toISOString(), event: { id: `il-${i}`, dataset: stream }, message: `line ${i}`, ...fields } as Event);
    }
    await sameBothWays([batch], false);
    const store = new BlockLogStore({ path: dbPath() });
    await store.init();
    await store.appendColumns(columnsOf(copy(batch)));
    const blocks = store.database.prepare('SELECT id, stream, rows, min_ts, max_ts, schema FROM blocks ORDER BY id').all() as Array<{ id: number; stream: string; rows: number; min_ts: number; max_ts: number; schema: string }>;
    const reader = new BlockReader(store.database);
    assert.equal(blocks.reduce((sum, block) => sum + block.rows, 0), 1300);
    assert.ok(blocks.length >= 4, `${blocks.length} blocks`);
    for (const block of blocks) {
      const isLate = block.min_ts >= base + 120_000;
      assert.equal(block.max_ts - block.min_ts < 60_000, true);
      // The late rows' column only in late blocks, the early rows' only in early ones.
      const names = [...reader.directory(block).keys()];
      assert.equal(names.includes('"late","only"'), isLate, `${block.stream} ${block.min_ts}: ${names.join(' ')}`);
      assert.equal(names.includes('"early"'), !isLate, `${block.stream} ${block.min_ts}: ${names.join(' ')}`);
    }
    await store.close();
  });

  it('are answered in batch order on the writer thread too, duplicates included', async () => {
    const store = new BlockLogStore({ path: dbPath(), writer: 'thread' });
    await store.init();
    assert.equal((await store.appendColumns(columnsOf(copy(FIXTURE)))).created, FIXTURE.length);
    const again = await store.appendColumns(columnsOf([...pagingEvents(3, 'n'), ...copy(FIXTURE).slice(0, 2)]));
    assert.deepEqual(again.statuses, ['created', 'created', 'created', 'duplicate', 'duplicate']);
    assert.deepEqual(await store.get('e4'), FIXTURE[3]);
    await store.close();
  });

  it('reach the writer thread without their ids: a key shared by different ids or repeated in a batch is decided by the ids read from the blocks', async () => {
    const store = new BlockLogStore({ path: dbPath(), writer: 'thread' });
    await store.init();
    const [a, b, c] = pagingEvents(3, 'k');
    assert.equal((await store.appendColumns(columnsOf([a!]))).created, 1);
    // `b` forged to `a`'s key (stored) and `c` to `b`'s (earlier in the batch); `b` itself again at the end.
    const batch = columnsOf(copy([b!, c!, b!]));
    const storedKey = columnsOf([a!]).keys[0]!;
    batch.keys[0] = storedKey;
    batch.keys[1] = storedKey;
    batch.keys[2] = storedKey;
    const result = await store.appendColumns(batch);
    assert.deepEqual(result.statuses, ['created', 'created', 'duplicate']);
    assert.deepEqual(result, { statuses: ['created', 'created', 'duplicate'], created: 2, duplicates: 1 });
    assert.deepEqual((await searchAll(store, { query: parseQuery(''), size: 10, sort: 'asc' })).map((e) => e.event.id).sort(), [a, b, c].map((e) => e!.event.id).sort());
    await store.close();
  });

  it('refuse an event without event.id or @timestamp as eventToRow does, taking the others', () => {
    const builder = new ColumnBatchBuilder();
    const noId = { ...copy(FIXTURE[0]!), event: { dataset: 'x' } } as never;
    const badTime = { ...copy(FIXTURE[1]!), '@timestamp': 'yesterday' } as never;
    assert.throws(() => builder.add(noId, 0), { code: 'BWK_INGEST_BAD_FIELD', details: { index: 0, field: 'event.id' } });
    assert.throws(() => eventToRow(noId, 0), { code: 'BWK_INGEST_BAD_FIELD', details: { index: 0, field: 'event.id' } });
    assert.throws(() => builder.add(badTime, 1), { code: 'BWK_INGEST_BAD_FIELD', details: { index: 1, field: '@timestamp' } });
    builder.add(copy(FIXTURE[2]!), 2);
    assert.deepEqual(builder.finish().ids, ['e3']);
  });
});
