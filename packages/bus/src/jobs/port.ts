/**
 * The JobQueue port: small jobs ("advance run X", "alert Y was recorded") next to the batch bus. Start-up wiring
 * picks `BullmqJobQueue` (scale mode: any number of responders share one queue in Redis) or `LocalJobQueue`
 * (embedded mode: a table in a SQLite file); `test/job-queue-contract.ts` runs the same suite against both, on the
 * real engines.
 *
 * Guarantees every adapter gives:
 * - **Durable add, bounded in time.** `add` resolves once the backend holds the job (Redis has it; the SQLite row is
 *   committed). When the backend does not take it within `addTimeoutMs` (default 3 s: Redis unreachable, the SQLite
 *   file locked), `add` rejects with `BWK_BUS_UNAVAILABLE` (503, details `{queue, timeoutMs}`), so a request that
 *   waits on it answers "retry later" instead of hanging. After `close()` it rejects with the same code
 *   (details `{queue, closed: true}`).
 * - **At-least-once, one consumer at a time.** A job is in the hands of one consumer at a time and done when the
 *   handler resolves. Handlers must be idempotent: a job may run more than once.
 * - **A bounded retry.** A handler that throws has its job offered again after `backoffMs` doubling up to
 *   `maxBackoffMs`; after `attempts` runs that threw (default 20) the job is failed: never run again, reported to
 *   `onError` with `final: true` and kept for inspection (the newest 1000 per queue).
 * - **Stalled jobs come back.** A consumer holds a lock on each job in hand and renews it while the handler runs. A
 *   consumer that dies (process killed, `abandon()`) stops renewing; after `lockDurationMs` (plus at most one check
 *   interval of the same length) another consumer takes the job. A job recovered this way more than `attempts` times
 *   is failed too, so a job that kills every process it lands on cannot crash-loop the fleet forever.
 * - **Delays.** A job added with `delayMs` is not handed out before that time has passed.
 * - **JSON data.** The handler receives a JSON copy of what was added (both backends store JSON).
 *
 * Ordering is not promised: with one consumer of concurrency 1 and no failures jobs run in the order they became
 * due, but a retry or a recovered job runs behind the jobs that were waiting.
 */
import { BulwarkError, withTimeout } from '@bulwark/schema';

export interface AddOptions {
  /** Do not hand the job out before this many milliseconds have passed. */
  delayMs?: number;
}

export interface ProcessOptions {
  /** Jobs this consumer runs at the same time (default 1). */
  concurrency?: number;
}

/** What `onError` is told about a handler's failure; absent for errors that concern no job (connection trouble). */
export interface JobFailure<T> {
  data: T;
  /** How many runs of this job have failed so far, this one included. */
  attempt: number;
  /** True when the job was failed for good (retry limit reached): it will not run again. */
  final: boolean;
}

export type JobErrorListener<T> = (error: unknown, failure?: JobFailure<T>) => void;

export interface JobQueue<T> {
  /** Hand a job to the queue; see the module comment for when this resolves or rejects. */
  add(data: T, options?: AddOptions): Promise<void>;
  /** Start consuming (once per queue object); a handler that throws has its job retried with back-off. */
  process(handler: (data: T) => Promise<void>, options?: ProcessOptions): Promise<void>;
  /** Stop taking jobs, wait for the ones in hand to finish (done, or scheduled for a retry), release the backend. */
  close(): Promise<void>;
}

/** The settings both adapters take, with the same meaning and defaults. */
export interface JobQueueSettings<T> {
  /** Runs of a job that may throw before it is failed for good (default 20). */
  attempts?: number;
  /** First retry delay; doubles on every failure (default 500 ms). */
  backoffMs?: number;
  /** Ceiling of the retry delay (default 30 s). */
  maxBackoffMs?: number;
  /** Lock on a job in hand: a dead consumer's job goes to another after about this long (default 30 s). */
  lockDurationMs?: number;
  /** Longest `add` waits for the backend before rejecting with BWK_BUS_UNAVAILABLE (default 3000 ms). */
  addTimeoutMs?: number;
  /** Told about every handler failure (retried or final) and about backend trouble; default: nothing. */
  onError?: JobErrorListener<T>;
}

export type ResolvedJobQueueSettings<T> = Required<JobQueueSettings<T>>;

/** Queue names end up in Redis keys and SQLite rows. */
export const QUEUE_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** Defaults applied and every number checked, so both adapters refuse the same bad settings the same way. */
export function resolveSettings<T>(name: string, settings: JobQueueSettings<T>): ResolvedJobQueueSettings<T> {
  if (!QUEUE_NAME.test(name)) throw new TypeError(`job queue name ${JSON.stringify(name)} must match ${QUEUE_NAME.source}`);
  const resolved = {
    attempts: settings.attempts ?? 20,
    backoffMs: settings.backoffMs ?? 500,
    maxBackoffMs: settings.maxBackoffMs ?? 30_000,
    lockDurationMs: settings.lockDurationMs ?? 30_000,
    addTimeoutMs: settings.addTimeoutMs ?? 3000,
    onError: settings.onError ?? (() => {}),
  };
  for (const key of ['attempts', 'backoffMs', 'maxBackoffMs', 'lockDurationMs', 'addTimeoutMs'] as const) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`job queue ${key} must be a positive integer, got ${value}`);
  }
  return resolved;
}

/** @throws TypeError when `concurrency` is not a positive integer. */
export function checkJobConcurrency(concurrency: number | undefined): number {
  const value = concurrency ?? 1;
  if (!Number.isSafeInteger(value) || value < 1) throw new TypeError(`job queue concurrency must be a positive integer, got ${concurrency}`);
  return value;
}

/** @throws TypeError when `delayMs` is negative or not finite. Returns whole milliseconds. */
export function checkDelay(options: AddOptions): number {
  const delay = options.delayMs ?? 0;
  if (!Number.isFinite(delay) || delay < 0) throw new TypeError(`job delayMs must be a finite number >= 0, got ${delay}`);
  return Math.ceil(delay);
}

/** The delay before run `attempt + 1` of a job whose run `attempt` (1-based) threw. */
export function jobRetryDelayMs(attempt: number, settings: Pick<ResolvedJobQueueSettings<unknown>, 'backoffMs' | 'maxBackoffMs'>): number {
  return Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** Math.max(0, Math.min(attempt - 1, 30)));
}

/** The catalogue error of an `add` the backend did not take in time (or at all). */
export function queueUnavailable(queue: string, details: { timeoutMs?: number; closed?: boolean; reason?: string }): BulwarkError {
  const why = details.closed ? 'is closed' : details.timeoutMs !== undefined ? `did not take the job within ${details.timeoutMs} ms` : 'could not take the job';
  return new BulwarkError('BWK_BUS_UNAVAILABLE', `the ${queue} job queue ${why}; retry later`, { queue, ...details });
}

/**
 * Wait for `added` at most `timeoutMs`; reject with {@link queueUnavailable} when it fails or takes longer. A late
 * success after the timeout is harmless: jobs are idempotent and the caller retries.
 */
export async function boundedAdd(added: Promise<unknown>, queue: string, timeoutMs: number, lastError: () => Error | undefined): Promise<void> {
  added.catch(() => {});
  try {
    await withTimeout(added, timeoutMs, () => queueUnavailable(queue, { timeoutMs, ...reasonOf(lastError()) }));
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    throw queueUnavailable(queue, reasonOf(err));
  }
}

function reasonOf(error: unknown): { reason?: string } {
  return error instanceof Error ? { reason: error.message } : {};
}
