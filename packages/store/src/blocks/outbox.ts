/**
 * The embedded bus's view of the block store (docs/ARCHITECTURE.md, "Two modes"): stored events in arrival order
 * (`seq`), so a consumer group needs only the highest arrival number it has handled. Every created event takes the
 * next number inside its append's transaction, so numbers are dense except where retention dropped blocks; a read
 * runs in one snapshot, so no event with a number at or below what it returns can still be committed later.
 */
import type { SqliteDatabase } from '../sqlite/schema.js';
import { MAX_SEQ_SPAN } from './compaction.js';
import { BlockReader } from './reader.js';

/**
 * One stored event for the bus: the port's `SerializedEvent` fields plus its arrival number. `parsed` is the document
 * as rebuilt from its block; `doc`, its JSON, is made only when someone reads it (the correlator uses `parsed`).
 */
export interface OutboxRow {
  seq: number;
  id: string;
  ts: number;
  dataset: string | null;
  readonly doc: string;
  message: string | null;
  parsed: Record<string, unknown>;
}

function outboxRow(seq: number, ts: number, dataset: string | null, parsed: Record<string, unknown>): OutboxRow {
  const message = typeof parsed.message === 'string' && parsed.message !== '' ? parsed.message : null;
  const id = String((parsed.event as { id?: unknown } | undefined)?.id ?? '');
  let json: string | undefined;
  return {
    seq,
    id,
    ts,
    dataset,
    message,
    parsed,
    get doc(): string {
      json ??= JSON.stringify(parsed);
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
      for (let r = 0; r < view.rows; r++) {
        const seq = seqs[r]!;
        if (seq <= after || seq > to) continue;
        rows.push(outboxRow(seq, ts[r]!, block.stream === '' ? null : block.stream, view.doc(r, false)));
      }
    }
    rows.sort((a, b) => a.seq - b.seq);
    return { to, rows };
  }
}
