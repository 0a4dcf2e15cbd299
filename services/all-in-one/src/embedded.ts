/**
 * Embedded mode's detection stage: the correlator in this process, reading the SQLite store's `events` table through
 * `LocalBus` (an outbox cursor, so a restart resumes after the last acknowledged batch). Kept apart from `buildApp`,
 * which stays pure, so tests start it explicitly in-process; `npm start` runs the same service on its own thread
 * (correlator-thread.ts).
 */
import { join } from 'node:path';
import type { ServiceDeps } from '@bulwark/http';
import { LocalBus } from '@bulwark/bus';
import { startCorrelatorService, type Correlator } from '@bulwark/correlator';

export interface EmbeddedOptions {
  /** Sigma rules directory; default `detection.rules_dir`, else the bundled `rules/`. */
  rulesDir?: string;
  /** How often the bus looks for new events when not nudged (ms, default 250); only when this call opens the bus. */
  pollIntervalMs?: number;
}

export interface Embedded {
  bus: LocalBus;
  correlator: Correlator;
}

/**
 * Starts the in-process correlator on the store-backed bus when the store is SQLite (else returns null): the
 * runtime's `LocalBus` if it opened one (the collector then wakes the correlator on every stored batch), else one
 * opened here. Everything closes with `deps.close()`.
 */
export async function startEmbedded(deps: ServiceDeps, options: EmbeddedOptions = {}): Promise<Embedded | null> {
  if (deps.config.store.type !== 'sqlite') {
    deps.logger.info({ store: deps.config.store.type }, 'store is not SQLite: the correlator runs on the Redis bus');
    return null;
  }
  const own = !(deps.bus instanceof LocalBus);
  const bus =
    deps.bus instanceof LocalBus
      ? deps.bus
      : new LocalBus({
          path: join(deps.config.data_dir, 'bulwark.db'),
          ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
          onHandlerError: () => {
            /* the correlator logs its own failures */
          },
        });
  if (own) deps.onClose(() => bus.close());
  const correlator = await startCorrelatorService(deps, bus, options.rulesDir !== undefined ? { rulesDir: options.rulesDir } : {});
  return { bus, correlator };
}
