/**
 * Chooses the bus adapter once, at start-up (ARCHITECTURE.md, "Mode is configuration, never a code fork"): BullMQ on
 * Redis when `bus.redis_url` is set (scale mode: any number of collectors and correlators), else the embedded store's
 * own outbox cursor (`LocalBus` over the SQLite `events` table), which needs nothing published at all.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '@bulwark/config';
import { BullmqBus, BullmqJobQueue, LocalBus, LocalJobQueue, type Bus, type JobQueue } from '@bulwark/bus';

export function openBus(config: Config, logger: Logger): Bus {
  const onHandlerError = (err: unknown, group: string, batch: { id: string }): void => {
    logger.warn({ err, group, batch: batch.id }, 'a bus consumer failed a batch; it will be redelivered');
  };
  if (config.bus.redis_url) {
    return new BullmqBus({
      url: config.bus.redis_url,
      groups: config.bus.groups,
      prefix: config.bus.prefix,
      lockDurationMs: config.bus.lock_duration,
      stalledIntervalMs: config.bus.lock_duration,
      onHandlerError,
    });
  }
  if (config.store.type !== 'sqlite') {
    // The config schema refuses this combination; kept as a guard for callers that build a Config by hand.
    throw new TypeError(`store.type ${config.store.type} needs bus.redis_url: only the SQLite store can be its own bus`);
  }
  return new LocalBus({ path: join(config.data_dir, 'bulwark.db'), onHandlerError });
}

/** What the responders' queue carries: a run to advance, or an alert just recorded. */
export type ResponderJob = { kind: 'run'; runId: string } | { kind: 'alert'; alertId: string; incidentId: string | null };

/**
 * The responders' work queue, chosen like the bus: BullMQ on the same Redis (any number of responder processes share
 * it; a job whose responder died is handed to another after `bus.lock_duration`), else in-process timers (the work is
 * journaled in the store and rescanned at start, so losing the queue with the process loses nothing).
 */
export function openResponderQueue(config: Config, logger: Logger): JobQueue<ResponderJob> {
  const onError = (err: unknown): void => logger.warn({ err }, 'responder job failed; retrying');
  return config.bus.redis_url
    ? new BullmqJobQueue<ResponderJob>({ url: config.bus.redis_url, name: 'responder', prefix: config.bus.prefix, lockDurationMs: config.bus.lock_duration, onError })
    : new LocalJobQueue<ResponderJob>(onError);
}
