/**
 * The embedded bus's view of the block store (docs/ARCHITECTURE.md, "Two modes"): stored events in arrival order
 * (`seq`), so a consumer group needs only the highest arrival number it has handled. Every created event takes the
 * next number inside its append's transaction, so numbers are dense except where retention dropped blocks; a read
 * runs in one snapshot, so no event with a number at or below what it returns can still be committed later.
 */
import type { SqliteDatabase } from '../sqlite/schema.js';
import { MESSAGE_COLUMN } from './build.js';
import { BlockReader } from './reader.js';
import type { BlockRow } from './catalog.js';
import type { BlockView, PathSelection } from './view.js';
import { ID_COLUMN } from './writer.js';
import { columnNameOf, type Cell } from './columns.js';

const INGESTED_COLUMN = columnNameOf(['event', 'ingested']);
/** A block's catalog row as a read needs it; the directory is fetched once per block by the reader's cache. */
const OUTBOX_BLOCK_COLUMNS = 'id, stream, rows, min_ts, max_ts, min_seq, max_seq, bytes';

function textAt(cells: Cell[] | undefined, row: number): string | null {
  const value = cells?.[row];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * One stored event for the bus: the port's `SerializedEvent` fields plus its arrival number. `parsed` (the document as
 * rebuilt from its block) and `doc` (its JSON) are made only when someone reads them: the correlator skips events of
 * datasets no rule reads, and reads `parsed` of the others.
 */
export interface OutboxRow {
  readonly seq: number;
  readonly id: string;
  readonly ts: number;
  readonly dataset: string | null;
  readonly doc: string;
  readonly message: string | null;
  readonly parsed: Record<string, unknown>;
  /** `event.ingested` (when the collector received it), read from its column without rebuilding the document. */
  readonly ingested: string | null;
  /** The port's `SerializedEvent.parsedPaths`: only the columns `wanted` accepts are read. */
  parsedPaths(wanted: PathSelection): Record<string, unknown>;
}

/**
 * The row of block `view` at `r`. Everything but the arrival number and dataset is read from the block only when
 * asked for: the correlator skips events of datasets no rule reads after looking at their dataset alone, so their
 * times, ids and messages are never decompressed. A class, not an object literal with getters: a literal's accessors
 * are defined per row (six closures and a slow literal each), which made building rows the correlator thread's top
 * cost; the prototype's getters cost nothing per row.
 */
class BlockRowEvent implements OutboxRow {
  private parsedDoc: Record<string, unknown> | undefined = undefined;
  private json: string | undefined = undefined;

  constructor(
    readonly seq: number,
    readonly dataset: string | null,
    private readonly view: BlockView,
    private readonly r: number,
  ) {}

  get ts(): number {
    return this.view.ts()[this.r]!;
  }

  get id(): string {
    return String(this.view.column(ID_COLUMN)?.[this.r] ?? '');
  }

  get message(): string | null {
    return textAt(this.view.column(MESSAGE_COLUMN), this.r);
  }

  get ingested(): string | null {
    return textAt(this.view.column(INGESTED_COLUMN), this.r);
  }

  get parsed(): Record<string, unknown> {
    this.parsedDoc ??= this.view.doc(this.r, false);
    return this.parsedDoc;
  }

  get doc(): string {
    this.json ??= JSON.stringify(this.parsed);
    return this.json;
  }

  parsedPaths(wanted: PathSelection): Record<string, unknown> {
    return this.parsedDoc ?? this.view.partialDoc(this.r, wanted);
  }
}

export class BlockOutbox {
  private readonly reader: BlockReader;
  private readonly overlapping;
  private readonly firstAfter;
  private readonly lastSeq;
  private readonly snapshot;

  constructor(db: SqliteDatabase) {
    this.reader = new BlockReader(db);
    // The catalog row itself (no directory: the reader's cache has it), so a read needs no second query per block.
    // By the last arrival number: the blocks ending after a position are the few written since (and a merged block
    // spanning it), where an index on the first number must be walked back over every block that could span it.
    this.overlapping = db.prepare<[number, number], BlockRow>(
      `SELECT ${OUTBOX_BLOCK_COLUMNS} FROM blocks INDEXED BY blocks_max_seq WHERE max_seq > ? AND min_seq <= ? ORDER BY min_seq`,
    );
    this.firstAfter = db.prepare<[number], { seq: number | null }>(
      'SELECT min(min_seq) AS seq FROM blocks INDEXED BY blocks_max_seq WHERE max_seq > ?',
    );
    this.lastSeq = db.prepare<[], { value: number }>("SELECT value - 1 AS value FROM store_state WHERE name = 'next_seq'");
    this.snapshot = db.transaction((after: number, limit: number, upTo: number | null) => this.readIn(after, limit, upTo));
  }

  /** The highest arrival number committed so far (0 when none). */
  lastCommitted(): number {
    return this.lastSeq.get()?.value ?? 0;
  }

  /**
   * Up to `limit` numbers after `after`: the range `(after, to]` it covers and the events in it, in arrival order.
   * `to` passes gaps left by retention. Null when nothing was committed after `after`.
   */
  read(after: number, limit: number): { to: number; rows: OutboxRow[] } | null {
    return this.snapshot.deferred(after, limit, null);
  }

  /** The events of a range handed out before (a redelivery). */
  readRange(after: number, to: number): OutboxRow[] {
    return this.snapshot.deferred(after, to - after, to)?.rows ?? [];
  }

  private readIn(after: number, limit: number, upTo: number | null): { to: number; rows: OutboxRow[] } | null {
    const last = this.lastCommitted();
    if (last <= after) return null;
    let start = after;
    if (upTo === null) {
      const first = this.firstAfter.get(after)?.seq;
      if (first === null || first === undefined) return { to: last, rows: [] };
      start = Math.max(after, first - 1);
    }
    const to = upTo ?? Math.min(start + limit, last);
    const rows: OutboxRow[] = [];
    // Rows of a block are in time order and an append's events may be cut into blocks of several shapes, so arrival
    // numbers are mostly, not always, ascending: they are put in order only when they are not (`inArrivalOrder`).
    let previous = -Infinity;
    let ordered = true;
    for (const block of this.overlapping.all(after, to)) {
      const view = this.reader.view(block);
      const seqs = view.seqs();
      const dataset = block.stream === '' ? null : block.stream;
      for (let r = 0; r < block.rows; r++) {
        const seq = seqs[r]!;
        if (seq <= after || seq > to) continue;
        if (seq < previous) ordered = false;
        previous = seq;
        rows.push(new BlockRowEvent(seq, dataset, view, r));
      }
    }
    return { to, rows: ordered ? rows : inArrivalOrder(rows, after, to) };
  }
}

/** Widest range whose rows are placed by arrival number rather than sorted (a batch spans `batchSize` numbers). */
const MAX_SLOTTED_SPAN = 1 << 16;

/**
 * `rows` (each with an arrival number in `(from, to]`, each number once) in arrival order. Numbers are dense integers,
 * so over a batch-sized range each row goes straight to its slot — linear, where a sort by comparator was the read's
 * main cost on a mixed load (every append cut into blocks of two shapes whose numbers interleave). A wider range (a
 * read that passed a retention gap) is sorted, as is anything unexpected: a number seen twice.
 */
function inArrivalOrder(rows: OutboxRow[], from: number, to: number): OutboxRow[] {
  const span = to - from;
  if (span > MAX_SLOTTED_SPAN) return rows.sort((a, b) => a.seq - b.seq);
  const slots = new Array<OutboxRow | undefined>(span);
  for (const row of rows) {
    const slot = row.seq - from - 1;
    if (slots[slot] !== undefined) return rows.sort((a, b) => a.seq - b.seq);
    slots[slot] = row;
  }
  const ordered: OutboxRow[] = [];
  for (let i = 0; i < span; i++) {
    const row = slots[i];
    if (row !== undefined) ordered.push(row);
  }
  return ordered;
}
