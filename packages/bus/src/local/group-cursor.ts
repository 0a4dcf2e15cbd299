/**
 * One consumer group's position in the embedded store: the outbox cursor behind `LocalBus`.
 *
 * The collector's store append is the publication: every event already has a monotonic arrival number (`seq`, see the
 * store's blocks/outbox.ts), so the group only needs to remember the highest seq it has fully handled. That number lives
 * in `bus_offsets(group, seq)` in the same SQLite file, so it is exactly as durable as the events themselves.
 *
 * Batches are contiguous seq ranges `(after, to]` handed out in order. Several in-process subscribers may hold
 * ranges at once and finish them in any order; the committed cursor only moves over a gap-free prefix of finished
 * ranges, so a crash can redeliver work that finished out of order but never skips work that did not finish.
 */
import { BlockOutbox, type OutboxRow, type SqliteDatabase } from '@bulwark/store';
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
  private readonly outbox: BlockOutbox;
  private readonly saveOffset;

  constructor(
    db: SqliteDatabase,
    readonly group: string,
    private readonly batchSize: number,
  ) {
    this.outbox = new BlockOutbox(db);
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
      const rows = this.outbox.readRange(retry.after, retry.to); // before leaving the queue: a failed read keeps it there
      this.retries.shift();
      return { lease: retry, batch: toBatch(rows, retry), publishedAtMs: receivedMsOf(rows[0]) };
    }
    for (;;) {
      const read = this.outbox.read(this.dispatched, this.batchSize);
      if (!read) return null;
      const lease: Lease = { after: this.dispatched, to: read.to, attempts: 0, done: false, notBefore: 0 };
      this.dispatched = lease.to;
      this.leases.push(lease);
      // A range retention emptied: nothing to deliver, but the cursor passes it.
      if (read.rows.length === 0) {
        this.ack(lease);
        continue;
      }
      return { lease, batch: toBatch(read.rows, lease), publishedAtMs: receivedMsOf(read.rows[0]) };
    }
  }

  /**
   * The handler resolved: commit every finished lease at the head of the line, in one write. The write may fail (the
   * file busy past its timeout): the leases then stay in line, finished, and the next `ack` or `commitFinished` writes
   * them — dropping them first had left the cursor unable to pass them.
   */
  ack(lease: Lease): void {
    lease.done = true;
    this.commitFinished();
  }

  /** Whether finished leases wait at the head of the line for their offset to be written (a write failed). */
  get finishedUncommitted(): boolean {
    return this.leases[0]?.done === true;
  }

  /** Writes the cursor past the finished leases at the head of the line; they leave it once written. */
  commitFinished(): void {
    let next = this.committed;
    let passed = 0;
    while (passed < this.leases.length && this.leases[passed]!.done && this.leases[passed]!.after === next) next = this.leases[passed++]!.to;
    if (passed === 0) return;
    this.saveOffset.run(this.group, next);
    this.leases.splice(0, passed);
    this.committed = next;
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
}

/** Rows to the port's batch. The id names the seq range, so a redelivery of the same range carries the same id. */
function toBatch(rows: readonly OutboxRow[], lease: Lease): BusBatch {
  return {
    id: `seq-${lease.after + 1}-${lease.to}`,
    events: [...rows],
  };
}

/**
 * When the collector stored the batch: its first event's `event.ingested` (the collector stamps it on receipt; the
 * store append is the embedded bus's publication). Null when absent or unreadable.
 */
function receivedMsOf(row: OutboxRow | undefined): number | null {
  if (!row) return null;
  const ms = row.ingested === null ? NaN : Date.parse(row.ingested);
  return Number.isFinite(ms) ? ms : null;
}
