/**
 * The correlator (docs/ARCHITECTURE.md, "The flow"): takes stored event batches from the bus, runs the
 * Sigma rules and correlations on them, and records alerts through the case service, which suppresses repeats and
 * groups alerts into incidents. Embedded mode runs it on a worker thread of the `npm start` process over `LocalBus`; the same code runs on any `Bus`.
 *
 * Delivery is at-least-once: a handler error rejects the batch so the bus redelivers it, and every alert id is
 * deterministic (rule + event, or the correlation match id), so a redelivery records nothing twice.
 *
 * Detection never stalls (docs/ARCHITECTURE.md, "Detection never stalls"). A batch is evaluated event by event (evaluate.ts). An event whose
 * evaluation fails is retried alone a bounded number of times (failures.ts: at once for refused data, with back-off
 * for the unexplained); if it keeps failing it is dead-lettered with its reason (dead-letter.ts) and the events after
 * it are evaluated as usual. What must NOT be dead-lettered is an outage: a failure of the store, Redis or the
 * network, or one that hits every event of the batch, gives the whole batch back to the bus, which redelivers it —
 * the events already evaluated are then recognised as repeats. Nothing is acknowledged before every event of the
 * batch was either evaluated or durably dead-lettered.
 */
import type { Logger } from 'pino';
import type { Bus, BusBatch, Subscription } from '@bulwark/bus';
import type { CaseService } from '@bulwark/cases';
import type { Metrics } from '@bulwark/metrics';
import type { AlertInput } from '@bulwark/schema';
import { buildFieldCatalogue, CorrelationEngine, InMemoryCorrelationState, ruleFieldProblems, type CorrelationState, type DetectionConfig } from '@bulwark/detection';
import { decodedFieldSamples } from '@bulwark/ingest';
import type { LogStore } from '@bulwark/store';
import { ruleRef } from './alerts.js';
import { writeDeadLetters, type FailedEvent } from './dead-letter.js';
import { BatchEvaluation, type EvaluationContext } from './evaluate.js';
import { classifyFailure, MAX_ATTEMPTS, messageOf, retryDelayMs, failureCode } from './failures.js';
import { correlationsReadingLogs } from './provenance.js';
import { BUNDLED_RULES_DIR, loadRuleDir, type LoadedRules } from './rules.js';
import { learnTerms } from './learn-terms.js';

export interface CorrelatorOptions {
  bus: Bus;
  cases: CaseService;
  logger: Logger;
  /** Directory of Sigma rules and correlations; default: the bundled `rules/`. */
  rulesDir?: string;
  /** Bus consumer group (default `correlator`). */
  group?: string;
  /**
   * Correlation window state; default in-process. Embedded mode passes the SQLite adapter, scale mode the Redis one.
   * A state with `flush()` (the SQLite adapter) is flushed after each batch's alerts are recorded and before the batch
   * is acknowledged, so a crash in between replays the batch instead of losing its alerts.
   */
  state?: CorrelationState & { flush?: () => unknown };
  /** How late an event may arrive and still count in a correlation window (default 60 s). */
  allowedLatenessMs?: number;
  /** Batches handled at the same time by this process (default 1). */
  concurrency?: number;
  detection?: DetectionConfig;
  /**
   * Where stored events are read back by id: a correlation alert names the pod of its window's first event (the exec
   * of the multi-stage breach), which may have arrived in an earlier batch, or before a restart.
   */
  events?: { get(id: string): Promise<unknown>; search?: LogStore['search'] };
  /** The process's (or thread's) registry: events, rule matches, alerts, dead-letters, evaluation time. */
  metrics?: Metrics;
}

/** Counters for status pages and tests (`GET /v1/correlator/status`). */
export interface CorrelatorStats {
  /** Batches acknowledged. */
  batches: number;
  /** Events in acknowledged batches (evaluated or dead-lettered). */
  events: number;
  /** Alerts recorded (repeats of a redelivery included). */
  alerts: number;
  /** Batch deliveries that failed and were given back to the bus for redelivery. */
  failures: number;
  /** Events set aside in the dead-letter. */
  dead_lettered: number;
  /** Retries of a single failing event. */
  retried: number;
  /** The last failure, for operators: when, what, and what became of it. */
  last_failure: { at: string; code: string; message: string; outcome: 'redelivered' | 'dead-lettered' } | null;
}

export interface Correlator {
  readonly rules: LoadedRules;
  readonly stats: CorrelatorStats;
  /** Takes batches from the bus (false once `close()` began), for the process's readiness. */
  readonly consuming: boolean;
  /** The last delivery failed and waits to be redelivered (an outage of a store or Redis), for readiness. */
  readonly failing: boolean;
  /** Stop taking batches and wait for the one in hand. Does not close the bus (its owner does). */
  close(): Promise<void>;
}

/** Unexplained failures in a row, with no success yet in the batch, that make it an outage rather than poison. */
const OUTAGE_AFTER = 3;
/** Batches whose unrecorded alerts are kept for their next delivery here (bounded: a batch may go elsewhere). */
const CARRIED_BATCHES = 256;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Thrown to give a batch back to the bus when its failures look like an outage, not like one bad event. */
class OutageError extends Error {
  constructor(message: string, override readonly cause: unknown) {
    super(`${message}: ${messageOf(cause)}`);
    this.name = 'OutageError';
  }
}

/** Loads the rules, subscribes to the bus and returns once the subscription runs. */
export async function startCorrelator(options: CorrelatorOptions): Promise<Correlator> {
  const { bus, cases, logger, metrics } = options;
  const rules = loadRuleDir(options.rulesDir ?? BUNDLED_RULES_DIR, options.detection);
  // Rules that name fields their events never carry load, but never fire: said once at start (`bulwark rules validate`).
  for (const problem of ruleFieldProblems(rules.rules, buildFieldCatalogue(decodedFieldSamples()), options.detection?.logsources)) {
    logger.warn({ file: problem.file, path: problem.path }, `rule field: ${problem.message}`);
  }
  const state: CorrelationState & { flush?: () => unknown } = options.state ?? new InMemoryCorrelationState();
  const engine = new CorrelationEngine(rules.correlationSet, {
    state,
    allowedLatenessMs: options.allowedLatenessMs ?? 60_000,
  });
  const stats: CorrelatorStats = { batches: 0, events: 0, alerts: 0, failures: 0, dead_lettered: 0, retried: 0, last_failure: null };
  const log = logger.child({ component: 'correlator' });
  const ctx: EvaluationContext = {
    rules,
    engine,
    cases,
    readsLogs: correlationsReadingLogs(rules),
    readBack: async (id) => options.events?.get(id),
    countMatch: (ruleId) => metrics?.inc('ruleMatches', { rule: ruleId }),
    terms: state,
    readsPath: (keys) => rules.ruleset.readsPath(keys),
  };
  /** Correlation alerts of a failed delivery, for the next delivery of the same batch (see evaluate.ts). */
  const carried = new Map<string, AlertInput[]>();
  const noteFailure = (error: unknown, outcome: 'redelivered' | 'dead-lettered') => {
    stats.last_failure = { at: new Date().toISOString(), code: failureCode(error), message: messageOf(error).slice(0, 512), outcome };
  };

  /** Every event of the batch evaluated, or its failure collected for the dead-letter; throws to redeliver. */
  const evaluateAll = async (batch: BusBatch, run: BatchEvaluation): Promise<{ recorded: number; failed: FailedEvent[] }> => {
    let recorded = 0;
    let succeeded = 0;
    let unexplained = 0;
    const failed: FailedEvent[] = [];
    for (const event of batch.events) {
      if (run.skips(event)) {
        succeeded++;
        continue;
      }
      for (let attempt = 1; ; attempt++) {
        try {
          recorded += await run.evaluate(event);
          succeeded++;
          break;
        } catch (error) {
          const kind = classifyFailure(error);
          if (kind === 'infrastructure') throw error;
          if (attempt < MAX_ATTEMPTS[kind]) {
            stats.retried++;
            await sleep(retryDelayMs(kind, attempt));
            continue;
          }
          if (kind === 'unknown' && succeeded === 0 && ++unexplained >= OUTAGE_AFTER) {
            throw new OutageError(`the first ${unexplained} events of the batch all failed: not one bad event`, error);
          }
          log.warn({ err: error, event: event.id, batch: batch.id, attempts: attempt }, 'an event keeps failing; it is dead-lettered');
          run.dropPending();
          failed.push({ event, error, kind, attempts: attempt });
          break;
        }
      }
    }
    const everyEvent = failed.length === batch.events.length;
    if (everyEvent && batch.events.length > 1 && failed.some((f) => f.kind === 'unknown')) {
      throw new OutageError(`every event of the batch failed: not one bad event`, failed[0]!.error);
    }
    if (failed.length > 0 && !(await cases.store.ping())) {
      throw new OutageError('the case store does not answer', failed[0]!.error);
    }
    return { recorded, failed };
  };

  let consuming = true;
  let failing = false;
  const handle = async (batch: BusBatch): Promise<void> => {
    const run = new BatchEvaluation(ctx, batch, carried.get(batch.id));
    carried.delete(batch.id);
    const started = process.hrtime.bigint();
    try {
      const { recorded, failed } = await evaluateAll(batch, run);
      stats.alerts += recorded;
      if (failed.length > 0) {
        await writeDeadLetters(cases.store, failed, batch.id);
        stats.dead_lettered += failed.length;
        noteFailure(failed[failed.length - 1]!.error, 'dead-lettered');
      }
      await state.flush?.();
      stats.batches++;
      stats.events += batch.events.length;
      metrics?.inc('correlatorEvents', {}, batch.events.length);
      metrics?.inc('alertsRecorded', {}, recorded);
      metrics?.inc('correlatorDeadLettered', {}, failed.length);
      metrics?.observe('evaluationDuration', {}, Number(process.hrtime.bigint() - started) / 1e9);
      failing = false;
    } catch (err) {
      stats.failures++;
      metrics?.inc('correlatorBatchFailures', {});
      failing = true;
      noteFailure(err, 'redelivered');
      if (run.pending.length > 0) {
        carried.set(batch.id, run.pending.splice(0));
        while (carried.size > CARRIED_BATCHES) carried.delete(carried.keys().next().value!);
      }
      log.error({ err, batch: batch.id }, 'correlator batch failed; the bus will redeliver it');
      throw err;
    }
  };

  // First-seen rules learn the stored history of their window before the first batch is evaluated (learn-terms.ts).
  if (options.events?.search) {
    await learnTerms({ rules: rules.rules, ruleset: rules.ruleset, ruleKeyOf: ruleRef, state, store: { search: options.events.search.bind(options.events) }, logger: log });
  }
  const subscription: Subscription = await bus.subscribe(options.group ?? 'correlator', handle, { concurrency: options.concurrency ?? 1 });
  log.info({ rules: rules.rules.length, correlations: rules.correlations.length }, 'correlator started');
  return {
    rules,
    stats,
    get consuming() {
      return consuming;
    },
    get failing() {
      return failing;
    },
    close: () => {
      consuming = false;
      return subscription.close();
    },
  };
}
