/**
 * Chooses the bus and the responders' queue once, at start-up (ARCHITECTURE.md, "Mode is configuration, never a code
 * fork"): BullMQ on Redis when `bus.redis_url` is set (scale mode: any number of collectors and correlators), else the
 * embedded store's own outbox cursor (`LocalBus` over the SQLite `events` table), which needs nothing published at all.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '@bulwark/config';
import { BulwarkError } from '@bulwark/schema';
import { BullmqBus, BullmqJobQueue, LocalBus, LocalJobQueue, type Bus, type BusObserver, type JobErrorListener, type JobQueue } from '@bulwark/bus';

export interface OpenBusOptions {
  /** How often the embedded bus looks for new events between wake-ups (ms, `LocalBus` default 250). */
  pollIntervalMs?: number;
  /** Told of each delivery (the process's metrics; see metrics.ts). */
  observer?: BusObserver;
}

export function openBus(config: Config, logger: Logger, options: OpenBusOptions = {}): Bus {
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
      onWorkerError: (err, group) => logger.warn({ err, group }, 'a bus consumer lost its Redis connection; reconnecting'),
      ...(options.observer ? { observer: options.observer } : {}),
    });
  }
  if (config.store.type !== 'sqlite') {
    // The config schema refuses this combination; kept as a guard for callers that build a Config by hand.
    throw new BulwarkError('BWK_CONFIG_INVALID', `store.type ${config.store.type} needs bus.redis_url: only the SQLite store can be its own bus`, { field: 'bus.redis_url' });
  }
  return new LocalBus({
    path: join(config.data_dir, 'bulwark.db'),
    onHandlerError,
    ...(options.observer ? { observer: options.observer } : {}),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
  });
}

/** What the responders' queue carries: a run to advance, or an alert just recorded. */
export type ResponderJob = { kind: 'run'; runId: string } | { kind: 'alert'; alertId: string; incidentId: string | null };

/**
 * The responders' work queue, chosen like the bus: BullMQ on the same Redis (any number of responder processes share
 * it), else a queue table in its own SQLite file beside the store (`responder-jobs.db`, so job writes never wait
 * behind the collector's bulk inserts). Both keep the JobQueue contract: a job whose responder died is handed to
 * another after `bus.lock_duration`, retries back off up to a limit, and `add` is bounded in time.
 */
export function openResponderQueue(config: Config, logger: Logger): JobQueue<ResponderJob> {
  const onError: JobErrorListener<ResponderJob> = (err, failure) =>
    failure?.final
      ? logger.error({ err, job: failure.data, attempts: failure.attempt }, 'responder job failed for good; kept as failed')
      : logger.warn({ err, ...(failure ? { job: failure.data, attempt: failure.attempt } : {}) }, failure ? 'responder job failed; retrying' : 'responder queue backend error');
  const settings = { lockDurationMs: config.bus.lock_duration, onError };
  return config.bus.redis_url
    ? new BullmqJobQueue<ResponderJob>({ url: config.bus.redis_url, name: 'responder', prefix: config.bus.prefix, ...settings })
    : new LocalJobQueue<ResponderJob>({ path: join(config.data_dir, 'responder-jobs.db'), name: 'responder', ...settings });
}
