/**
 * Reading the block store: the catalog in time order, block views (cached: a page, then the next page, read the same
 * newest blocks), filters, and finding a stored event by id.
 */
import type Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite/schema.js';
import { Bloom, valueHash, valueProbe } from './bloom.js';
import { MAX_FILTERED_VALUE } from './build.js';
import { DirectoryCache, FieldNames, type BlockRow } from './catalog.js';
import { idKey } from './hash.js';
import { mergedUpto } from './id-index.js';
import { blocksOfKey } from './id-tiers.js';
import { BlockView } from './view.js';
import { ID_COLUMN } from './writer.js';

const BLOCK_COLUMNS = 'id, stream, rows, min_ts, max_ts, min_seq, max_seq, bytes, schema';
/** What a scan reads per block: the directory (the largest part) comes from the cache, or once per block. */
const SCAN_COLUMNS = 'id, stream, rows, min_ts, max_ts, min_seq, max_seq, bytes';
/** Filters kept in memory (bytes): needle searches probe every block's filter, and filters never change. */
const FILTER_CACHE_BYTES = 64 * 1024 * 1024;
/** Views kept decoded; each holds at most a block's decompressed columns (a few MB). */
const VIEW_CACHE = 24;
/**
 * Unpacked timestamp columns kept (8 bytes per event: 16 MiB holds two million events' times). Histograms read only
 * times, and the explorer asks for the same range's histogram again on every refresh and brush.
 */
const TIMES_CACHE_BYTES = 16 * 1024 * 1024;

/** Where an event is: its block opened for reading, and its row. */
export interface Located {
  view: BlockView;
  row: number;
}

export class BlockReader {
  readonly names: FieldNames;
  private readonly directories: DirectoryCache;
  private readonly views = new Map<number, BlockView>();
  private readonly filters = new Map<number, Bloom>();
  private filterBytes = 0;
  private readonly times = new Map<number, Float64Array>();
  private timesBytes = 0;
  private readonly newestFirst: Database.Statement<[number, number], BlockRow>;
  private readonly oldestFirst: Database.Statement<[number, number], BlockRow>;
  private readonly byId: Database.Statement<[number], BlockRow>;
  private readonly blocksWithKey: Database.Statement<[{ key: number }], { block: number }>;
  private readonly mergedUpto: Database.Statement<[], number>;
  private readonly blocksAbove: Database.Statement<[number], { id: number; schema: string }>;
  private readonly parts: Database.Statement<[number], { ts: Buffer; seqs: Buffer }>;
  private readonly column: Database.Statement<[number, number], { data: Buffer }>;
  private readonly filterOf: Database.Statement<[number], { bits: Buffer }>;

  constructor(readonly db: SqliteDatabase) {
    this.names = new FieldNames(db);
    const schemaOf = db.prepare<[number], string>('SELECT schema FROM blocks WHERE id = ?').pluck();
    this.directories = new DirectoryCache(this.names, undefined, (id) => schemaOf.get(id));
    this.newestFirst = db.prepare(`SELECT ${SCAN_COLUMNS} FROM blocks WHERE max_ts >= ? AND min_ts < ? ORDER BY max_ts DESC, id DESC`);
    this.oldestFirst = db.prepare(`SELECT ${SCAN_COLUMNS} FROM blocks WHERE max_ts >= ? AND min_ts < ? ORDER BY min_ts ASC, id ASC`);
    this.byId = db.prepare(`SELECT ${BLOCK_COLUMNS} FROM blocks WHERE id = ?`);
    this.blocksWithKey = blocksOfKey(db);
    this.mergedUpto = mergedUpto(db);
    this.blocksAbove = db.prepare('SELECT id, schema FROM blocks WHERE id > ? ORDER BY id DESC');
    this.parts = db.prepare('SELECT ts, seqs FROM blocks WHERE id = ?');
    this.column = db.prepare('SELECT data FROM block_columns WHERE block = ? AND col = ?');
    this.filterOf = db.prepare('SELECT bits FROM block_filters WHERE block = ?');
  }

  /** Blocks that may hold events in `[from, to)`: newest last event first, or oldest first event first. */
  blocks(from: number, to: number, order: 'asc' | 'desc'): IterableIterator<BlockRow> {
    return (order === 'desc' ? this.newestFirst : this.oldestFirst).iterate(from, to);
  }

  block(id: number): BlockRow | undefined {
    return this.byId.get(id);
  }

  directory(block: Pick<BlockRow, 'id' | 'schema'>) {
    return this.directories.of(block);
  }

  view(block: BlockRow): BlockView {
    let view = this.views.get(block.id);
    if (view) {
      this.views.delete(block.id); // re-insert: Map order is the least-recently-used order
    } else {
      view = new BlockView(block, this.directories.of(block), this.parts, this.column);
      if (this.views.size >= VIEW_CACHE) this.views.delete(this.views.keys().next().value!);
    }
    this.views.set(block.id, view);
    return view;
  }

  filter(blockId: number): Bloom | null {
    const cached = this.filters.get(blockId);
    if (cached) return cached;
    const row = this.filterOf.get(blockId);
    if (!row) return null;
    const bloom = new Bloom(row.bits);
    this.filters.set(blockId, bloom);
    this.filterBytes += row.bits.byteLength;
    // Oldest-inserted first out (a Map keeps insertion order): cheap, and a needle search touches every block anyway.
    while (this.filterBytes > FILTER_CACHE_BYTES && this.filters.size > 1) {
      const [id, dropped] = this.filters.entries().next().value!;
      this.filters.delete(id);
      this.filterBytes -= dropped.bytes;
    }
    return bloom;
  }

  /**
   * The blocks that may hold `id`: those the id set's tiers name for its key (`id-tiers.ts`; a block since dropped is
   * skipped by the caller), then the blocks above the merge mark whose filter may hold it in their `event.id` column
   * (their keys are only in their writer's memory: `id-index.ts`).
   */
  private *blocksMayHold(id: string): Generator<number> {
    for (const { block } of this.blocksWithKey.all({ key: idKey(id) })) yield block;
    const probeHash = id.length <= MAX_FILTERED_VALUE ? valueHash(id) : undefined;
    for (const row of this.blocksAbove.all(this.mergedUpto.get() ?? 0)) {
      const index = this.directories.of(row).get(ID_COLUMN);
      if (index === undefined) continue;
      if (probeHash === undefined) {
        yield row.id; // an id too long for the filter was never put in it: every such block is read
        continue;
      }
      const filter = this.filter(row.id);
      if (!filter || filter.has(valueProbe(probeHash, index))) yield row.id;
    }
  }

  /** The stored event with this id, as its block and row; null when there is none. */
  locate(id: string): Located | null {
    for (const block of this.blocksMayHold(id)) {
      const row = this.block(block);
      if (!row) continue;
      const view = this.view(row);
      const ids = view.column(ID_COLUMN);
      const at = ids ? ids.indexOf(id) : -1;
      if (at >= 0) return { view, row: at };
    }
    return null;
  }

  /** A block's timestamps, in row order (cached apart from its view: see `TIMES_CACHE_BYTES`). */
  timestamps(block: BlockRow): Float64Array {
    let ts = this.times.get(block.id);
    if (ts) return ts;
    ts = this.view(block).ts();
    this.times.set(block.id, ts);
    this.timesBytes += ts.byteLength;
    while (this.timesBytes > TIMES_CACHE_BYTES && this.times.size > 1) {
      const [id, dropped] = this.times.entries().next().value!;
      this.times.delete(id);
      this.timesBytes -= dropped.byteLength;
    }
    return ts;
  }

  /** A block was deleted (retention): drop what is cached about it. */
  forget(blockId: number): void {
    this.views.delete(blockId);
    const ts = this.times.get(blockId);
    if (ts) {
      this.times.delete(blockId);
      this.timesBytes -= ts.byteLength;
    }
    const bloom = this.filters.get(blockId);
    if (bloom) {
      this.filters.delete(blockId);
      this.filterBytes -= bloom.bytes;
    }
    this.directories.forget(blockId);
  }

  /** Forget every cached view (after retention ran on another connection). */
  clear(): void {
    this.views.clear();
  }
}
