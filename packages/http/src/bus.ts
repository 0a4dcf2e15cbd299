/**
 * Chooses the bus adapter once, at start-up (ARCHITECTURE.md, "Mode is configuration, never a code fork"): BullMQ on
 * Redis when `bus.redis_url` is set (scale mode: any number of collectors and correlators), else the embedded store's
 * own outbox cursor (`LocalBus` over the SQLite `events` table), which needs nothing published at all.
 */
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { Config } from '@bulwark/config';
import { BullmqBus, LocalBus, type Bus } from '@bulwark/bus';

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
