/**
 * The embedded bus's view of the block store (docs/ARCHITECTURE.md, "Two modes"): stored events in arrival order
 * (`seq`), so a consumer group needs only the highest arrival number it has handled. Every created event takes the
 * next number inside its append's transaction, so numbers are dense except where retention dropped blocks; a read
 * runs in one snapshot, so no event with a number at or below what it returns can still be committed later.
 */
import type { SqliteDatabase } from '../sqlite/schema.js';
import { MESSAGE_COLUMN } from './build.js';
import { MAX_SEQ_SPAN } from './compaction.js';
import { BlockReader } from './reader.js';
import { ID_COLUMN } from './writer.js';
import { columnNameOf, type Cell } from './columns.js';

const INGESTED_COLUMN = columnNameOf(['event', 'ingested']);

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
  seq: number;
  id: string;
  ts: number;
  dataset: string | null;
  readonly doc: string;
  message: string | null;
  readonly parsed: Record<string, unknown>;
  /** `event.ingested` (when the collector received it), read from its column without rebuilding the document. */
  ingested: string | null;
}

function outboxRow(
  seq: number,
  ts: number,
  dataset: string | null,
  id: string,
  message: string | null,
  ingested: string | null,
  rebuild: () => Record<string, unknown>,
): OutboxRow {
  let parsed: Record<string, unknown> | undefined;
  let json: string | undefined;
  return {
    seq,
    id,
    ts,
    dataset,
    message,
    ingested,
    get parsed(): Record<string, unknown> {
      parsed ??= rebuild();
      return parsed;
    },
    get doc(): string {
      json ??= JSON.stringify(this.parsed);
      return json;
    },
  };
}

export class BlockOutbox {
  private readonly reader: BlockReader;
  private readonly overlapping;
  private readonly firstAfter;
  private readonly lastSeq;
  private readonly snapshot;

  constructor(db: SqliteDatabase) {
    this.reader = new BlockReader(db);
    this.overlapping = db.prepare<[number, number, number], { id: number }>(
      'SELECT id FROM blocks WHERE min_seq > ? AND min_seq <= ? AND max_seq > ? ORDER BY min_seq',
    );
    // Bounded below like `overlapping`: otherwise SQLite walks the index from the oldest block on every read.
    this.firstAfter = db.prepare<[number, number], { seq: number | null }>(
      'SELECT min(min_seq) AS seq FROM blocks WHERE min_seq > ? AND max_seq > ?',
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
      const first = this.firstAfter.get(after - MAX_SEQ_SPAN, after)?.seq;
      if (first === null || first === undefined) return { to: last, rows: [] };
      start = Math.max(after, first - 1);
    }
    const to = upTo ?? Math.min(start + limit, last);
    const rows: OutboxRow[] = [];
    for (const { id } of this.overlapping.all(after - MAX_SEQ_SPAN, to, after)) {
      const block = this.reader.block(id);
      if (!block) continue;
      const view = this.reader.view(block);
      const seqs = view.seqs();
      const ts = view.ts();
      const ids = view.column(ID_COLUMN);
      const messages = view.column(MESSAGE_COLUMN);
      const ingested = view.column(INGESTED_COLUMN);
      for (let r = 0; r < view.rows; r++) {
        const seq = seqs[r]!;
        if (seq <= after || seq > to) continue;
        rows.push(outboxRow(seq, ts[r]!, block.stream === '' ? null : block.stream, String(ids?.[r] ?? ''), textAt(messages, r), textAt(ingested, r), () => view.doc(r, false)));
      }
    }
    rows.sort((a, b) => a.seq - b.seq);
    return { to, rows };
  }
}
