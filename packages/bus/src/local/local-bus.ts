/**
 * `LocalBus`: the embedded-mode bus (ARCHITECTURE.md, "Two modes": "the bus is in-process and backed by the store
 * itself (an outbox cursor), so a crash loses nothing").
 *
 * Nothing is queued in memory: subscribers read events straight from the store's blocks (its outbox) after their group's
 * cursor (see `GroupCursor`), and `publish` only wakes them early. So the collector's "stored, then acknowledged"
 * already means "published", and a crash between the two loses nothing; after a restart each group resumes right
 * after its last acknowledged batch.
 *
 * Scope: one process owns a group. Several subscribers of a group inside this bus share its work; two processes (or
 * two `LocalBus` instances) on the same file and group would each deliver everything, which is why scale mode uses
 * BullMQ instead.
 */
import { BulwarkError } from '@bulwark/schema';
import { migrate, openDatabase, type SqliteDatabase } from '@bulwark/store';
import {
  checkConcurrency,
  checkGroupName,
  type BatchHandler,
  type Bus,
  type BusObserver,
  type BusBatch,
  type SubscribeOptions,
  type Subscription,
} from '../port.js';
import { BUS_OFFSETS_DDL, GroupCursor } from './group-cursor.js';
import { Wakeup } from './wakeup.js';

export interface LocalBusOptions {
  /** The embedded store's SQLite file (the same one `BlockLogStore` writes). `:memory:` is refused: nothing to share. */
  path: string;
  /**
   * Most events per delivered batch (default 2,000). A batch costs a catalog read, a handler call and an offset write
   * whatever its size; under a `_bulk` load of two 1,000-event requests at a time, 500-event batches were a fifth of
   * the embedded correlator's CPU more than 2,000-event ones. A quiet source still gets its few events at once.
   */
  batchSize?: number;
  /** How often idle subscribers look for events nobody announced, e.g. written by another process (default 250 ms). */
  pollIntervalMs?: number;
  /** Called with a handler's error before the batch is retried; default: `console.error`. */
  onHandlerError?: (error: unknown, group: string, batch: BusBatch) => void;
  /** Called when reading the outbox or saving a group's position failed (tried again after a poll interval). */
  onCursorError?: (error: unknown, group: string) => void;
  /** Told of each delivery (metrics). */
  observer?: BusObserver;
}

export class LocalBus implements Bus {
  /** Subscribers read the store's blocks; `publish` only wakes them. */
  readonly readsStore = true;
  private readonly db: SqliteDatabase;
  private readonly groups = new Map<string, GroupCursor>();
  private readonly subscriptions = new Set<LocalSubscription>();
  private readonly wakeup = new Wakeup();
  private readonly batchSize: number;
  private readonly pollIntervalMs: number;
  private closed = false;

  constructor(private readonly options: LocalBusOptions) {
    if (options.path === '' || options.path === ':memory:') {
      throw new TypeError('LocalBus needs the store file path: an in-memory database is private to one connection');
    }
    this.batchSize = options.batchSize ?? 2000;
    if (!Number.isSafeInteger(this.batchSize) || this.batchSize < 1) throw new TypeError(`LocalBus batchSize must be a positive integer`);
    this.pollIntervalMs = Math.max(1, options.pollIntervalMs ?? 250);
    // NORMAL: a group's offset is saved after every batch, and with FULL each save was an fsync (measured: 30% of the
    // embedded correlator's time under ingest load). A power cut can only lose the WAL's last commits, so a group
    // resumes a few batches early and those are delivered again, which every consumer must bear anyway (the
    // correlator's alerts have deterministic ids). Events themselves are written on the store's own connection.
    this.db = openDatabase({ path: options.path, synchronous: 'NORMAL' });
    // The store creates its tables on init; doing it here too (idempotent) lets the bus start first.
    migrate(this.db);
    this.db.exec(BUS_OFFSETS_DDL);
  }

  /** The events are already stored: just wake the subscribers so they do not wait for their next poll. */
  async publish(_batch: BusBatch): Promise<void> {
    if (this.closed) throw new BulwarkError('BWK_BUS_UNAVAILABLE', 'the bus is closed', { closed: true });
    this.wakeup.notify();
  }

  async subscribe(group: string, handler: BatchHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.closed) throw new BulwarkError('BWK_BUS_UNAVAILABLE', 'the bus is closed', { closed: true });
    checkGroupName(group);
    const concurrency = checkConcurrency(options.concurrency);
    let cursor = this.groups.get(group);
    if (!cursor) {
      cursor = new GroupCursor(this.db, group, this.batchSize);
      this.groups.set(group, cursor);
    }
    const onError = this.options.onHandlerError ?? defaultOnError;
    const onCursorError = this.options.onCursorError ?? defaultOnCursorError;
    const subscription = new LocalSubscription(cursor, handler, concurrency, this.wakeup, this.pollIntervalMs, onError, onCursorError, this.options.observer, () =>
      this.subscriptions.delete(subscription),
    );
    this.subscriptions.add(subscription);
    return subscription;
  }

  /** The acknowledged position of `group` (0 when it has none yet). */
  committedSeq(group: string): number {
    return this.groups.get(group)?.committedSeq ?? 0;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    this.db.close();
  }
}

/** `concurrency` loops over one group cursor; each takes a batch, runs the handler, then acks or schedules a retry. */
class LocalSubscription implements Subscription {
  private closing = false;
  private readonly loops: Promise<void>[];

  constructor(
    private readonly cursor: GroupCursor,
    private readonly handler: BatchHandler,
    concurrency: number,
    private readonly wakeup: Wakeup,
    private readonly pollIntervalMs: number,
    private readonly onError: NonNullable<LocalBusOptions['onHandlerError']>,
    private readonly onCursorError: NonNullable<LocalBusOptions['onCursorError']>,
    private readonly observer: BusObserver | undefined,
    private readonly onClosed: () => void,
  ) {
    this.loops = Array.from({ length: concurrency }, () => this.run());
  }

  private async run(): Promise<void> {
    while (!this.closing) {
      if (this.cursor.finishedUncommitted) {
        try {
          this.cursor.commitFinished();
        } catch (error) {
          this.onCursorError(error, this.cursor.group); // delivery goes on; the position is written once it can be
        }
      }
      let work: ReturnType<GroupCursor['take']>;
      try {
        work = this.cursor.take();
      } catch (error) {
        // The store file busy, or a block gone under a read: nothing was handed out or skipped; try again shortly.
        this.onCursorError(error, this.cursor.group);
        await this.wakeup.wait(this.pollIntervalMs);
        continue;
      }
      if (!work) {
        const retryIn = this.cursor.nextRetryInMs();
        await this.wakeup.wait(retryIn === null ? this.pollIntervalMs : Math.min(retryIn, this.pollIntervalMs));
        continue;
      }
      this.observer?.delivered(this.cursor.group, { redelivery: work.lease.attempts > 0, publishedAtMs: work.publishedAtMs });
      try {
        await this.handler(work.batch);
      } catch (error) {
        this.cursor.fail(work.lease);
        this.onError(error, this.cursor.group, work.batch);
        continue;
      }
      try {
        this.cursor.ack(work.lease);
      } catch (error) {
        // The lease stays finished in line; the next pass writes the position (`commitFinished`).
        this.onCursorError(error, this.cursor.group);
      }
    }
  }

  /** Stop taking batches, let the ones in hand finish (acked or queued for retry), then detach. */
  async close(): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      this.wakeup.notify();
    }
    await Promise.all(this.loops);
    this.onClosed();
  }
}

function defaultOnCursorError(error: unknown, group: string): void {
  console.error(`bus group ${group}: reading the outbox or saving the position failed; trying again:`, error);
}

function defaultOnError(error: unknown, group: string, batch: BusBatch): void {
  console.error(`bus group ${group}: batch ${batch.id} failed and will be retried:`, error);
}
