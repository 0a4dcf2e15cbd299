/**
 * Evaluating one delivered batch, one event at a time (docs/ARCHITECTURE.md, "Detection never stalls"): parse the stored event, run the Sigma rules,
 * record its single-event alerts, feed the correlation engine and record the correlation alerts it completes. Each
 * step that throws is wrapped in an `EvaluationError` naming the stage and the rule, so correlator.ts can retry that
 * event alone, dead-letter it with a reason, or give the batch back to the bus — without the rest of the batch
 * depending on it.
 *
 * Re-evaluating an event is harmless, which is what makes per-event retries and batch redeliveries safe: alert ids
 * are deterministic (rule + event, or the correlation match id) and `recordAlert` recognises a repeat; the engine
 * recognises an event it has already counted and re-emits the matches that event completed (window.ts `reemit`).
 *
 * `pending` holds correlation alerts produced but not yet recorded. It belongs to one batch delivery — never to the
 * process — so batches handled concurrently (`detection.concurrency > 1`) never record, drop or block on each other's
 * alerts. A retry of the same event records what is pending first; when the batch goes back to the bus, its pending
 * alerts are kept under the batch id for this process's next delivery of it (correlator.ts), and a delivery in
 * another process gets them from the engine's re-emission instead.
 */
import type { BusBatch } from '@bulwark/bus';
import type { CaseService } from '@bulwark/cases';
import { isNewTerm, newTermsOf, type CorrelationEngine, type CorrelationMatch, type CorrelationState, type SigmaRule } from '@bulwark/detection';
import type { AlertInput, SourceKind } from '@bulwark/schema';
import type { SerializedEvent } from '@bulwark/store';
import { alertForCorrelation, alertForRule, ruleRef } from './alerts.js';
import { classifyFailure, EvaluationError, type EvaluationStage } from './failures.js';
import { provenanceOf, type Evidence } from './provenance.js';
import type { LoadedRules } from './rules.js';

export interface EvaluationContext {
  rules: LoadedRules;
  engine: CorrelationEngine;
  cases: CaseService;
  /** Whether evidence a correlation cannot see may be logs (provenance.ts `correlationsReadingLogs`). */
  readsLogs: (correlation: CorrelationMatch['rule']) => boolean;
  /** Reads a stored event back by id (the window's first event when it came in an earlier batch). */
  readBack: (id: string) => Promise<unknown>;
  /** Counts a rule's match or a completed correlation, by rule id (the process's metrics). */
  countMatch: (ruleId: string) => void;
  /** Where first-seen rules remember the combinations they have seen (the correlation state store). */
  terms: CorrelationState;
  /** The rule set's `readsPath`, bound once: the embedded bus keeps the columns it selects per block by this function. */
  readsPath: (keys: readonly string[]) => boolean;
}

type Parsed = { ok: true; doc: unknown } | { ok: false; error: unknown };

/** Runs `step`, turning what it throws into an EvaluationError of `stage` (an EvaluationError passes unchanged). */
async function step<T>(stage: EvaluationStage, ruleId: string | undefined, run: () => T | Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    throw err instanceof EvaluationError ? err : new EvaluationError(stage, ruleId, err);
  }
}

/** Collects the failures of an event's independent steps; an infrastructure failure is thrown at once. */
class Failures {
  private first: unknown;
  private failed = false;

  async attempt(run: () => Promise<void>): Promise<void> {
    try {
      await run();
    } catch (err) {
      if (classifyFailure(err) === 'infrastructure') throw err;
      if (!this.failed) [this.first, this.failed] = [err, true];
    }
  }

  throwFirst(): void {
    if (this.failed) throw this.first;
  }
}

export class BatchEvaluation {
  /** Correlation alerts produced by this delivery and not yet recorded (see the module comment). */
  readonly pending: AlertInput[];
  private readonly events: readonly SerializedEvent[];
  private byIdMap: Map<string, SerializedEvent> | undefined;
  private readonly parsed = new Map<string, Parsed>();
  private readonly handledMs = Date.now();

  constructor(
    private readonly ctx: EvaluationContext,
    batch: BusBatch,
    carried: readonly AlertInput[] = [],
  ) {
    this.pending = [...carried];
    this.events = batch.events;
  }

  /**
   * Whether evaluating `event` would do nothing: no rule reads its dataset and no alert of an earlier event waits to
   * be recorded (what `evaluate` does for such an event). Synchronous, so the common case — application logs beside
   * audit and Falco rules — costs the batch loop no promise, no `Failures` and no copy of `pending` per event.
   */
  skips(event: SerializedEvent): boolean {
    return this.pending.length === 0 && !this.ctx.rules.ruleset.readsDataset(event.dataset);
  }

  /**
   * Evaluates one event of the batch; returns the alerts recorded. A rule whose alert fails does not keep the event's
   * other rules or its correlations from running: the first failure is thrown once everything else was tried (an
   * infrastructure failure at once — the next step would only fail too). Throws an EvaluationError.
   */
  async evaluate(event: SerializedEvent): Promise<number> {
    const failures = new Failures();
    let recorded = await this.flushPending(failures);
    // An event no rule reads is not even parsed (nor, on the embedded bus, rebuilt from its block): the common case
    // for application logs beside audit and Falco rules.
    if (!this.ctx.rules.ruleset.readsDataset(event.dataset)) {
      failures.throwFirst();
      return recorded;
    }
    // Rules are matched on the fields they can read when the bus can hand those alone (the embedded bus then reads only
    // their columns); the whole document is needed, and made, only for an event some rule matched.
    const { ruleset } = this.ctx.rules;
    const fieldsOnly = ruleset.knowsFields && event.parsedPaths !== undefined;
    const candidate = await step('parse', undefined, () => (fieldsOnly ? event.parsedPaths!(this.ctx.readsPath) : this.docOf(event)));
    const matched: SigmaRule[] = await step('match', undefined, () => ruleset.match(candidate).map((m) => m.rule));
    if (matched.length === 0) {
      failures.throwFirst();
      return recorded;
    }
    const doc = fieldsOnly ? await step('parse', undefined, () => this.docOf(event)) : candidate;
    for (const rule of matched) this.ctx.countMatch(ruleRef(rule));
    const { correlationSet } = this.ctx.rules;
    for (const rule of matched) {
      if (!correlationSet.standalone(rule)) continue;
      const ref = ruleRef(rule);
      await failures.attempt(async () => {
        // A first-seen rule alerts only for a combination its state has not seen within the window (new-terms.ts).
        if (newTermsOf(rule) && !(await step('correlate', ref, () => isNewTerm(this.ctx.terms, rule, ref, doc, event.ts, event.id)))) return;
        const alert = await step('alert', ref, () => alertForRule(rule, doc, event.id, event.ts, this.handledMs));
        await step('record', ref, () => this.ctx.cases.recordAlert(alert, 'correlator'));
        recorded++;
      });
    }
    if (matched.length > 0 && this.ctx.rules.correlations.length > 0) {
      const matches = await step('correlate', undefined, () => this.ctx.engine.process(doc, matched.map(ruleRef)));
      for (const match of matches) {
        this.ctx.countMatch(ruleRef(match.rule));
        if (!correlationSet.standalone(match.rule)) continue;
        const ref = ruleRef(match.rule);
        const first = await this.firstEventOf(match.eventIds[0]);
        await failures.attempt(async () => {
          const alert = await step('alert', ref, () => {
            const unseen: SourceKind[] = this.ctx.readsLogs(match.rule) ? ['logs'] : [];
            return alertForCorrelation(match, doc, first, provenanceOf(this.evidenceOf(match, doc, first), unseen));
          });
          this.pending.push(alert);
        });
      }
      recorded += await this.flushPending(failures);
    }
    failures.throwFirst();
    return recorded;
  }

  /** Drops the pending alerts (their event is being dead-lettered: they are what kept failing). */
  dropPending(): number {
    return this.pending.splice(0).length;
  }

  /** Records the pending alerts; one that fails stays pending (for the retry) and the others are still tried. */
  private async flushPending(failures: Failures): Promise<number> {
    let n = 0;
    for (const alert of [...this.pending]) {
      await failures.attempt(async () => {
        await step('record', alert.rule.id, () => this.ctx.cases.recordAlert(alert, 'correlator'));
        this.pending.splice(this.pending.indexOf(alert), 1);
        n++;
      });
    }
    return n;
  }

  /** The event's whole document: as the bus handed it, else parsed from its JSON. */
  private docOf(event: SerializedEvent): unknown {
    return event.parsed !== undefined ? event.parsed : this.parse(event.id, event.doc);
  }

  /** The stored event's document; a parse failure is remembered, so a retry fails the same way at no cost. */
  private parse(id: string, json: string): unknown {
    let parsed = this.parsed.get(id);
    if (!parsed) {
      try {
        parsed = { ok: true, doc: JSON.parse(json) as unknown };
      } catch (error) {
        parsed = { ok: false, error };
      }
      this.parsed.set(id, parsed);
    }
    if (!parsed.ok) throw parsed.error;
    return parsed.doc;
  }

  /**
   * The batch's events by id, made when a correlation first needs its evidence: on the embedded bus an id is read
   * from its block only when asked for, and most events (of datasets no rule reads) never are.
   */
  private get byId(): Map<string, SerializedEvent> {
    this.byIdMap ??= new Map(this.events.map((e) => [e.id, e]));
    return this.byIdMap;
  }

  /** A batch event's document, or undefined when it does not parse (it is dead-lettered on its own turn). */
  private docInBatch(id: string): unknown {
    const event = this.byId.get(id);
    if (!event) return undefined;
    if (event.parsed !== undefined) return event.parsed;
    try {
      return this.parse(id, event.doc);
    } catch {
      return undefined;
    }
  }

  /** The window's first event: from this batch, else read back from the store (undefined if it cannot be). */
  private async firstEventOf(id: string | undefined): Promise<unknown> {
    if (id === undefined) return undefined;
    if (this.byId.has(id)) return this.docInBatch(id);
    try {
      return (await this.ctx.readBack(id)) ?? undefined;
    } catch {
      return undefined; // the alert then names no pod; its provenance stays conservative (see provenance.ts)
    }
  }

  /** The evidence of a match this delivery can see: the completing event, the first event, the window's batch events. */
  private evidenceOf(match: CorrelationMatch, last: unknown, first: unknown): Evidence[] {
    const evidence: Evidence[] = [{ doc: last, handledMs: this.handledMs }];
    if (first !== undefined) evidence.push({ doc: first, handledMs: this.handledMs });
    for (const id of match.eventIds) {
      const doc = this.byId.has(id) ? this.docInBatch(id) : undefined;
      if (doc !== undefined) evidence.push({ doc, handledMs: this.handledMs });
    }
    return evidence;
  }
}
