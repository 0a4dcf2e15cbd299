/**
 * Embedded mode's detection stage: the correlator in this process, reading the SQLite store's `events` table through
 * `LocalBus` (an outbox cursor, so a restart resumes after the last acknowledged batch). Kept apart from `buildApp`,
 * which stays pure, so tests start it explicitly. Scale mode (search-engine store) runs the correlator as its own
 * process on BullMQ instead, so nothing starts here then.
 */
import { join } from 'node:path';
import type { ServiceDeps } from '@bulwark/http';
import { LocalBus } from '@bulwark/bus';
import { CaseService } from '@bulwark/cases';
import { startCorrelator, type Correlator } from '@bulwark/correlator';

export interface EmbeddedOptions {
  /** Sigma rules directory; default the bundled `rules/`. */
  rulesDir?: string;
  /** How often the bus looks for new events when not nudged (ms, default 250). */
  pollIntervalMs?: number;
}

export interface Embedded {
  bus: LocalBus;
  correlator: Correlator;
}

/** Starts the in-process correlator when the store is SQLite (else returns null); closes with `deps.close()`. */
export async function startEmbedded(deps: ServiceDeps, options: EmbeddedOptions = {}): Promise<Embedded | null> {
  if (deps.config.store.type !== 'sqlite') {
    deps.logger.info({ store: deps.config.store.type }, 'store is not SQLite: run the correlator as its own service');
    return null;
  }
  const bus = new LocalBus({
    path: join(deps.config.data_dir, 'bulwark.db'),
    ...(options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {}),
    onHandlerError: () => {
      /* the correlator logs its own failures */
    },
  });
  try {
    const correlator = await startCorrelator({
      bus,
      cases: new CaseService(deps.cases),
      logger: deps.logger,
      ...(options.rulesDir !== undefined ? { rulesDir: options.rulesDir } : {}),
    });
    deps.onClose(async () => {
      await correlator.close();
      await bus.close();
    });
    return { bus, correlator };
  } catch (err) {
    await bus.close();
    throw err;
  }
}
