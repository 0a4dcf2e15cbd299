/**
 * The block store's write path, shared by the in-process writer and the writer thread: one IMMEDIATE transaction per
 * appended batch, committed (fsync'd with `synchronous` FULL) before the caller hears back, so an acknowledged event
 * is durable and a crash leaves the previous commit (docs/ARCHITECTURE.md, "The embedded log store").
 *
 * Idempotency: every stored id has a 47-bit key, in `event_ids` or (for recent blocks) in the writer's memory
 * (`id-index.ts`); a key hit is checked against the block's own `event.id` column, so a key collision can never drop
 * an event.
 */
import type Database from 'better-sqlite3';
import type { AppendResult, AppendStatus, SerializedEvent } from '../port.js';
import type { SqliteDatabase } from '../sqlite/schema.js';
import { buildBlock, numbered, timeSlices, type BuiltBlock, type NewRow } from './build.js';
import { encodeDirectory, FieldNames } from './catalog.js';
import { columnNameOf } from './columns.js';
import { idKey } from './hash.js';
import { BlockIds, IdIndex } from './id-index.js';
import { documentsOf, type ColumnBatch } from './prepared.js';

export const ID_COLUMN = columnNameOf(['event', 'id']);

type Statement<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

/**
 * What an append takes: events serialised as JSON rows (`eventToRow`: every caller but the collector), or a batch
 * already laid out as blocks where its events were decoded (`prepared.ts`: the collector's path, no JSON in between).
 */
export type AppendInput = readonly SerializedEvent[] | ColumnBatch;

function idsOf(input: AppendInput): readonly string[] {
  return isColumnBatch(input) ? input.ids : input.map((row) => row.id);
}

function isColumnBatch(input: AppendInput): input is ColumnBatch {
  return !Array.isArray(input);
}

/**
 * A block that crossed from another thread has its parts as plain Uint8Array views (structured clone makes no Buffers):
 * viewed as Buffers again, without copying, for SQLite.
 */
function asBuffers(block: BuiltBlock): BuiltBlock {
  return { ...block, ts: asBuffer(block.ts), filter: asBuffer(block.filter), data: block.data.map(asBuffer) };
}

function asBuffer(part: Uint8Array): Buffer {
  return Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
}

/** A built block and the batch positions of its rows. */
interface PlannedBlock {
  block: BuiltBlock;
  positions: number[];
}

/** An append worked out before the lock: each row's id key, whether it is new, and the blocks of the new ones. */
interface Plan {
  keys: number[];
  fresh: boolean[];
  blocks: PlannedBlock[];
  /** `PRAGMA data_version` when the plan was made: it changes only when another connection commits. */
  version: number;
}

/**
 * The batch's blocks with their streams in the order of each stream's first new event, as `planRows` takes them (the
 * builder ordered them by first event, new or not), so both paths insert blocks, and name new fields, in one order.
 */
function inRowsOrder(batch: ColumnBatch, fresh: readonly boolean[]): ColumnBatch['blocks'] {
  const firstFresh = new Map<string, number>();
  for (const { positions, block } of batch.blocks) {
    for (const position of positions) {
      if (fresh[position] && position < (firstFresh.get(block.stream) ?? Infinity)) firstFresh.set(block.stream, position);
    }
  }
  const order = (stream: string) => firstFresh.get(stream) ?? Infinity;
  // Array.prototype.sort is stable: blocks of one stream keep their time order.
  return [...batch.blocks].sort((a, b) => order(a.block.stream) - order(b.block.stream));
}

export class BlockWriter {
  private readonly names: FieldNames;
  private readonly idIndex: IdIndex;
  private readonly blockIds: BlockIds;
  private readonly dataVersion: Statement<[], number>;
  private readonly nextSeq: Statement<[], { value: number }>;
  private readonly setNextSeq: Statement<[number]>;
  private readonly insertBlock: Statement;
  private readonly insertColumn: Statement;
  private readonly insertFilter: Statement;
  /** Id sets of recently checked blocks: a retried batch checks one block many times. */
  private readonly idSets = new Map<number, Set<string>>();
  private readonly batch: Database.Transaction<(input: AppendInput, plan: Plan) => AppendResult>;
  private readonly many: Database.Transaction<(batches: readonly AppendInput[], plans: Plan[]) => AppendResult[]>;

  /** `mergeKeysAt`: pending id keys that trigger a merge into `event_ids` (`id-index.ts`; tests lower it). */
  constructor(db: SqliteDatabase, mergeKeysAt?: number) {
    this.names = new FieldNames(db);
    this.idIndex = new IdIndex(db, this.names, mergeKeysAt);
    this.blockIds = new BlockIds(db, this.names);
    this.dataVersion = db.prepare<[], number>('PRAGMA data_version').pluck();
    this.nextSeq = db.prepare("SELECT value FROM store_state WHERE name = 'next_seq'");
    this.setNextSeq = db.prepare("UPDATE store_state SET value = ? WHERE name = 'next_seq'");
    this.insertBlock = db.prepare(
      'INSERT INTO blocks (stream, rows, min_ts, max_ts, min_seq, max_seq, bytes, schema, ts, seqs) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    this.insertColumn = db.prepare('INSERT INTO block_columns (block, col, data) VALUES (?, ?, ?)');
    this.insertFilter = db.prepare('INSERT INTO block_filters (block, bits) VALUES (?, ?)');
    this.batch = db.transaction((input: AppendInput, plan: Plan) => this.appendInTransaction(input, plan));
    this.many = db.transaction((batches: readonly AppendInput[], plans: Plan[]) =>
      batches.map((input, i) => (plans[i]!.keys.length === 0 ? { statuses: [], created: 0, duplicates: 0 } : this.appendInTransaction(input, plans[i]!))),
    );
  }

  /**
   * Store a batch atomically; each row `created` or `duplicate` (the first copy of an id in the batch wins). The blocks
   * are built before the write lock is taken (readers and the bus's offsets never wait on compression); inside the
   * transaction the ids are checked again, arrival numbers given and the rows inserted.
   */
  append(input: AppendInput): AppendResult {
    if (idsOf(input).length === 0) return { statuses: [], created: 0, duplicates: 0 };
    try {
      const plan = this.plan(input);
      return this.batch.immediate(input, plan);
    } catch (err) {
      this.rolledBack();
      throw err;
    }
  }

  /**
   * Several batches in one transaction (one fsync), each answered as `append` would: the writer thread passes every
   * batch waiting in its queue, so concurrent requests share a commit.
   */
  appendMany(batches: readonly AppendInput[]): AppendResult[] {
    try {
      const plans = batches.map((input) => this.plan(input));
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
   * Merge the pending id keys into `event_ids` once enough have gathered (`id-index.ts`); called between appends,
   * outside any transaction. Returns whether it merged.
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
  private plan(input: AppendInput): Plan {
    // Read before the id set, so a commit elsewhere after this point shows as a changed version in the transaction.
    const version = this.dataVersion.get()!;
    this.idIndex.refresh();
    return isColumnBatch(input) ? this.planColumns(input, version) : this.planRows(input, version);
  }

  /** For each position: not stored yet and the first copy of its id in the batch. */
  private freshOf(ids: readonly string[], keys: readonly number[]): boolean[] {
    const known = this.knownKeys(keys);
    const seen = new Set<string>();
    const fresh: boolean[] = new Array(ids.length);
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i]!;
      fresh[i] = !seen.has(id) && !this.stored(id, known.get(keys[i]!));
      if (fresh[i]) seen.add(id);
    }
    return fresh;
  }

  private planRows(rows: readonly SerializedEvent[], version: number): Plan {
    const keys = rows.map((row) => idKey(row.id));
    const fresh = this.freshOf(idsOf(rows), keys);
    const streams = new Map<string, number[]>();
    for (let i = 0; i < rows.length; i++) {
      if (!fresh[i]) continue;
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
    return { keys, fresh, blocks, version };
  }

  /**
   * A batch built where it was decoded: a block whose events are all new is inserted as it is; one holding stored or
   * repeated ids is built again from its new events (`prepared.ts`), as `planRows` would have.
   */
  private planColumns(batch: ColumnBatch, version: number): Plan {
    const keys = Array.from(batch.keys);
    const fresh = this.freshOf(batch.ids, keys);
    const blocks: PlannedBlock[] = [];
    for (const { positions, block } of inRowsOrder(batch, fresh)) {
      const rows = positions.flatMap((position, row) => (fresh[position] ? [row] : []));
      if (rows.length === positions.length) {
        blocks.push({ block: { ...asBuffers(block), idKeys: positions.map((position) => keys[position]!) }, positions });
        continue;
      }
      if (rows.length === 0) continue;
      const docs = documentsOf(block, rows);
      const ts = batch.ts;
      for (const slice of timeSlices(rows.map((_, k) => k), (k) => ts[positions[rows[k]!]!]!)) {
        const rebuilt = buildBlock(
          block.stream,
          slice.map((k) => ({ id: batch.ids[positions[rows[k]!]!]!, ts: ts[positions[rows[k]!]!]!, doc: docs[k]! })),
        );
        blocks.push({ block: rebuilt, positions: slice.map((k) => positions[rows[k]!]!) });
      }
    }
    return { keys, fresh, blocks, version };
  }

  private appendInTransaction(input: AppendInput, plan: Plan): AppendResult {
    // Another connection may have stored some of these ids since the plan was made (then `data_version` moved), and
    // an earlier batch of this commit may hold some (its keys are pending in memory): then plan again, in the lock.
    const ids = idsOf(input);
    const elsewhere = this.dataVersion.get() !== plan.version;
    if (elsewhere) this.idIndex.refresh();
    const freshKeys = plan.fresh.flatMap((fresh, i) => (fresh ? [plan.keys[i]!] : []));
    const known = elsewhere ? this.knownKeys(freshKeys) : this.idIndex.knownPending(freshKeys);
    if (known.size > 0 && ids.some((id, i) => plan.fresh[i] && this.stored(id, known.get(plan.keys[i]!)))) {
      plan = this.plan(input);
    }
    // Arrival numbers in input order, so ties at one instant keep the order the sender gave.
    let next = this.nextSeq.get()!.value;
    const seqOf = new Map<number, number>();
    plan.fresh.forEach((fresh, i) => {
      if (fresh) seqOf.set(i, next++);
    });
    for (const { block, positions } of plan.blocks) this.insert(numbered(block, positions.map((i) => seqOf.get(i)!)));
    this.setNextSeq.run(next);
    const statuses: AppendStatus[] = plan.fresh.map((fresh) => (fresh ? 'created' : 'duplicate'));
    return { statuses, created: seqOf.size, duplicates: ids.length - seqOf.size };
  }

  /** The stored blocks each key may be in (one query for the batch, and the pending keys in memory). */
  private knownKeys(keys: readonly number[]): Map<number, number[]> {
    return this.idIndex.known(keys);
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
  private stored(id: string, blocks: readonly number[] | undefined): boolean {
    if (!blocks) return false;
    for (const block of blocks) if (this.idsOf(block).has(id)) return true;
    return false;
  }

  private idsOf(block: number): Set<string> {
    let ids = this.idSets.get(block);
    if (ids) return ids;
    ids = new Set(this.blockIds.of(block) ?? []);
    ids.delete('');
    if (this.idSets.size >= 16) this.idSets.delete(this.idSets.keys().next().value!);
    this.idSets.set(block, ids);
    return ids;
  }
}
