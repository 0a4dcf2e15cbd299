/**
 * The correlator's window state, chosen from config: Redis when the bus is on Redis (several correlator processes
 * then see one window per group key, which is what makes their alerts the same as one process's); with the embedded
 * store, a table in its file, flushed with each acknowledged batch, so open windows survive a restart as the bus
 * cursor does. (In-process only for a search-engine store without Redis, which the configuration refuses.)
 */
import { join } from 'node:path';
import type { Config } from '@bulwark/config';
import { RedisCorrelationState } from '@bulwark/bus';
import { InMemoryCorrelationState, type CorrelationState } from '@bulwark/detection';
import { SqliteCorrelationState } from '@bulwark/store';

/** A window state; one with `flush()` is written per acknowledged batch (see the correlator). */
export type CorrelatorState = CorrelationState & { flush?: () => unknown };

export function openCorrelationState(config: Config): { state: CorrelatorState; close(): Promise<void> } {
  if (config.bus.redis_url) {
    const state = new RedisCorrelationState(config.bus.redis_url, { prefix: `${config.bus.prefix}:correlation:` });
    return { state, close: () => state.close() };
  }
  if (config.store.type === 'sqlite') {
    const state = new SqliteCorrelationState(join(config.data_dir, 'bulwark.db'));
    return { state, close: async () => state.close() };
  }
  return { state: new InMemoryCorrelationState(), close: async () => {} };
}
