/**
 * The correlator (ARCHITECTURE.md, "correlator"; issue 4 item 3): takes stored event batches from the bus, runs the
 * Sigma rules and correlations on them, and records alerts through the case service, which suppresses repeats and
 * groups alerts into incidents. Embedded mode runs it in-process on `LocalBus`; the same code runs on any `Bus`.
 *
 * Delivery is at-least-once: a handler error rejects the batch so the bus redelivers it, and every alert id is
 * deterministic (rule + event, or the correlation match id), so a redelivery records nothing twice.
 */
import type { Logger } from 'pino';
import type { Bus, BusBatch, Subscription } from '@bulwark/bus';
import type { CaseService } from '@bulwark/cases';
import type { AlertInput } from '@bulwark/schema';
import {
  CorrelationEngine, InMemoryCorrelationState, type CorrelationState, type DetectionConfig, type SigmaRule,
} from '@bulwark/detection';
import { alertForCorrelation, alertForRule, ruleRef } from './alerts.js';
import { BUNDLED_RULES_DIR, loadRuleDir, type LoadedRules } from './rules.js';

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
  events?: { get(id: string): Promise<unknown> };
}

export interface Correlator {
  readonly rules: LoadedRules;
  /** Counters for status pages and tests. */
  readonly stats: { batches: number; events: number; alerts: number; failures: number };
  /** Stop taking batches and wait for the one in hand. Does not close the bus (its owner does). */
  close(): Promise<void>;
}

interface ParsedEvent {
  id: string;
  ts: number;
  doc: unknown;
}

/** Loads the rules, subscribes to the bus and returns once the subscription runs. */
export async function startCorrelator(options: CorrelatorOptions): Promise<Correlator> {
  const { bus, cases, logger } = options;
  const rules = loadRuleDir(options.rulesDir ?? BUNDLED_RULES_DIR, options.detection);
  const state: CorrelationState & { flush?: () => unknown } = options.state ?? new InMemoryCorrelationState();
  const engine = new CorrelationEngine(rules.correlationSet, {
    state,
    allowedLatenessMs: options.allowedLatenessMs ?? 60_000,
  });
  const stats = { batches: 0, events: 0, alerts: 0, failures: 0 };
  const log = logger.child({ component: 'correlator' });

  const handle = async (batch: BusBatch): Promise<void> => {
    try {
      stats.alerts += await handleBatch(batch);
      await state.flush?.();
      stats.batches++;
      stats.events += batch.events.length;
    } catch (err) {
      stats.failures++;
      log.error({ err, batch: batch.id }, 'correlator batch failed; the bus will redeliver it');
      throw err;
    }
  };

  /** Correlation alerts produced but not yet recorded (see below). */
  const unrecorded: AlertInput[] = [];
  const flushUnrecorded = async (): Promise<number> => {
    let n = 0;
    while (unrecorded.length > 0) {
      await cases.recordAlert(unrecorded[0]!, 'correlator');
      unrecorded.shift();
      n++;
    }
    return n;
  };

  const handleBatch = async (batch: BusBatch): Promise<number> => {
    let recorded = await flushUnrecorded();
    const parsed = batch.events.map((e): ParsedEvent => ({ id: e.id, ts: e.ts, doc: JSON.parse(e.doc) as unknown }));
    const items: Array<{ event: unknown; matchedRuleIds: string[] }> = [];
    for (const event of parsed) {
      const matched: SigmaRule[] = rules.ruleset.match(event.doc).map((m) => m.rule);
      for (const rule of matched) {
        if (!rules.correlationSet.standalone(rule)) continue;
        await cases.recordAlert(alertForRule(rule, event.doc, event.id, event.ts), 'correlator');
        recorded++;
      }
      if (matched.length > 0) items.push({ event: event.doc, matchedRuleIds: matched.map(ruleRef) });
    }
    if (rules.correlations.length === 0) return recorded;
    // The engine remembers the events it has seen (a redelivered event is a duplicate and fires nothing), so a match
    // whose alert could not be recorded is kept and retried first on the next delivery instead of being lost.
    // The event that completed a correlation stands in for its entity when the group-by values name none; the
    // window's first event (when in this batch) names the pod, e.g. the exec of the multi-stage breach.
    const byId = new Map(parsed.map((e) => [e.id, e.doc]));
    for (const { event, matchedRuleIds } of items) {
      for (const match of await engine.process(event, matchedRuleIds)) {
        if (!rules.correlationSet.standalone(match.rule)) continue;
        unrecorded.push(alertForCorrelation(match, event, await firstEventOf(match.eventIds[0], byId)));
      }
    }
    return recorded + (await flushUnrecorded());
  };

  /** The window's first event: from this batch, else read back from the store (undefined if it cannot be). */
  const firstEventOf = async (id: string | undefined, batch: Map<string, unknown>): Promise<unknown> => {
    if (id === undefined) return undefined;
    if (batch.has(id)) return batch.get(id);
    try {
      return (await options.events?.get(id)) ?? undefined;
    } catch (err) {
      log.warn({ err, event: id }, 'could not read a correlation window first event back; its alert names no pod');
      return undefined;
    }
  };

  const subscription: Subscription = await bus.subscribe(options.group ?? 'correlator', handle, { concurrency: options.concurrency ?? 1 });
  log.info({ rules: rules.rules.length, correlations: rules.correlations.length }, 'correlator started');
  return {
    rules,
    stats,
    close: () => subscription.close(),
  };
}
