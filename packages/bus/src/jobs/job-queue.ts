/**
 * A work queue for small jobs ("advance run X", "alert Y was recorded"), next to the batch bus: BullMQ in scale mode
 * (any number of responders share it; a job whose worker died is redelivered), in-process timers in embedded mode
 * (the work itself is journaled in the store, and the responder rescans it at start, so losing the queue with the
 * process loses nothing). Jobs may be delayed (approval deadlines, retry back-offs). Handlers must be idempotent:
 * a job may run more than once.
 */
import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

export interface JobQueue<T> {
  add(data: T, options?: { delayMs?: number }): Promise<void>;
  /** Start handling jobs; a handler that throws has its job retried with back-off. */
  process(handler: (data: T) => Promise<void>, options?: { concurrency?: number }): Promise<void>;
  close(): Promise<void>;
}

/** Embedded mode: timers and a concurrency limit in this process. */
export class LocalJobQueue<T> implements JobQueue<T> {
  private handler: ((data: T) => Promise<void>) | null = null;
  private concurrency = 1;
  private active = 0;
  private readonly ready: { data: T; attempt: number }[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(private readonly onError: (error: unknown, data: T) => void = () => {}) {}

  async add(data: T, options: { delayMs?: number } = {}): Promise<void> {
    this.enqueue(data, 0, options.delayMs ?? 0);
  }

  private enqueue(data: T, attempt: number, delayMs: number): void {
    if (this.closed) return;
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.enqueue(data, attempt, 0);
      }, Math.min(delayMs, 2 ** 31 - 1));
      timer.unref();
      this.timers.add(timer);
      return;
    }
    this.ready.push({ data, attempt });
    this.pump();
  }

  private pump(): void {
    while (this.handler && !this.closed && this.active < this.concurrency && this.ready.length > 0) {
      const job = this.ready.shift()!;
      this.active++;
      this.handler(job.data)
        .catch((error: unknown) => {
          this.onError(error, job.data);
          this.enqueue(job.data, job.attempt + 1, Math.min(30_000, 500 * 2 ** job.attempt));
        })
        .finally(() => {
          this.active--;
          this.pump();
        });
    }
  }

  async process(handler: (data: T) => Promise<void>, options: { concurrency?: number } = {}): Promise<void> {
    this.handler = handler;
    this.concurrency = options.concurrency ?? 1;
    this.pump();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    while (this.active > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export interface BullmqJobQueueOptions {
  url: string;
  /** Queue name, e.g. `responder`. */
  name: string;
  prefix?: string;
  /** A job whose worker died is handed to another after about this long (lock expiry + stalled check). Default 30 s. */
  lockDurationMs?: number;
  onError?: (error: unknown) => void;
}

/** Scale mode: one BullMQ queue; producers only add, a responder also processes. */
export class BullmqJobQueue<T> implements JobQueue<T> {
  private readonly producer: Redis;
  private readonly queue: Queue;
  private worker: Worker | null = null;
  private consumer: Redis | null = null;

  constructor(private readonly options: BullmqJobQueueOptions) {
    this.producer = new Redis(options.url);
    this.producer.on('error', (error: Error) => options.onError?.(error));
    this.queue = new Queue(options.name, { connection: this.producer, prefix: options.prefix ?? 'bulwark' });
    // Without a listener BullMQ prints every connection error; they reach the caller through `add` instead.
    this.queue.on('error', (error: Error) => options.onError?.(error));
  }

  async add(data: T, options: { delayMs?: number } = {}): Promise<void> {
    await this.queue.add('job', data, {
      ...(options.delayMs && options.delayMs > 0 ? { delay: Math.ceil(options.delayMs) } : {}),
      attempts: 20,
      backoff: { type: 'exponential', delay: 500 },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }

  async process(handler: (data: T) => Promise<void>, options: { concurrency?: number } = {}): Promise<void> {
    this.consumer = new Redis(this.options.url, { maxRetriesPerRequest: null });
    this.consumer.on('error', (error: Error) => this.options.onError?.(error));
    this.worker = new Worker(this.options.name, async (job) => handler(job.data as T), {
      connection: this.consumer,
      prefix: this.options.prefix ?? 'bulwark',
      concurrency: options.concurrency ?? 1,
      lockDuration: this.options.lockDurationMs ?? 30_000,
      stalledInterval: this.options.lockDurationMs ?? 30_000,
    });
    this.worker.on('error', (error) => this.options.onError?.(error));
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    this.producer.disconnect();
    this.consumer?.disconnect();
  }
}
