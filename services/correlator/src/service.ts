/**
 * Start-up wiring of the correlator from configuration, shared by the correlator's own process (scale mode) and the
 * all-in-one process (embedded mode): the bus comes from the runtime, the window state follows the bus (Redis beside
 * BullMQ, so every correlator process shares it; in-process otherwise), and the case service takes the configured
 * suppression and incident windows.
 */
import type { Bus } from '@bulwark/bus';
import { CaseService, caseOptionsFromConfig } from '@bulwark/cases';
import type { Config } from '@bulwark/config';
import { join } from 'node:path';
import {
  detectionConfigFrom, InMemoryCorrelationState, RedisCorrelationState, SqliteCorrelationState, type CorrelationState,
} from '@bulwark/detection';
import { openCaseStore, type ServiceDeps } from '@bulwark/http';
import type { CaseStore } from '@bulwark/store';
import { startCorrelator, type Correlator } from './correlator.js';

export interface CorrelatorServiceOptions {
  /** Overrides `detection.rules_dir` (tests). */
  rulesDir?: string;
  /** Bus consumer group (default `correlator`). */
  group?: string;
}

/** Starts the correlator on `bus`; it and its window state are released by `deps.close()`. */
export async function startCorrelatorService(deps: ServiceDeps, bus: Bus, options: CorrelatorServiceOptions = {}): Promise<Correlator> {
  const { detection } = deps.config;
  const state = openCorrelationState(deps.config);
  // Embedded: the correlator's own case-store connection, without an fsync per write (see openCaseStore `derived`).
  let derived: CaseStore | null = null;
  try {
    if (deps.config.store.type === 'sqlite') derived = await openCaseStore(deps.config, { derived: true });
    const rulesDir = options.rulesDir ?? detection.rules_dir;
    // A flushed state (SQLite) is written per acknowledged batch: two batches in flight would flush one's windows
    // ahead of its alerts, so the embedded correlator takes one batch at a time.
    const concurrency = state.state.flush ? 1 : detection.concurrency;
    if (concurrency !== detection.concurrency) {
      deps.logger.warn({ configured: detection.concurrency }, 'the embedded correlator handles one batch at a time; detection.concurrency applies with Redis');
    }
    const correlator = await startCorrelator({
      bus,
      cases: caseServiceOf(deps, derived ?? deps.cases),
      logger: deps.logger,
      events: deps.store,
      state: state.state,
      allowedLatenessMs: detection.allowed_lateness,
      detection: detectionConfigFrom(detection),
      concurrency,
      ...(rulesDir !== undefined ? { rulesDir } : {}),
      ...(options.group !== undefined ? { group: options.group } : {}),
    });
    exposeStatus(deps, async () => statusOf(correlator));
    deps.onClose(async () => {
      await correlator.close();
      await state.close();
      await derived?.close();
    });
    return correlator;
  } catch (err) {
    await state.close();
    await derived?.close();
    throw err;
  }
}

/**
 * What `GET /v1/correlator/status` shows: rules loaded and the counters (batches, events, alerts, failures,
 * dead-lettered, retried, the last failure).
 */
export function statusOf(correlator: Correlator): Record<string, unknown> {
  return { rules: correlator.rules.rules.length, correlations: correlator.rules.correlations.length, ...correlator.stats };
}

/** Lets the API routes of this process serve the status (services/api dead-letter-routes.ts reads `correlatorStatus`). */
export function exposeStatus(deps: ServiceDeps, status: () => Promise<Record<string, unknown>>): void {
  deps.correlatorStatus = status;
}

/** The case service with the configured windows; the API's alert intake uses the same settings. */
export function caseServiceOf(deps: ServiceDeps, store: CaseStore = deps.cases): CaseService {
  return new CaseService(store, {
    ...caseOptionsFromConfig(deps.config),
    // Read at each alert: the responder may start after the case service was made.
    onRecorded: async (notice) => deps.alertRecorded?.(notice),
  });
}

interface OpenState {
  state: CorrelationState & { flush?: () => unknown };
  close(): Promise<void>;
}

/**
 * Redis when the bus is on Redis: several correlator processes then see one window per group key, which is what
 * makes their alerts the same as one process's. With the embedded store, a table in its file, flushed with each
 * acknowledged batch, so open windows survive a restart as the bus cursor does. (In-process only for a search-engine
 * store without Redis, which the configuration refuses.)
 */
function openCorrelationState(config: Config): OpenState {
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
