/**
 * One consumer group's position in the embedded store: the outbox cursor behind `LocalBus`.
 *
 * The collector's store append is the publication: every event already has a monotonic `events.seq` (the rowid, see
 * the store's schema.ts), so the group only needs to remember the highest seq it has fully handled. That number lives
 * in `bus_offsets(group, seq)` in the same SQLite file, so it is exactly as durable as the events themselves.
 *
 * Batches are contiguous seq ranges `(after, to]` handed out in order. Several in-process subscribers may hold
 * ranges at once and finish them in any order; the committed cursor only moves over a gap-free prefix of finished
 * ranges, so a crash can redeliver work that finished out of order but never skips work that did not finish.
 */
import type { SqliteDatabase } from '@bulwark/store';
import type { BusBatch } from '../port.js';
import { retryDelayMs } from '../port.js';

/** A batch handed out: its seq range, and how often it failed. */
export interface Lease {
  readonly after: number;
  readonly to: number;
  attempts: number;
  /** Set when acknowledged; the cursor passes a lease only once it and every earlier lease are done. */
  done: boolean;
  /** Earliest time (epoch ms) a failed lease may be offered again. */
  notBefore: number;
}

/** The row shape read from `events` for delivery. */
interface EventRowOut {
  seq: number;
  id: string;
  ts: number;
  dataset: string | null;
  doc: string;
}

/** The bus's own table; created on demand, never touched by the store's migrations. */
export const BUS_OFFSETS_DDL = 'CREATE TABLE IF NOT EXISTS bus_offsets ("group" TEXT PRIMARY KEY, seq INTEGER NOT NULL) STRICT';

export class GroupCursor {
  /** Highest seq whose batch, and every batch before it, was acknowledged: what is on disk. */
  private committed: number;
  /** Highest seq handed out to some subscriber. */
  private dispatched: number;
  /** Unfinished (or finished but not yet committable) leases, in seq order. */
  private readonly leases: Lease[] = [];
  /** Failed leases waiting to be offered again, oldest first. */
  private readonly retries: Lease[] = [];
  private readonly readAfter;
  private readonly readRange;
  private readonly maxSeq;
  private readonly saveOffset;

  constructor(
    db: SqliteDatabase,
    readonly group: string,
    private readonly batchSize: number,
  ) {
    this.readAfter = db.prepare<[number, number], EventRowOut>(
      'SELECT seq, id, ts, dataset, doc FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
    );
    this.readRange = db.prepare<[number, number], EventRowOut>(
      'SELECT seq, id, ts, dataset, doc FROM events WHERE seq > ? AND seq <= ? ORDER BY seq',
    );
    this.maxSeq = db.prepare<[], { seq: number | null }>('SELECT max(seq) AS seq FROM events');
    this.saveOffset = db.prepare<[string, number]>(
      'INSERT INTO bus_offsets ("group", seq) VALUES (?, ?) ON CONFLICT ("group") DO UPDATE SET seq = excluded.seq',
    );
    const row = db.prepare<[string], { seq: number }>('SELECT seq FROM bus_offsets WHERE "group" = ?').get(group);
    this.committed = row?.seq ?? 0;
    this.dispatched = this.committed;
  }

  /** The acknowledged position (for tests and status pages). */
  get committedSeq(): number {
    return this.committed;
  }

  /** Leases handed out and not yet committed: while any exists, closing the bus may lose nothing but time. */
  get pending(): number {
    return this.leases.length;
  }

  /**
   * The next batch to handle, or null when there is none yet: a due retry first (it blocks the cursor), else the
   * next `batchSize` events after everything handed out. Synchronous, so two subscribers can never take the same range.
   */
  take(now = Date.now()): { lease: Lease; batch: BusBatch; publishedAtMs: number | null } | null {
    const retry = this.retries[0];
    if (retry && retry.notBefore <= now) {
      this.retries.shift();
      const rows = this.readRange.all(retry.after, retry.to);
      return { lease: retry, batch: toBatch(rows, retry), publishedAtMs: receivedMsOf(rows[0]) };
    }
    const rows = this.readAfter.all(this.dispatched, this.batchSize);
    if (rows.length === 0) {
      this.rewindIfEmptied();
      return null;
    }
    const lease: Lease = { after: this.dispatched, to: rows[rows.length - 1]!.seq, attempts: 0, done: false, notBefore: 0 };
    this.dispatched = lease.to;
    this.leases.push(lease);
    return { lease, batch: toBatch(rows, lease), publishedAtMs: receivedMsOf(rows[0]) };
  }

  /** The handler resolved: commit every finished lease at the head of the line, in one write. */
  ack(lease: Lease): void {
    lease.done = true;
    let next = this.committed;
    while (this.leases[0]?.done && this.leases[0].after === next) next = this.leases.shift()!.to;
    if (next !== this.committed) {
      this.saveOffset.run(this.group, next);
      this.committed = next;
    }
  }

  /** The handler threw: offer the same range again after a back-off; the cursor waits for it. */
  fail(lease: Lease, now = Date.now()): void {
    lease.attempts++;
    lease.notBefore = now + retryDelayMs(lease.attempts);
    this.retries.push(lease);
  }

  /** Milliseconds until the earliest retry is due, or null when none waits. */
  nextRetryInMs(now = Date.now()): number | null {
    const first = this.retries[0];
    return first ? Math.max(0, first.notBefore - now) : null;
  }

  /**
   * SQLite gives a new row `max(rowid) + 1`, or 1 in an empty table: if every event was deleted (retention of the
   * whole store) new events would get seqs at or below our cursor and never be delivered. When nothing is in hand and
   * the table's highest seq is behind the cursor, every row there is new, so start over from 0.
   */
  private rewindIfEmptied(): void {
    if (this.leases.length > 0 || this.committed === 0) return;
    const max = this.maxSeq.get()?.seq ?? 0;
    if (max >= this.committed) return;
    this.saveOffset.run(this.group, 0);
    this.committed = 0;
    this.dispatched = 0;
  }
}

/** Rows to the port's batch. The id names the seq range, so a redelivery of the same range carries the same id. */
function toBatch(rows: readonly EventRowOut[], lease: Lease): BusBatch {
  return {
    id: `seq-${lease.after + 1}-${lease.to}`,
    events: rows.map((row) => ({
      id: row.id,
      ts: row.ts,
      dataset: row.dataset,
      doc: row.doc,
      message: messageOf(row.doc),
    })),
  };
}

/**
 * When the collector stored the batch: its first event's `event.ingested` (the collector stamps it on receipt; the
 * store append is the embedded bus's publication). Null when absent or unreadable.
 */
function receivedMsOf(row: EventRowOut | undefined): number | null {
  if (!row) return null;
  try {
    const ingested = (JSON.parse(row.doc) as { event?: { ingested?: unknown } }).event?.ingested;
    const ms = typeof ingested === 'string' ? Date.parse(ingested) : NaN;
    return Number.isFinite(ms) ? ms : null;
  } catch {
    return null;
  }
}

/** `message` is not a column (the full-text index is contentless), so it is read back from the stored document. */
function messageOf(doc: string): string | null {
  const message = (JSON.parse(doc) as { message?: unknown }).message;
  return typeof message === 'string' && message !== '' ? message : null;
}
