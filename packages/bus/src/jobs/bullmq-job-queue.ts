/**
 * `BullmqJobQueue`: the scale-mode JobQueue, one BullMQ queue in Redis shared by every process (producers only add,
 * responders also process). BullMQ's own options are set so it keeps the port's promises (see ./port.ts) exactly as
 * `LocalJobQueue` does: `attempts` runs then failed (kept, newest 1000), our back-off (not BullMQ's exponential one,
 * whose 20th retry came days later), a lock of `lockDurationMs` checked for stalls at the same interval, a stalled job
 * put back up to `attempts` times (BullMQ's default of 1 failed a job on its second crash), and `add` bounded by
 * `addTimeoutMs` (BullMQ would wait for Redis as long as ioredis keeps reconnecting).
 */
import { BulwarkError } from '@bulwark/schema';
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { pingRedis } from '../redis-ping.js';
import {
  boundedAdd,
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

export interface BullmqJobQueueOptions<T = unknown> extends JobQueueSettings<T> {
  /** `redis://…` address. */
  url: string;
  /** Queue name, e.g. `responder`. */
  name: string;
  /** Redis key prefix shared by all queues of this deployment (default `bulwark`). */
  prefix?: string;
}

/** Custom back-off name, resolved by the worker's `settings.backoffStrategy`. */
const BACKOFF_TYPE = 'bulwark-job';
/** Failed jobs kept per queue for an operator to inspect. */
const FAILED_KEPT = 1000;

export class BullmqJobQueue<T> implements JobQueue<T> {
  readonly name: string;
  private readonly settings: ResolvedJobQueueSettings<T>;
  private readonly prefix: string;
  /** Default retry limits, so a command fails while Redis is gone; `add` bounds the wait anyway. */
  private readonly producer: Redis;
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private consumer: Redis | null = null;
  private lastError: Error | undefined;
  private closed = false;

  constructor(private readonly options: BullmqJobQueueOptions<T>) {
    if (!options.url) throw new BulwarkError('BWK_CONFIG_INVALID', 'the job queue needs a Redis address (`bus.redis_url`)', { field: 'bus.redis_url' });
    this.name = options.name;
    this.settings = resolveSettings(options.name, options);
    this.prefix = options.prefix ?? 'bulwark';
    // Eager, like the bus's producer: a lazily connected client whose first connect fails stays closed for good.
    this.producer = new Redis(options.url);
    this.producer.on('error', (error: Error) => this.backendError(error));
    this.queue = new Queue(options.name, { connection: this.producer, prefix: this.prefix });
    // Without a listener BullMQ prints every connection error; `add` reports them to its caller instead.
    this.queue.on('error', (error: Error) => this.backendError(error));
  }

  async add(data: T, options: AddOptions = {}): Promise<void> {
    const delayMs = checkDelay(options);
    if (JSON.stringify(data) === undefined) throw new TypeError('a job must be JSON data');
    if (this.closed) throw queueUnavailable(this.name, { closed: true });
    const added = this.queue.add('job', data, {
      ...(delayMs > 0 ? { delay: delayMs } : {}),
      attempts: this.settings.attempts,
      backoff: { type: BACKOFF_TYPE },
      removeOnComplete: true,
      removeOnFail: FAILED_KEPT,
    });
    await boundedAdd(added, this.name, this.settings.addTimeoutMs, () => this.lastError);
  }

  async process(handler: (data: T) => Promise<void>, options: ProcessOptions = {}): Promise<void> {
    if (this.closed) throw queueUnavailable(this.name, { closed: true });
    if (this.worker) throw new TypeError(`job queue ${this.name} is already being processed by this object`);
    const concurrency = checkJobConcurrency(options.concurrency);
    // Workers must never give up on a command (BullMQ requires `maxRetriesPerRequest: null`).
    this.consumer = new Redis(this.options.url, { maxRetriesPerRequest: null });
    this.consumer.on('error', (error: Error) => this.backendError(error));
    const { attempts, lockDurationMs } = this.settings;
    const worker = new Worker(this.name, async (job: Job) => handler(job.data as T), {
      connection: this.consumer,
      prefix: this.prefix,
      concurrency,
      lockDuration: lockDurationMs,
      stalledInterval: lockDurationMs,
      maxStalledCount: attempts,
      settings: { backoffStrategy: (attemptsMade: number) => jobRetryDelayMs(attemptsMade, this.settings) },
    });
    this.worker = worker;
    worker.on('failed', (job, error) => {
      if (!job) return;
      // BullMQ counts this run in attemptsMade before it emits; a job with attempts left was moved to delayed.
      this.settings.onError(error, { data: job.data as T, attempt: job.attemptsMade, final: job.attemptsMade >= attempts });
    });
    worker.on('error', (error) => this.backendError(error));
    await worker.waitUntilReady();
  }

  /** Whether Redis answers this queue's connection (readiness). */
  ping(): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : pingRedis(this.producer);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.worker?.close();
    await this.release();
  }

  /**
   * Stop at once, as a killed process would: jobs in hand are neither finished nor released, their locks run out and
   * another consumer's stalled-job check puts them back. For tests and fatal shutdowns.
   */
  async abandon(): Promise<void> {
    this.closed = true;
    await this.worker?.close(true);
    await this.release();
  }

  private async release(): Promise<void> {
    // A queue whose Redis is unreachable would wait for it to close; nothing is pending that a disconnect could lose.
    if (this.producer.status === 'ready') await this.queue.close().catch(() => {});
    this.producer.disconnect();
    this.consumer?.disconnect();
  }

  private backendError(error: Error): void {
    this.lastError = error;
    this.settings.onError(error);
  }
}
