/**
 * `LocalJobQueue`: the embedded-mode JobQueue, a table in a SQLite file. It keeps the port's promises the way
 * BullMQ does in Redis (see ./port.ts): a job row is committed before `add` resolves, a consumer leases the jobs in
 * hand and renews the lease while the handler runs, a lease nobody renewed (a killed process) lets any consumer on
 * the same file take the job again, and a job that threw `attempts` times is kept as failed instead of retried.
 *
 * Give it its own file (e.g. `data_dir/responder-jobs.db`) rather than the event store's: every job is a few small
 * write transactions, and they should not queue behind the collector's bulk inserts for the file's write lock.
 * `:memory:` (the default) is a queue private to this object, for tests and tools that need no durability.
 *
 * better-sqlite3 is synchronous, so `addTimeoutMs` is the connection's busy timeout: an `add` waits at most that long
 * for another connection's write lock, then rejects with BWK_BUS_UNAVAILABLE like a BullMQ add whose Redis is gone.
 */
import { randomUUID } from 'node:crypto';
import { openDatabase, type SqliteDatabase } from '@bulwark/store';
import {
  checkDelay,
  checkJobConcurrency,
  jobRetryDelayMs,
  queueUnavailable,
  resolveSettings,
  type AddOptions,
  type JobQueue,
  type JobQueueSettings,
  type ProcessOptions,
  type ResolvedJobQueueSettings,
} from './port.js';
import { Wakeup } from '../local/wakeup.js';

export interface LocalJobQueueOptions<T> extends JobQueueSettings<T> {
  /** SQLite file holding the queue (shared by every process that consumes it); default `:memory:`. */
  path?: string;
  /** Queue name (several queues may share one file); default `jobs`. */
  name?: string;
  /** How often an idle consumer looks for jobs added by another process or whose lease ran out (default 250 ms). */
  pollIntervalMs?: number;
}

export const JOB_QUEUE_DDL = `
  CREATE TABLE IF NOT EXISTS job_queue (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    queue TEXT NOT NULL,
    data TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'active', 'failed')),
    run_at INTEGER NOT NULL,
    attempts_made INTEGER NOT NULL DEFAULT 0,
    stalls INTEGER NOT NULL DEFAULT 0,
    owner TEXT,
    locked_until INTEGER,
    error TEXT
  );
  CREATE INDEX IF NOT EXISTS job_queue_due ON job_queue (queue, state, run_at);
`;

/** Failed jobs kept per queue for an operator to inspect, like BullMQ's `removeOnFail: 1000`. */
const FAILED_KEPT = 1000;

interface Taken {
  id: number;
  data: string;
  attempts_made: number;
}

export class LocalJobQueue<T> implements JobQueue<T> {
  readonly name: string;
  private readonly settings: ResolvedJobQueueSettings<T>;
  private readonly db: SqliteDatabase;
  /** This object's lease token: rows it holds carry it in `owner`. */
  private readonly owner = randomUUID();
  private readonly pollIntervalMs: number;
  private readonly wakeup = new Wakeup();
  private loops: Promise<void>[] | null = null;
  private renewTimer: NodeJS.Timeout | null = null;
  private stopping = false;
  private closed = false;

  constructor(opts: LocalJobQueueOptions<T> = {}) {
    this.name = opts.name ?? 'jobs';
    this.settings = resolveSettings(this.name, opts);
    this.pollIntervalMs = Math.max(1, opts.pollIntervalMs ?? 250);
    this.db = openDatabase({ path: opts.path ?? ':memory:', synchronous: 'NORMAL', busyTimeoutMs: this.settings.addTimeoutMs });
    this.db.exec(JOB_QUEUE_DDL);
  }

  async add(data: T, options: AddOptions = {}): Promise<void> {
    const delayMs = checkDelay(options);
    const json = JSON.stringify(data);
    if (json === undefined) throw new TypeError('a job must be JSON data');
    if (this.stopping) throw queueUnavailable(this.name, { closed: true });
    try {
      this.db
        .prepare(`INSERT INTO job_queue (queue, data, state, run_at) VALUES (?, ?, 'waiting', ?)`)
        .run(this.name, json, Date.now() + delayMs);
    } catch (err) {
      // SQLITE_BUSY after the busy timeout (another connection holds the write lock), or an unwritable file.
      throw queueUnavailable(this.name, { timeoutMs: this.settings.addTimeoutMs, reason: (err as Error).message });
    }
    this.wakeup.notify();
  }

  async process(handler: (data: T) => Promise<void>, options: ProcessOptions = {}): Promise<void> {
    if (this.stopping) throw queueUnavailable(this.name, { closed: true });
    if (this.loops) throw new TypeError(`job queue ${this.name} is already being processed by this object`);
    const concurrency = checkJobConcurrency(options.concurrency);
    // Renew well before the lease runs out, so a busy event loop does not lose a live job to another consumer.
    this.renewTimer = setInterval(() => this.renew(), Math.max(1, Math.floor(this.settings.lockDurationMs / 3)));
    this.renewTimer.unref();
    this.loops = Array.from({ length: concurrency }, () => this.consume(handler));
  }

  /** Graceful: no new jobs; the ones in hand finish (done or scheduled for a retry); then the file is released. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.stopping = true;
    this.wakeup.notify();
    await Promise.all(this.loops ?? []);
    this.release();
  }

  /**
   * Stop at once, as a killed process would: jobs in hand are neither finished nor released, their leases run out
   * and another consumer takes them. For tests and fatal shutdowns.
   */
  async abandon(): Promise<void> {
    this.stopping = true;
    this.wakeup.notify();
    this.release();
  }

  private release(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.renewTimer) clearInterval(this.renewTimer);
    this.db.close();
  }

  private async consume(handler: (data: T) => Promise<void>): Promise<void> {
    while (!this.stopping) {
      let job: Taken | undefined;
      try {
        job = this.take();
      } catch (err) {
        this.settings.onError(err);
        await this.wakeup.wait(this.pollIntervalMs);
        continue;
      }
      if (!job) {
        await this.wakeup.wait(this.untilNextDue());
        continue;
      }
      try {
        await handler(JSON.parse(job.data) as T);
        this.settle(() => this.db.prepare(`DELETE FROM job_queue WHERE id = ? AND owner = ?`).run(job.id, this.owner));
      } catch (err) {
        this.failed(job, err);
      }
    }
  }

  /** Put back (or fail) the jobs whose lease ran out, then lease the next due job to this consumer. */
  private take(): Taken | undefined {
    if (this.closed) return undefined;
    const now = Date.now();
    const { attempts, lockDurationMs } = this.settings;
    return this.db.transaction(() => {
      this.db
        .prepare(`UPDATE job_queue SET state = 'failed', owner = NULL, error = 'the job stalled more often than allowed' WHERE queue = ? AND state = 'active' AND locked_until < ? AND stalls >= ?`)
        .run(this.name, now, attempts);
      this.db
        .prepare(`UPDATE job_queue SET state = 'waiting', owner = NULL, stalls = stalls + 1, run_at = ? WHERE queue = ? AND state = 'active' AND locked_until < ?`)
        .run(now, this.name, now);
      const job = this.db
        .prepare(`SELECT id, data, attempts_made FROM job_queue WHERE queue = ? AND state = 'waiting' AND run_at <= ? ORDER BY run_at, id LIMIT 1`)
        .get(this.name, now) as Taken | undefined;
      if (job) {
        this.db.prepare(`UPDATE job_queue SET state = 'active', owner = ?, locked_until = ? WHERE id = ?`).run(this.owner, now + lockDurationMs, job.id);
      }
      return job;
    }).immediate();
  }

  private failed(job: Taken, error: unknown): void {
    const attempt = job.attempts_made + 1;
    const final = attempt >= this.settings.attempts;
    const message = error instanceof Error ? error.message : String(error);
    this.settle(() => {
      if (final) {
        this.db.prepare(`UPDATE job_queue SET state = 'failed', owner = NULL, attempts_made = ?, error = ? WHERE id = ? AND owner = ?`).run(attempt, message, job.id, this.owner);
        this.db
          .prepare(`DELETE FROM job_queue WHERE queue = ? AND state = 'failed' AND id NOT IN (SELECT id FROM job_queue WHERE queue = ? AND state = 'failed' ORDER BY id DESC LIMIT ${FAILED_KEPT})`)
          .run(this.name, this.name);
      } else {
        const runAt = Date.now() + jobRetryDelayMs(attempt, this.settings);
        this.db.prepare(`UPDATE job_queue SET state = 'waiting', owner = NULL, attempts_made = ?, error = ?, run_at = ? WHERE id = ? AND owner = ?`).run(attempt, message, runAt, job.id, this.owner);
      }
    });
    this.settings.onError(error, { data: JSON.parse(job.data) as T, attempt, final });
  }

  /**
   * Record a job's outcome. Skipped once released (abandoned: as if the process had died); a failure to write leaves
   * the job leased to us, so it comes back after the lease, which keeps at-least-once.
   */
  private settle(write: () => void): void {
    if (this.closed) return;
    try {
      write();
    } catch (err) {
      this.settings.onError(err);
    }
  }

  private renew(): void {
    if (this.closed) return;
    this.settle(() =>
      this.db.prepare(`UPDATE job_queue SET locked_until = ? WHERE queue = ? AND owner = ? AND state = 'active'`).run(Date.now() + this.settings.lockDurationMs, this.name, this.owner),
    );
  }

  /** How long an idle consumer sleeps: until the next delayed job is due, at most one poll interval. */
  private untilNextDue(): number {
    if (this.closed) return this.pollIntervalMs;
    let next: number | null = null;
    try {
      next = this.db.prepare(`SELECT MIN(run_at) FROM job_queue WHERE queue = ? AND state = 'waiting'`).pluck().get(this.name) as number | null;
    } catch (err) {
      this.settings.onError(err);
    }
    return next === null ? this.pollIntervalMs : Math.max(1, Math.min(this.pollIntervalMs, next - Date.now()));
  }
}
