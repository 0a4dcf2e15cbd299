/**
 * The correlator service: rules and correlations on the bus its root hands it, with the window state and the case
 * service its root chose (services/correlator/src/main.ts in scale mode, the all-in-one root, the embedded correlator
 * thread). It opens nothing itself.
 */
import { detectionConfigFrom } from '@bulwark/detection';
import type { CorrelatorDeps } from '@bulwark/runtime';
import { startCorrelator, type Correlator } from './correlator.js';

export interface CorrelatorServiceOptions {
  /** Overrides `detection.rules_dir` (tests). */
  rulesDir?: string;
  /** Bus consumer group (default `correlator`). */
  group?: string;
}

/** Starts the correlator; resolves once its rules are loaded and it consumes the bus. Its `close()` stops consuming. */
export async function startCorrelatorService(deps: CorrelatorDeps, options: CorrelatorServiceOptions = {}): Promise<Correlator> {
  const { detection } = deps.config;
  const rulesDir = options.rulesDir ?? detection.rules_dir;
  // A flushed state (SQLite) is written per acknowledged batch: two batches in flight would flush one's windows
  // ahead of its alerts, so a correlator on such a state takes one batch at a time.
  const concurrency = deps.state.flush ? 1 : detection.concurrency;
  if (concurrency !== detection.concurrency) {
    deps.logger.warn({ configured: detection.concurrency }, 'the embedded correlator handles one batch at a time; detection.concurrency applies with Redis');
  }
  return startCorrelator({
    bus: deps.bus,
    cases: deps.caseService,
    logger: deps.logger,
    metrics: deps.metrics,
    events: deps.events,
    state: deps.state,
    allowedLatenessMs: detection.allowed_lateness,
    detection: detectionConfigFrom(detection),
    concurrency,
    ...(rulesDir !== undefined ? { rulesDir } : {}),
    ...(options.group !== undefined ? { group: options.group } : {}),
  });
}

/** The correlator's part of its process's readiness: it takes batches, and the last one did not fail. */
export async function correlatorReady(correlator: Correlator): Promise<boolean> {
  return correlator.consuming && !correlator.failing;
}

/**
 * What `GET /v1/correlator/status` shows: rules loaded, whether it consumes, and the counters (batches, events, alerts, failures,
 * dead-lettered, retried, the last failure).
 */
export function statusOf(correlator: Correlator): Record<string, unknown> {
  return {
    rules: correlator.rules.rules.length,
    correlations: correlator.rules.correlations.length,
    consuming: correlator.consuming,
    failing: correlator.failing,
    ...correlator.stats,
  };
}
