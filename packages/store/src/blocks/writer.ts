/**
 * The block store's write path, shared by the in-process writer and the writer thread: one IMMEDIATE transaction per
 * appended batch, committed (fsync'd with `synchronous` FULL) before the caller hears back, so an acknowledged event
 * is durable and a crash leaves the previous commit (docs/ARCHITECTURE.md, "The embedded log store").
 *
 * Idempotency: every stored id has a 53-bit key in `event_ids` with the blocks holding it; a key hit is checked
 * against the block's own `event.id` column, so a key collision can never drop an event.
 */
import type Database from 'better-sqlite3';
import type { AppendResult, AppendStatus, SerializedEvent } from '../port.js';
import type { SqliteDatabase } from '../sqlite/schema.js';
import { buildBlock, type BuiltBlock, type NewRow } from './build.js';
import { DirectoryCache, encodeDirectory, FieldNames } from './catalog.js';
import { columnNameOf, decodeColumn } from './columns.js';
import { unpackText } from './codec.js';
import { idKey } from './hash.js';

/** Most rows in one block; a larger batch of one stream becomes several blocks. */
export const MAX_BLOCK_ROWS = 8192;
export const ID_COLUMN = columnNameOf(['event', 'id']);

type Statement<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

export class BlockWriter {
  private readonly names: FieldNames;
  private readonly directories: DirectoryCache;
  private readonly blocksWithKey: Statement<[number], { block: number }>;
  private readonly blockSchema: Statement<[number], { id: number; schema: string; rows: number }>;
  private readonly columnData: Statement<[number, number], { data: Buffer }>;
  private readonly nextSeq: Statement<[], { value: number }>;
  private readonly setNextSeq: Statement<[number]>;
  private readonly insertBlock: Statement;
  private readonly insertColumn: Statement;
  private readonly insertFilter: Statement;
  private readonly insertKey: Statement;
  /** Id sets of recently checked blocks: a retried batch checks one block many times. */
  private readonly idSets = new Map<number, Set<string>>();
  private readonly batch: Database.Transaction<(rows: readonly SerializedEvent[]) => AppendResult>;

  constructor(db: SqliteDatabase) {
    this.names = new FieldNames(db);
    this.directories = new DirectoryCache(this.names, 256);
    this.blocksWithKey = db.prepare('SELECT block FROM event_ids WHERE key = ?');
    this.blockSchema = db.prepare('SELECT id, schema, rows FROM blocks WHERE id = ?');
    this.columnData = db.prepare('SELECT data FROM block_columns WHERE block = ? AND col = ?');
    this.nextSeq = db.prepare("SELECT value FROM store_state WHERE name = 'next_seq'");
    this.setNextSeq = db.prepare("UPDATE store_state SET value = ? WHERE name = 'next_seq'");
    this.insertBlock = db.prepare(
      'INSERT INTO blocks (stream, rows, min_ts, max_ts, min_seq, max_seq, bytes, schema, ts, seqs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertColumn = db.prepare('INSERT INTO block_columns (block, col, data) VALUES (?, ?, ?)');
    this.insertFilter = db.prepare('INSERT INTO block_filters (block, bits) VALUES (?, ?)');
    this.insertKey = db.prepare('INSERT OR IGNORE INTO event_ids (key, block) VALUES (?, ?)');
    this.batch = db.transaction((rows: readonly SerializedEvent[]) => this.appendInTransaction(rows));
  }

  /** Store a batch atomically; each row `created` or `duplicate` (the first copy of an id in the batch wins). */
  append(rows: readonly SerializedEvent[]): AppendResult {
    if (rows.length === 0) return { statuses: [], created: 0, duplicates: 0 };
    try {
      return this.batch.immediate(rows);
    } catch (err) {
      this.names.reload(); // ids handed out inside the rolled-back transaction are gone
      this.idSets.clear();
      throw err;
    }
  }

  /** Store rows that already have arrival numbers (moving the old layout's events); no duplicate check. */
  insertNumbered(stream: string, rows: readonly NewRow[]): void {
    for (let start = 0; start < rows.length; start += MAX_BLOCK_ROWS) this.insert(buildBlock(stream, rows.slice(start, start + MAX_BLOCK_ROWS)));
  }

  private appendInTransaction(rows: readonly SerializedEvent[]): AppendResult {
    const statuses: AppendStatus[] = new Array(rows.length);
    const seen = new Set<string>();
    const streams = new Map<string, NewRow[]>();
    let seq = this.nextSeq.get()!.value;
    let created = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      if (seen.has(row.id) || this.stored(row.id)) {
        statuses[i] = 'duplicate';
        continue;
      }
      seen.add(row.id);
      statuses[i] = 'created';
      created++;
      const stream = row.dataset ?? '';
      let group = streams.get(stream);
      if (!group) streams.set(stream, (group = []));
      group.push({ id: row.id, ts: row.ts, seq: seq++, doc: JSON.parse(row.doc) as Record<string, unknown> });
    }
    for (const [stream, group] of streams) this.insertNumbered(stream, group);
    this.setNextSeq.run(seq);
    return { statuses, created, duplicates: rows.length - created };
  }

  private insert(block: BuiltBlock): void {
    const schema = encodeDirectory(block.schema, this.names);
    const id = Number(
      this.insertBlock.run(block.stream, block.rows, block.minTs, block.maxTs, block.minSeq, block.maxSeq, block.bytes, schema, block.ts, block.seqs)
        .lastInsertRowid,
    );
    for (let col = 0; col < block.data.length; col++) this.insertColumn.run(id, col, block.data[col]);
    this.insertFilter.run(id, block.filter);
    for (const key of block.idKeys) this.insertKey.run(key, id);
  }

  /** Is `id` in a stored block? Key hits are confirmed against the block's ids. */
  private stored(id: string): boolean {
    for (const { block } of this.blocksWithKey.all(idKey(id))) {
      if (this.idsOf(block).has(id)) return true;
    }
    return false;
  }

  private idsOf(block: number): Set<string> {
    let ids = this.idSets.get(block);
    if (ids) return ids;
    ids = new Set();
    const row = this.blockSchema.get(block);
    const index = row ? this.directories.of(row).get(ID_COLUMN) : undefined;
    const data = row && index !== undefined ? this.columnData.get(block, index) : undefined;
    if (row && data) for (const cell of decodeColumn(unpackText(data.data), row.rows)) if (typeof cell === 'string') ids.add(cell);
    if (this.idSets.size >= 16) this.idSets.delete(this.idSets.keys().next().value!);
    this.idSets.set(block, ids);
    return ids;
  }
}
