/**
 * `BullmqBus`: the scale-mode bus on Redis (ARCHITECTURE.md, "scale: the bus … in Redis (BullMQ)").
 *
 * One BullMQ queue per consumer group: `publish` adds the batch as one job to every configured group's queue, and
 * each `subscribe` runs a BullMQ Worker on its group's queue. BullMQ then gives what the port promises:
 * - work sharing: a job is locked by one worker at a time, however many correlator processes run;
 * - at-least-once: a failed job is retried with our back-off (attempts are effectively unlimited), and a job whose
 *   worker died (lock not renewed) is moved back to wait by any live worker's stalled-job check;
 * - deduplication of re-published batches: the job id is derived from the batch id, and BullMQ ignores an add whose
 *   job id exists. Completed jobs are kept for `dedupWindowSeconds` for that reason; a batch re-published after its
 *   job was removed is delivered again (harmless: consumers are idempotent).
 *
 * Groups are configuration (`groups`), not discovered: a batch published before a group's first worker started must
 * still wait for it, so the publisher has to know the group already.
 */
import { Queue, Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { BulwarkError, withTimeout } from '@bulwark/schema';
import {
  checkConcurrency,
  checkGroupName,
  retryDelayMs,
  type BatchHandler,
  type Bus,
  type BusBatch,
  type BusObserver,
  type SubscribeOptions,
  type Subscription,
} from '../port.js';
import { pingRedis } from '../redis-ping.js';

export interface BullmqBusOptions {
  /** `redis://…` address; default `process.env.REDIS_URL`. */
  url?: string;
  /** Every consumer group a batch must reach (e.g. `['correlator']`). Subscribing to another group is refused. */
  groups: readonly string[];
  /** Redis key prefix shared by all queues of this deployment (default `bulwark`). */
  prefix?: string;
  /** How long completed jobs are kept so a re-published batch id is recognised (default 3600 s). */
  dedupWindowSeconds?: number;
  /** Lock of a job in hand; a dead worker's job is redelivered after about this long (default 30000 ms). */
  lockDurationMs?: number;
  /** How often workers look for jobs whose worker died (default 30000 ms; BullMQ's default). */
  stalledIntervalMs?: number;
  /** Called with a handler's error before the batch is retried; default: `console.error`. */
  onHandlerError?: (error: unknown, group: string, batch: BusBatch) => void;
  /** Called with a worker's connection error (ioredis reconnects by itself); default: `console.error`. */
  onWorkerError?: (error: Error, group: string) => void;
  /** Told of each delivery (metrics). */
  observer?: BusObserver;
  /** A publish that Redis has not confirmed within this long fails, so the collector answers 503 (default 3000 ms). */
  publishTimeoutMs?: number;
}

/** Effectively unlimited: a batch parked as "failed" would be a silently lost detection. */
const ATTEMPTS = 1_000_000;
/** Custom back-off name, resolved by each worker's `settings.backoffStrategy`. */
const BACKOFF_TYPE = 'bulwark-bus';
/** Most completed jobs kept per queue for deduplication, whatever their age. */
const DEDUP_MAX_JOBS = 100_000;

export class BullmqBus implements Bus {
  /** Commands from the publisher: default retry limits, so `publish` fails (and the collector answers 503) when Redis is gone. */
  private readonly producer: Redis;
  /** Workers must never give up on a command (BullMQ requires `maxRetriesPerRequest: null`); each duplicates it for blocking. */
  private readonly consumer: Redis;
  private readonly queues = new Map<string, Queue<BusBatch>>();
  private readonly subscriptions = new Set<BullmqSubscription>();
  private readonly prefix: string;
  private readonly dedupWindowSeconds: number;
  private closed = false;
  private lastProducerError: Error | undefined;

  constructor(private readonly options: BullmqBusOptions) {
    const url = options.url ?? process.env.REDIS_URL;
    if (!url) throw new BulwarkError('BWK_CONFIG_INVALID', 'BullmqBus needs a Redis address: set REDIS_URL or pass `url`', { field: 'bus.redis_url' });
    if (options.groups.length === 0) throw new TypeError('BullmqBus needs at least one consumer group');
    for (const group of options.groups) checkGroupName(group);
    this.prefix = options.prefix ?? 'bulwark';
    this.dedupWindowSeconds = options.dedupWindowSeconds ?? 3600;
    // Not lazy: a lazily connected client whose first connect fails is closed for good, so a collector started while
    // Redis was down answered 503 forever. Connected eagerly, ioredis keeps retrying in the background; `publish`
    // bounds how long a request waits for it.
    this.producer = new Redis(url);
    this.producer.on('error', (error: Error) => {
      this.lastProducerError = error;
    });
    this.consumer = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: null });
    for (const group of new Set(options.groups)) {
      const queue = new Queue<BusBatch>(queueNameOf(group), { connection: this.producer, prefix: this.prefix });
      queue.on('error', (error: Error) => {
        this.lastProducerError = error;
      });
      this.queues.set(group, queue);
    }
  }

  /** The groups this bus publishes to. */
  get groups(): string[] {
    return [...this.queues.keys()];
  }

  /** One job per group, all with the batch's job id; resolves when Redis holds every one of them. */
  async publish(batch: BusBatch): Promise<void> {
    if (this.closed) throw new BulwarkError('BWK_BUS_UNAVAILABLE', 'the bus is closed', { closed: true });
    const jobId = jobIdOf(batch.id);
    const added = Promise.all(
      [...this.queues.values()].map((queue) =>
        queue.add('batch', batch, {
          jobId,
          attempts: ATTEMPTS,
          backoff: { type: BACKOFF_TYPE },
          removeOnComplete: { age: this.dedupWindowSeconds, count: DEDUP_MAX_JOBS },
          removeOnFail: false,
        }),
      ),
    );
    // An add that completes after the timeout is harmless: the publisher retries with the same batch (and job) id.
    added.catch(() => {});
    const timeoutMs = this.options.publishTimeoutMs ?? 3000;
    await withTimeout(added, timeoutMs, () => {
      const cause = this.lastProducerError ? `: ${this.lastProducerError.message}` : '';
      return new BulwarkError('BWK_BUS_UNAVAILABLE', `Redis did not take the batch within ${timeoutMs} ms${cause}`, {
        timeoutMs,
        ...(this.lastProducerError ? { reason: this.lastProducerError.message } : {}),
      });
    });
  }

  async subscribe(group: string, handler: BatchHandler, options: SubscribeOptions = {}): Promise<Subscription> {
    if (this.closed) throw new BulwarkError('BWK_BUS_UNAVAILABLE', 'the bus is closed', { closed: true });
    checkGroupName(group);
    if (!this.queues.has(group)) {
      throw new TypeError(`bus group ${group} is not in this bus's groups (${this.groups.join(', ')}): it would never get a batch`);
    }
    const onError = this.options.onHandlerError ?? defaultOnError;
    const observer = this.options.observer;
    const worker = new Worker<BusBatch>(queueNameOf(group), async (job: Job<BusBatch>) => {
      // attemptsStarted counts deliveries whose worker died too (a stalled job put back), attemptsMade only failures.
      observer?.delivered(group, { redelivery: job.attemptsStarted > 1 || job.attemptsMade > 0, publishedAtMs: job.timestamp || null });
      return handler(job.data);
    }, {
      connection: this.consumer,
      prefix: this.prefix,
      concurrency: checkConcurrency(options.concurrency),
      lockDuration: this.options.lockDurationMs ?? 30_000,
      stalledInterval: this.options.stalledIntervalMs ?? 30_000,
      // A job whose worker died is always put back: the default (1) would fail it on the second crash and lose it.
      maxStalledCount: ATTEMPTS,
      settings: { backoffStrategy: (attemptsMade: number) => retryDelayMs(attemptsMade) },
    });
    worker.on('failed', (job, error) => {
      if (job) onError(error, group, job.data);
    });
    // Connection trouble: ioredis reconnects by itself; without a listener an 'error' event would crash the process.
    const onWorkerError = this.options.onWorkerError ?? ((error: Error) => console.error(`bus group ${group}: worker error:`, error));
    worker.on('error', (error) => onWorkerError(error, group));
    const subscription = new BullmqSubscription(worker, () => this.subscriptions.delete(subscription));
    // Registered before waiting, so a `close()` that starts meanwhile closes this worker too (it could otherwise
    // outlive the bus and retry a dead connection forever).
    this.subscriptions.add(subscription);
    try {
      await worker.waitUntilReady();
    } catch (err) {
      await subscription.abandon().catch(() => {});
      throw err;
    }
    return subscription;
  }

  /** Whether Redis answers this bus's publishing connection (readiness). */
  ping(): Promise<boolean> {
    return this.closed ? Promise.resolve(false) : pingRedis(this.producer);
  }

  /** Graceful: workers finish (and acknowledge) the jobs in hand, then the connections are closed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.close()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    await Promise.all([quit(this.producer), quit(this.consumer)]);
  }

  /**
   * Stop at once, as a crashed process would: jobs in hand are neither finished nor released, so their locks expire
   * and another worker's stalled-job check redelivers them. For tests and for fatal shutdowns.
   */
  async abandon(): Promise<void> {
    this.closed = true;
    await Promise.all([...this.subscriptions].map((s) => s.abandon()));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.producer.disconnect();
    this.consumer.disconnect();
  }
}

class BullmqSubscription implements Subscription {
  private closing: Promise<void> | null = null;

  constructor(
    private readonly worker: Worker<BusBatch>,
    private readonly onClosed: () => void,
  ) {}

  /** BullMQ's graceful close: no new jobs, wait for active ones to complete. */
  close(): Promise<void> {
    this.closing ??= this.worker.close().finally(this.onClosed);
    return this.closing;
  }

  abandon(): Promise<void> {
    this.closing ??= this.worker.close(true).finally(this.onClosed);
    return this.closing;
  }
}

async function quit(connection: Redis): Promise<void> {
  if (connection.status === 'end' || connection.status === 'wait') {
    connection.disconnect();
    return;
  }
  await connection.quit().catch(() => connection.disconnect());
}

function defaultOnError(error: unknown, group: string, batch: BusBatch): void {
  console.error(`bus group ${group}: batch ${batch.id} failed and will be retried:`, error);
}

// Names in Redis, exported so tests and operators' scripts (inspecting or draining a group's queue) agree with the bus.

/** The queue that carries one consumer group's copy of every batch. */
export function queueNameOf(group: string): string {
  return `bus-${group}`;
}

/**
 * A batch id as a BullMQ job id. BullMQ refuses custom ids that look like integers or contain `:`, and batch ids may
 * be either (a first event seq, a `host:seq` pair); a fixed prefix plus URI-encoding (`:` → `%3A`, `%` → `%25`) maps
 * every batch id to a distinct legal job id, so deduplication by id still holds.
 */
export function jobIdOf(batchId: string): string {
  if (batchId === '') throw new TypeError('a bus batch id must not be empty');
  return `b-${encodeURIComponent(batchId)}`;
}
