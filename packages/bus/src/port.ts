/**
 * The Bus port: how stored event batches travel from the collector to the correlators (see ARCHITECTURE.md, "One
 * flow, three stages"). Services depend on this interface only; start-up wiring picks `LocalBus` (embedded mode, an
 * outbox cursor over the SQLite store) or `BullmqBus` (scale mode, Redis), and `test/bus-contract.ts` runs the same
 * suite against both.
 *
 * Guarantees every adapter gives:
 * - **At-least-once per group.** A batch is handed to one consumer of each group and is done only when the handler's
 *   promise resolves. A handler that throws, or a process that dies mid-batch, gets the batch redelivered (after a
 *   short back-off). Consumers must therefore be idempotent; the correlator is, through deterministic alert ids.
 * - **Work sharing inside a group.** Several subscribers of one group (in one process or, for BullMQ, in many) split
 *   the batches between them; a batch is never being handled by two of them at once.
 * - **Fan-out across groups.** Every group sees every batch published after the group exists.
 *
 * Ordering is deliberately weak: with a single subscriber of concurrency 1 and no failures, batches arrive in
 * publication order (local: store arrival order, `events.seq`). With more consumers, more concurrency, or after a
 * redelivery, batches may be handled out of order, so the correlator must tolerate late events (its windows have an
 * allowed lateness) rather than rely on the bus for a global order. Ordering per partition key is not offered: no
 * consumer needs it today, and it would cost BullMQ groups (a Pro feature) or one queue per partition.
 */
import type { SerializedEvent } from '@bulwark/store';

/** One stored batch, as the collector appended it. */
export interface BusBatch {
  /**
   * Deterministic for the same content, e.g. a hash of the event ids or the first event's id: publishing the same batch
   * twice (a collector retrying after a timeout) must give the same id, so adapters that can deduplicate do.
   */
  id: string;
  /** The events in store order, serialised exactly as they were appended. */
  events: SerializedEvent[];
}

/** Called once per delivered batch; resolve to acknowledge, throw to have it redelivered. */
export type BatchHandler = (batch: BusBatch) => Promise<void>;

export interface SubscribeOptions {
  /** Batches this subscriber handles at the same time (default 1, which keeps publication order for one subscriber). */
  concurrency?: number;
}

/**
 * Told of every batch handed to a consumer, for the process's metrics (lag and redeliveries per group): adapters call
 * it, the composition root supplies it. It must not throw or block.
 */
export interface BusObserver {
  /**
   * `redelivery`: the batch was handed out before (a consumer failed it or died holding it). `publishedAtMs`: when it
   * was published (BullMQ: the job's creation; embedded: its first event's receive time), null when unknown.
   */
  delivered(group: string, info: { redelivery: boolean; publishedAtMs: number | null }): void;
}

/** A running consumer in a group. */
export interface Subscription {
  /**
   * Stop taking new batches and wait for the ones in hand to finish (and be acknowledged). Work not yet taken stays
   * for the group's other or future subscribers.
   */
  close(): Promise<void>;
}

export interface Bus {
  /**
   * Make a stored batch available to every group. Resolves once the bus has it durably (BullMQ: the jobs are in
   * Redis; local: the events are already in the store, so this only wakes the pollers). Call it after the store
   * append resolves and before acknowledging the sender: the collector's "stored and published, then ack" rule.
   */
  publish(batch: BusBatch): Promise<void>;
  /**
   * True when consumers read the events from the store itself (the embedded bus: `publish` only wakes them). A producer
   * may then publish a batch without its events (`events: []`), so it need not keep them as rows to publish.
   */
  readonly readsStore?: boolean;
  /** Start a consumer in `group`; batches not yet acknowledged by the group (including older ones) come first. */
  subscribe(group: string, handler: BatchHandler, options?: SubscribeOptions): Promise<Subscription>;
  /** Close every subscription of this bus and release its connections. */
  close(): Promise<void>;
}

/** Group names end up in Redis keys and SQLite rows: keep them to a safe, readable alphabet. */
export const GROUP_NAME = /^[A-Za-z0-9_.-]{1,100}$/;

/** @throws TypeError when `group` is not a valid group name (a programming error, not a runtime condition). */
export function checkGroupName(group: string): void {
  if (!GROUP_NAME.test(group)) {
    throw new TypeError(`bus group name ${JSON.stringify(group)} must match ${GROUP_NAME.source}`);
  }
}

/** @throws TypeError when `concurrency` is not a positive integer. */
export function checkConcurrency(concurrency: number | undefined): number {
  const value = concurrency ?? 1;
  if (!Number.isSafeInteger(value) || value < 1) {
    throw new TypeError(`bus subscriber concurrency must be a positive integer, got ${concurrency}`);
  }
  return value;
}

/**
 * Back-off before a failed batch is offered again: 100 ms doubling to a 30 s ceiling. Never "give up": a batch parked
 * as failed would be a lost detection, and the operator sees the repeating handler error in the logs instead.
 */
export function retryDelayMs(attempt: number): number {
  return Math.min(30_000, 100 * 2 ** Math.max(0, Math.min(attempt - 1, 20)));
}
