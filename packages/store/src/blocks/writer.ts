/**
 * The block store's write path, shared by the in-process writer and the writer thread: one IMMEDIATE transaction per
 * appended batch, committed (fsync'd with `synchronous` FULL) before the caller hears back, so an acknowledged event
 * is durable and a crash leaves the previous commit (docs/ARCHITECTURE.md, "The embedded log store").
 *
 * Idempotency: every stored id has a 47-bit key, in the id set's tiers or (for recent blocks) in the writer's memory
 * (`id-index.ts`); a key hit is checked against the block's own `event.id` column, so a key collision can never drop
 * an event.
 */
import type Database from 'better-sqlite3';
import type { AppendResult, SerializedEvent } from '../port.js';
import type { SqliteDatabase } from '../sqlite/schema.js';
import { buildBlock, numbered, timeSlices, type BuiltBlock, type NewRow } from './build.js';
import { encodeDirectory, FieldNames } from './catalog.js';
import { idKey } from './hash.js';
import { BlockIds, IdIndex } from './id-index.js';
import type { TierOptions } from './id-tiers.js';
import { documentsOf } from './prepared.js';
import {
  appendResultOf,
  asBuffers,
  BatchIds,
  CREATED_ALL,
  inRowsOrder,
  isColumnBatch,
  RepeatFinder,
  sizeOf,
  type AppendCounts,
  type AppendInput,
  type ColumnInput,
} from './append-input.js';

export { appendResultOf, ID_COLUMN, type AppendCounts, type AppendInput, type ColumnInput } from './append-input.js';

type Statement<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

/** A built block and the batch positions of its rows. */
interface PlannedBlock {
  block: BuiltBlock;
  positions: readonly number[];
}

/** An append worked out before the lock: each row's id key, whether it is new, and the blocks of the new ones. */
interface Plan {
  keys: ArrayLike<number>;
  /** Per position: 1 when not stored yet and the first copy of its id in the batch. */
  fresh: Uint8Array;
  created: number;
  blocks: PlannedBlock[];
  /** `PRAGMA data_version` when the plan was made: it changes only when another connection commits. */
  version: number;
}

export class BlockWriter {
  private readonly names: FieldNames;
  private readonly idIndex: IdIndex;
  private readonly blockIds: BlockIds;
  private readonly dataVersion: Statement<[], number>;
  private readonly blockExists: Statement<[number], number>;
  private readonly nextSeq: Statement<[], { value: number }>;
  private readonly setNextSeq: Statement<[number]>;
  private readonly insertBlock: Statement;
  private readonly insertColumn: Statement;
  private readonly insertFilter: Statement;
  /** Id sets of recently checked blocks: a retried batch checks one block many times. */
  private readonly idSets = new Map<number, Set<string>>();
  private readonly repeats = new RepeatFinder();
  private readonly batch: Database.Transaction<(input: AppendInput, plan: Plan) => AppendCounts>;
  private readonly many: Database.Transaction<(batches: readonly AppendInput[], plans: Plan[]) => AppendCounts[]>;

  /**
   * `mergeKeysAt`: pending id keys that trigger a merge into the id set's first tier (`id-index.ts`); `tiers`: the
   * tiers' sizes (`id-tiers.ts`). Tests lower both.
   */
  constructor(db: SqliteDatabase, mergeKeysAt?: number, tiers?: TierOptions) {
    this.names = new FieldNames(db);
    this.idIndex = new IdIndex(db, this.names, mergeKeysAt, tiers);
    this.blockIds = new BlockIds(db, this.names);
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.blockExists = db.prepare<[number], number>('SELECT 1 FROM blocks WHERE id = ?').pluck();
    this.nextSeq = db.prepare("SELECT value FROM store_state WHERE name = 'next_seq'");
    this.setNextSeq = db.prepare("UPDATE store_state SET value = ? WHERE name = 'next_seq'");
    this.insertBlock = db.prepare(
      'INSERT INTO blocks (stream, rows, min_ts, max_ts, min_seq, max_seq, bytes, schema, ts, seqs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertColumn = db.prepare('INSERT INTO block_columns (block, col, data) VALUES (?, ?, ?)');
    this.insertFilter = db.prepare('INSERT INTO block_filters (block, bits) VALUES (?, ?)');
    this.batch = db.transaction((input: AppendInput, plan: Plan) => this.appendInTransaction(input, plan));
    this.many = db.transaction((batches: readonly AppendInput[], plans: Plan[]) =>
      batches.map((input, i) => (plans[i]!.keys.length === 0 ? CREATED_ALL : this.appendInTransaction(input, plans[i]!))),
    );
  }

  /**
   * Store a batch atomically; each row `created` or `duplicate` (the first copy of an id in the batch wins). The blocks
   * are built before the write lock is taken (readers and the bus's offsets never wait on compression); inside the
   * transaction the ids are checked again, arrival numbers given and the rows inserted.
   */
  append(input: AppendInput): AppendResult {
    return appendResultOf(this.appendCounted(input));
  }

  /** As `append`, answered in compact form (`AppendCounts`). */
  appendCounted(input: AppendInput): AppendCounts {
    if (sizeOf(input) === 0) return CREATED_ALL;
    try {
      const plan = this.plan(input, new BatchIds(input));
      return this.batch.immediate(input, plan);
    } catch (err) {
      this.rolledBack();
      throw err;
    }
  }

  /**
   * Several batches in one transaction (one fsync), each answered as `appendCounted` would: the writer thread passes
   * every batch waiting in its queue, so concurrent requests share a commit.
   */
  appendMany(batches: readonly AppendInput[]): AppendCounts[] {
    try {
      const plans = batches.map((input) => this.plan(input, new BatchIds(input)));
      return this.many.immediate(batches, plans);
    } catch (err) {
      this.rolledBack();
      throw err;
    }
  }

  /**
   * After a rolled-back transaction that inserted blocks (an append here, or a caller's own such as compaction): the
   * field names, block ids and pending keys handed out inside it are gone.
   */
  rolledBack(): void {
    this.names.reload();
    this.idSets.clear();
    this.idIndex.reset();
  }

  /**
   * Merge the pending id keys into the id set once enough have gathered, else take a step of moving an over-full tier
   * (`id-index.ts`, `id-tiers.ts`); called between appends, outside any transaction. Returns whether it did either.
   */
  mergeKeysIfDue(): boolean {
    try {
      return this.idIndex.mergeIfDue();
    } catch {
      return false; // busy or closing: the keys stay pending (in memory and in their blocks), the next call tries again
    }
  }

  /** Merge every pending id key now (tests; a store being closed need not: the blocks hold the ids). */
  mergeKeys(): void {
    this.idIndex.merge();
  }

  /** Pending id keys held in memory. */
  get pendingKeys(): number {
    return this.idIndex.pendingKeys;
  }

  /** Store rows that already have arrival numbers (moving the old layout's events); no duplicate check. */
  insertNumbered(stream: string, rows: readonly NewRow[]): void {
    for (const positions of timeSlices(rows.map((_, i) => i), (i) => rows[i]!.ts)) {
      const slice = positions.map((i) => rows[i]!);
      this.insert(numbered(buildBlock(stream, slice), slice.map((row) => row.seq!)));
    }
  }

  /** Which events are new (as far as the last commit says), grouped into built blocks of batch positions. */
  private plan(input: AppendInput, ids: BatchIds): Plan {
    // Read before the id set, so a commit elsewhere after this point shows as a changed version in the transaction.
    const version = this.dataVersion.get()!;
    this.idIndex.refresh();
    return isColumnBatch(input) ? this.planColumns(input, ids, version) : this.planRows(input, ids, version);
  }

  /**
   * For each position: 1 when not stored yet and the first copy of its id in the batch. Keys decide in the common case;
   * an id is read only when its key is held by a stored block or by an earlier event of the batch.
   */
  private freshOf(keys: ArrayLike<number>, ids: BatchIds): { fresh: Uint8Array; created: number } {
    const merged = this.idIndex.mergedBlocksOf(keys);
    const fresh = new Uint8Array(keys.length);
    let created = 0;
    this.repeats.reset(keys.length);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      if (this.repeats.seenBefore(key, i, ids)) continue;
      if (this.idIndex.hasPending(key) && this.stored(ids.at(i), this.idIndex.pendingBlocksOf(key))) continue;
      const blocks = merged.get(key);
      if (blocks && this.stored(ids.at(i), blocks)) continue;
      fresh[i] = 1;
      created++;
    }
    return { fresh, created };
  }

  private planRows(rows: readonly SerializedEvent[], ids: BatchIds, version: number): Plan {
    const keys = Float64Array.from(rows, (row) => idKey(row.id));
    const { fresh, created } = this.freshOf(keys, ids);
    const streams = new Map<string, number[]>();
    for (let i = 0; i < rows.length; i++) {
      if (fresh[i] !== 1) continue;
      const stream = rows[i]!.dataset ?? '';
      let group = streams.get(stream);
      if (!group) streams.set(stream, (group = []));
      group.push(i);
    }
    const blocks: PlannedBlock[] = [];
    for (const [stream, positions] of streams) {
      for (const slice of timeSlices(positions, (i) => rows[i]!.ts)) {
        const block = buildBlock(
          stream,
          slice.map((i) => ({ id: rows[i]!.id, ts: rows[i]!.ts, doc: JSON.parse(rows[i]!.doc) as Record<string, unknown> })),
        );
        blocks.push({ block, positions: slice });
      }
    }
    return { keys, fresh, created, blocks, version };
  }

  /**
   * A batch built where it was decoded: a block whose events are all new is inserted as it is; one holding stored or
   * repeated ids is built again from its new events (`prepared.ts`), as `planRows` would have.
   */
  private planColumns(batch: ColumnInput, ids: BatchIds, version: number): Plan {
    const { keys } = batch;
    const { fresh, created } = this.freshOf(keys, ids);
    const blocks: PlannedBlock[] = [];
    for (const { positions, block } of inRowsOrder(batch, fresh)) {
      let kept = 0;
      for (const position of positions) kept += fresh[position]!;
      if (kept === positions.length) {
        blocks.push({ block: { ...asBuffers(block), idKeys: positions.map((position) => keys[position]!) }, positions });
        continue;
      }
      if (kept === 0) continue;
      const rows = positions.flatMap((position, row) => (fresh[position] === 1 ? [row] : []));
      const docs = documentsOf(block, rows);
      const ts = batch.ts;
      for (const slice of timeSlices(rows.map((_, k) => k), (k) => ts[positions[rows[k]!]!]!)) {
        const rebuilt = buildBlock(
          block.stream,
          slice.map((k) => ({ id: ids.at(positions[rows[k]!]!), ts: ts[positions[rows[k]!]!]!, doc: docs[k]! })),
        );
        blocks.push({ block: rebuilt, positions: slice.map((k) => positions[rows[k]!]!) });
      }
    }
    return { keys, fresh, created, blocks, version };
  }

  private appendInTransaction(input: AppendInput, plan: Plan): AppendCounts {
    // Another connection may have stored some of these ids since the plan was made (then `data_version` moved), and
    // an earlier batch of this commit may hold some (its keys are pending in memory): then plan again, in the lock.
    const elsewhere = this.dataVersion.get() !== plan.version;
    if (elsewhere) this.idIndex.refresh();
    if (this.storedSincePlan(input, plan, elsewhere)) plan = this.plan(input, new BatchIds(input));
    // Arrival numbers in input order, so ties at one instant keep the order the sender gave.
    const first = this.nextSeq.get()!.value;
    const seqs = new Float64Array(plan.fresh.length);
    let next = first;
    for (let i = 0; i < seqs.length; i++) if (plan.fresh[i] === 1) seqs[i] = next++;
    for (const { block, positions } of plan.blocks) this.insert(numbered(block, positions.map((i) => seqs[i]!)));
    this.setNextSeq.run(next);
    const created = next - first;
    return { created, duplicates: seqs.length - created, fresh: created === seqs.length ? null : plan.fresh };
  }

  /** Whether an event the plan took as new is held by a block committed since (elsewhere, or earlier in this commit). */
  private storedSincePlan(input: AppendInput, plan: Plan, elsewhere: boolean): boolean {
    const { keys, fresh } = plan;
    let merged: Map<number, number[]> | null = null;
    if (elsewhere) {
      const freshKeys: number[] = [];
      for (let i = 0; i < keys.length; i++) if (fresh[i] === 1) freshKeys.push(keys[i]!);
      merged = this.idIndex.mergedBlocksOf(freshKeys);
    }
    let ids: BatchIds | null = null;
    for (let i = 0; i < keys.length; i++) {
      if (fresh[i] !== 1) continue;
      const key = keys[i]!;
      const pending = this.idIndex.hasPending(key);
      const blocks = merged?.get(key);
      if (!pending && !blocks) continue;
      ids ??= new BatchIds(input);
      if (pending && this.stored(ids.at(i), this.idIndex.pendingBlocksOf(key))) return true;
      if (blocks && this.stored(ids.at(i), blocks)) return true;
    }
    return false;
  }

  /** Insert a numbered block inside the caller's transaction; its id. */
  insert(block: BuiltBlock): number {
    const schema = encodeDirectory(block.schema, this.names);
    const id = Number(
      this.insertBlock.run(block.stream, block.rows, block.minTs, block.maxTs, block.minSeq, block.maxSeq, block.bytes, schema, block.ts, block.seqs)
        .lastInsertRowid,
    );
    for (let col = 0; col < block.data.length; col++) this.insertColumn.run(id, col, block.data[col]);
    this.insertFilter.run(id, block.filter);
    this.idIndex.add(id, block.idKeys);
    return id;
  }

  /** Is `id` in one of the stored blocks its key points to? Key hits are confirmed against the block's ids. */
  private stored(id: string, blocks: readonly number[]): boolean {
    for (const block of blocks) if (this.idsOf(block).has(id)) return true;
    return false;
  }

  private idsOf(block: number): Set<string> {
    let ids = this.idSets.get(block);
    // A remembered block may have been dropped since (retention runs on another connection), and its keys stay in the
    // id set, stale (`id-tiers.ts`): its ids count only while it exists.
    if (ids && this.blockExists.get(block) !== undefined) return ids;
    ids = new Set(this.blockIds.of(block) ?? []);
    ids.delete('');
    if (this.idSets.size >= 16) this.idSets.delete(this.idSets.keys().next().value!);
    this.idSets.set(block, ids);
    return ids;
  }
}
