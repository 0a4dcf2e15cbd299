/**
 * The event-id set behind idempotent appends, in two levels (docs/ARCHITECTURE.md, "The embedded log store"):
 *
 * - the tiers (SQLite tables key → block, `id-tiers.ts`) hold the keys of every block up to the `keys_merged_upto`
 *   mark;
 * - the keys of newer blocks are held in memory by each writer, and only merged in bulk, sorted, into the first tier
 *   (`event_ids`) once `MERGE_AT_KEYS` of them have gathered.
 *
 * Why: keys are hashes, so a commit of 1,000 new keys into one B-tree dirtied most of its leaf pages — measured 2.2 KB
 * written per event at 200,000 stored events and 5.1 KB at 800,000, the writer's largest cost, growing with the store.
 * Merging a quarter of a million sorted keys at once writes each leaf page once per merge instead of once per commit,
 * as log-structured stores merge their runs; and the tiers keep each merge to a bounded slice of the set whatever
 * its size.
 *
 * Durability needs nothing new: a block is the truth about its ids (its `event.id` column), and the pending level is
 * rebuilt at open from the blocks above the mark. Everything the memory holds is only a hint confirmed against the
 * block's own ids, so a stale entry (a block another connection dropped or merged) costs a lookup, never an event.
 */
import type Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite/schema.js';
import { DirectoryCache, type FieldNames } from './catalog.js';
import { decodeColumn, columnNameOf, PRESENCE_DATA, PresenceTable } from './columns.js';
import { unpackText } from './codec.js';
import { idKey } from './hash.js';
import { IdTiers, keysInTiers, type TierOptions } from './id-tiers.js';
import { KeyTable } from './key-table.js';

/** Pending blocks that trigger a merge whatever their keys: bounds the blocks a lookup by id probes one by one. */
export const MERGE_AT_BLOCKS = 2_000;

/** Key/block pairs per insert statement when merging. */
const MERGE_CHUNK = 200;

/** Pending keys that trigger a merge into `event_ids`: ~10 MB of memory at most, and a merge of a few hundred ms. */
export const MERGE_AT_KEYS = 250_000;

const ID_COLUMN = columnNameOf(['event', 'id']);

type Statement<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

/** The `keys_merged_upto` mark: blocks with a larger id have their keys outside `event_ids`. */
export function mergedUpto(db: SqliteDatabase): Statement<[], number> {
  return db.prepare<[], number>("SELECT value FROM store_state WHERE name = 'keys_merged_upto'").pluck();
}

/** Reads a stored block's ids from its `event.id` column. */
export class BlockIds {
  private readonly directories: DirectoryCache;
  private readonly blockRow: Statement<[number], { id: number; schema: string; rows: number }>;
  private readonly columnData: Statement<[number, number], { data: Buffer }>;

  constructor(db: SqliteDatabase, names: FieldNames) {
    this.directories = new DirectoryCache(names, 256);
    this.blockRow = db.prepare('SELECT id, schema, rows FROM blocks WHERE id = ?');
    this.columnData = db.prepare('SELECT data FROM block_columns WHERE block = ? AND col = ?');
  }

  /** The block's ids in row order; null when the block is gone. */
  of(block: number): string[] | null {
    const row = this.blockRow.get(block);
    if (!row) return null;
    const index = this.directories.of(row).get(ID_COLUMN);
    const data = index === undefined ? undefined : this.columnData.get(block, index);
    if (!data) return [];
    // Every event has an id, so this column is never sparse; the table is read only if it were.
    const presence = (): number[][] => {
      const table = this.columnData.get(block, PRESENCE_DATA);
      if (!table) throw new Error(`block ${block} has no presence table`);
      return PresenceTable.parse(unpackText(table.data));
    };
    return decodeColumn(unpackText(data.data), row.rows, presence).map((cell) => (typeof cell === 'string' ? cell : ''));
  }
}

/** A writer's view of the id set: `event_ids` plus the keys of the blocks above the mark, in memory. */
export class IdIndex {
  /** key → the pending blocks holding it. */
  private readonly pending = new KeyTable();
  /** Each pending block's keys, to drop them once merged. */
  private readonly pendingBlocks = new Map<number, Float64Array>();
  private keyCount = 0;
  /** Every block up to here is either pending in memory or below the mark. */
  private seenUpto = 0;
  private mark = 0;
  private readonly readMark: Statement<[], number>;
  private readonly setMark: Statement<[number]>;
  private readonly blocksAbove: Statement<[number], { id: number }>;
  private readonly mergedKeys: (keys: string) => Array<{ key: number; block: number }>;
  private readonly tiers: IdTiers;
  private readonly insertKeys: Statement<number[]>;
  private readonly insertKey: Statement<[number, number]>;
  private readonly ids: BlockIds;
  private readonly mergeAll: Database.Transaction<() => void>;

  constructor(
    db: SqliteDatabase,
    names: FieldNames,
    private readonly mergeAt = MERGE_AT_KEYS,
    tierOptions: TierOptions = {},
  ) {
    this.readMark = mergedUpto(db);
    this.setMark = db.prepare("UPDATE store_state SET value = ? WHERE name = 'keys_merged_upto'");
    this.blocksAbove = db.prepare('SELECT id FROM blocks WHERE id > ? ORDER BY id');
    // One lookup for a whole batch's keys (a JSON array) in every tier: per-event statements cost more than the search.
    this.mergedKeys = keysInTiers(db);
    this.tiers = new IdTiers(db, tierOptions);
    // Pairs inserted a chunk per statement (`MERGE_CHUNK` rows of VALUES): a third of the time of one call per key.
    this.insertKeys = db.prepare(`INSERT OR IGNORE INTO event_ids (key, block) VALUES ${new Array(MERGE_CHUNK).fill('(?, ?)').join(', ')}`);
    this.insertKey = db.prepare('INSERT OR IGNORE INTO event_ids (key, block) VALUES (?, ?)');
    this.ids = new BlockIds(db, names);
    this.mergeAll = db.transaction(() => this.mergeInTransaction());
    this.reset();
  }

  /** Forget the memory and read it again from the file (after a rolled-back transaction). */
  reset(): void {
    this.tiers.reset();
    this.pending.clear();
    this.pendingBlocks.clear();
    this.keyCount = 0;
    this.mark = this.readMark.get() ?? 0;
    this.seenUpto = this.mark;
    this.refresh();
  }

  /**
   * Catch up with other connections: blocks they added above what this writer has seen are read into memory, and
   * blocks they merged are dropped from it. Cheap when nothing changed (two indexed reads).
   */
  refresh(): void {
    const mark = this.readMark.get() ?? 0;
    if (mark > this.mark) {
      let dropped = false;
      for (const block of [...this.pendingBlocks.keys()]) {
        if (block <= mark) {
          this.keyCount -= this.pendingBlocks.get(block)!.length;
          this.pendingBlocks.delete(block);
          dropped = true;
        }
      }
      // Rare (another connection merged): the table is rebuilt from the blocks still pending.
      if (dropped) {
        this.pending.clear();
        for (const [block, keys] of this.pendingBlocks) for (const key of keys) this.pending.add(key, block);
      }
      this.mark = mark;
      if (this.seenUpto < mark) this.seenUpto = mark;
    }
    for (const { id } of this.blocksAbove.all(this.seenUpto)) {
      if (!this.pendingBlocks.has(id)) {
        const ids = this.ids.of(id);
        if (ids) this.add(id, ids.map((id) => idKey(id)));
      }
      this.seenUpto = id;
    }
  }

  /** A block this writer inserted (inside its transaction), or one read back from the file. */
  add(block: number, keys: ArrayLike<number>): void {
    const own = Float64Array.from(keys);
    this.pendingBlocks.set(block, own);
    for (let i = 0; i < own.length; i++) this.pending.add(own[i]!, block);
    this.keyCount += own.length;
    if (block > this.seenUpto) this.seenUpto = block;
  }

  /** Whether a pending block may hold `key` (memory only: what this writer added or read since its last refresh). */
  hasPending(key: number): boolean {
    return this.pending.has(key);
  }

  /** The pending blocks that may hold `key`. */
  pendingBlocksOf(key: number): number[] {
    const out: number[] = [];
    this.pending.blocksOf(key, out);
    return out;
  }

  /**
   * The merged blocks (every tier, `id-tiers.ts`) that may hold each of `keys`, for the keys found there: one query for
   * the batch.
   * The caller confirms against the blocks' ids.
   */
  mergedBlocksOf(keys: ArrayLike<number>): Map<number, number[]> {
    const found = new Map<number, number[]>();
    if (keys.length === 0) return found;
    for (const { key, block } of this.mergedKeys(`[${Array.prototype.join.call(keys, ',')}]`)) {
      const blocks = found.get(key);
      if (!blocks) found.set(key, [block]);
      else if (!blocks.includes(block)) blocks.push(block);
    }
    return found;
  }

  /**
   * Merge when enough keys are pending, or enough blocks (a webhook's small requests make blocks of a few events, and
   * a lookup by id reads the filter of every block above the mark); else take one step of moving an over-full tier into
   * the next (`id-tiers.ts`). Call outside any transaction. Whether it did either.
   */
  mergeIfDue(): boolean {
    if (this.keyCount < this.mergeAt && this.pendingBlocks.size < MERGE_AT_BLOCKS) return this.tiers.moveIfDue();
    this.merge();
    return true;
  }

  /** Move every pending key into the first tier (`event_ids`), sorted, in one transaction, and raise the mark. */
  merge(): void {
    try {
      this.mergeAll.immediate();
    } catch (err) {
      this.reset();
      throw err;
    }
  }

  private mergeInTransaction(): void {
    this.refresh();
    const present = new Set(this.blocksAbove.all(this.mark).map((row) => row.id));
    if (present.size === 0) return;
    // The keys in ascending order; each key's blocks from the pending table, ascending, skipping blocks gone since
    // (retention, compaction).
    const keys = this.pending.sortedKeys();
    const blocks: number[] = [];
    const chunk: number[] = [];
    let inserted = 0;
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (i > 0 && key === keys[i - 1]) continue;
      if (this.pending.blocksOf(key, blocks) > 1) blocks.sort((a, b) => a - b);
      for (const block of blocks) {
        if (!present.has(block)) continue;
        chunk.push(key, block);
        if (chunk.length === 2 * MERGE_CHUNK) {
          inserted += this.insertKeys.run(...chunk).changes;
          chunk.length = 0;
        }
      }
    }
    for (let i = 0; i < chunk.length; i += 2) inserted += this.insertKey.run(chunk[i]!, chunk[i + 1]!).changes;
    this.tiers.added(0, inserted);
    let mark = 0;
    for (const block of present) if (block > mark) mark = block;
    this.setMark.run(mark);
    // Nothing is above the mark now (the lock is held, and refresh read every block): the memory starts empty.
    this.pending.clear();
    this.pendingBlocks.clear();
    this.keyCount = 0;
    this.mark = mark;
    if (this.seenUpto < mark) this.seenUpto = mark;
  }

  /** Keys held in memory (tests, metrics). */
  get pendingKeys(): number {
    return this.keyCount;
  }
}
