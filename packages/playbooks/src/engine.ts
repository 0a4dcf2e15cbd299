/**
 * The playbook engine (docs/ARCHITECTURE.md, "Response"). A run advances one step at a time, journaling each transition before and
 * after its side effect (journal.ts), so a responder that dies at any point leaves a record another — or its own
 * restart — continues from: completed steps are never run again, and a step caught mid-flight is retried with the
 * same idempotency key, which actions use to recognise their own earlier change. Steps may wait for a person
 * (approval, or the blast-radius breaker); decisions, cancel and undo are journal changes followed by a nudge
 * (`schedule`). The engine never waits in memory for anything longer than a step: time-outs and back-offs are
 * scheduled wake-ups, so any responder can pick the run up.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { ActionContext, AnyAction } from '@bulwark/actions';
import { ACTIVE_RUN_STATUSES, BulwarkError, type Alert, type Incident, type RunRecord, type StepJournal } from '@bulwark/schema';
import type { CaseStore } from '@bulwark/store';
import type { Playbook } from './format.js';
import { RunJournal } from './journal.js';
import { BlastRadius, type Limits } from './limits.js';
import { newRun, parseJson } from './run-model.js';
import { executeStep, undoStep, type StepDeps } from './steps.js';
import { decideStep, type Decider } from './decisions.js';
import { assessEvidence } from './evidence.js';
import { matchesTrigger, resolveInputsTraced, triggeredRunId } from './trigger.js';

export interface EngineOptions {
  store: CaseStore;
  playbooks: ReadonlyMap<string, Playbook>;
  actions: ReadonlyMap<string, AnyAction>;
  /** What every action gets (Kubernetes clients, HTTP and SMTP settings, secrets, the incident port). */
  actionContext: Omit<ActionContext, 'dryRun' | 'idempotencyKey' | 'run'>;
  /** Records a timeline entry on an incident (the case service). */
  timeline?: (incidentId: string, kind: 'action' | 'evidence', ref: string, summary: string) => Promise<void>;
  limits: Limits;
  /** Continue the run after `delayMs` (or now): the responder's queue. */
  schedule: (runId: string, delayMs?: number) => Promise<void>;
  logger: Logger;
  now?: () => number;
  /** Told when a run or a step ends (the process's metrics); must not throw. */
  outcomes?: EngineOutcomes;
}

/** What the engine reports as runs and steps end: by playbook and final status, by action and result. */
export interface EngineOutcomes {
  runEnded(playbook: string, status: RunRecord['status']): void;
  /** `result`: `succeeded`, `failed`, `rejected` (a person said no) or `undone`. */
  stepEnded(action: string, result: string): void;
}

export class PlaybookEngine {
  readonly journal: RunJournal;
  readonly blastRadius: BlastRadius;
  /** This process, as the owner of the steps it executes. */
  readonly owner = `responder-${randomUUID()}`;
  private readonly advancing = new Map<string, Promise<void>>();
  private readonly again = new Set<string>();
  private readonly now: () => number;

  constructor(private readonly options: EngineOptions) {
    this.journal = new RunJournal(options.store);
    this.now = options.now ?? Date.now;
    this.blastRadius = new BlastRadius(options.store, options.limits, this.now);
  }

  get playbooks(): ReadonlyMap<string, Playbook> {
    return this.options.playbooks;
  }

  private iso(): string {
    return new Date(this.now()).toISOString();
  }

  /**
   * Starts the runs an alert triggers (at most one per playbook and incident, alert or entity, see trigger.ts). The
   * requester of such a run is the responder itself. Evidence the playbook does not trust starts a run of its own per
   * alert, whose acting steps wait for a person (evidence.ts).
   */
  async trigger(alert: Alert, incident: Incident | null): Promise<RunRecord[]> {
    const started: RunRecord[] = [];
    for (const playbook of this.options.playbooks.values()) {
      if (!matchesTrigger(playbook, alert, incident)) continue;
      let resolved: ReturnType<typeof resolveInputsTraced>;
      try {
        resolved = resolveInputsTraced(playbook, {}, { alert, incident });
      } catch (err) {
        // The playbook cannot bind what it acts on from this alert (a critical alert about a user, for a pod
        // playbook): it does not apply.
        this.options.logger.debug({ playbook: playbook.name, alert: alert.id, reason: (err as Error).message }, 'playbook trigger matched but its inputs are missing');
        continue;
      }
      const evidence = assessEvidence(playbook, alert, resolved.origins);
      const id = triggeredRunId(playbook, alert, incident, evidence.trusted);
      const trigger = { kind: 'alert' as const, actor: 'responder', token_id: null, alert_id: alert.id, incident_id: incident?.id ?? alert.incident_id ?? null };
      const run = newRun(id, playbook, resolved.inputs, trigger, false, this.iso(), evidence);
      const { created } = await this.journal.create(run);
      if (!created) continue;
      this.options.logger.info(
        { run: id, playbook: playbook.name, alert: alert.id, trusted: evidence.trusted, ...(evidence.reason ? { untrusted: evidence.reason } : {}) },
        evidence.trusted ? 'playbook run started by an alert' : 'playbook run started by untrusted evidence: its acting steps wait for a person',
      );
      started.push(run);
      await this.options.schedule(id);
    }
    return started;
  }

  /**
   * Starts a run on request. A dry run is carried out before this returns (no approvals, no limits, nothing applied)
   * so the caller sees the exact plan; a real run is scheduled. The requester is the calling token (name and id).
   */
  async start(
    name: string,
    request: { inputs: Record<string, unknown>; dryRun: boolean; actor: string; tokenId?: string | null; alert?: Alert | null; incident?: Incident | null },
  ): Promise<RunRecord> {
    const playbook = this.options.playbooks.get(name);
    if (!playbook) throw new BulwarkError('BWK_NOT_FOUND', `no playbook ${JSON.stringify(name)}`, { name });
    const { inputs, origins } = resolveInputsTraced(playbook, request.inputs, { alert: request.alert ?? null, incident: request.incident ?? null });
    const trigger = {
      kind: 'manual' as const,
      actor: request.actor,
      token_id: request.tokenId ?? null,
      alert_id: request.alert?.id ?? null,
      incident_id: request.incident?.id ?? request.alert?.incident_id ?? null,
    };
    // A person chose to run it: the alert's evidence is shown with the run, not a gate (approvals still apply).
    const evidence = request.alert ? assessEvidence(playbook, request.alert, origins) : null;
    const run = newRun(`run-${randomUUID()}`, playbook, inputs, trigger, request.dryRun, this.iso(), evidence);
    await this.journal.create(run);
    this.options.logger.info({ run: run.id, playbook: name, actor: request.actor, dry_run: request.dryRun }, 'playbook run requested');
    if (request.dryRun) {
      await this.advance(run.id);
      return (await this.journal.require(run.id)).record;
    }
    await this.options.schedule(run.id);
    return run;
  }

  /**
   * Moves a run on as far as it can go now. Called by the queue; safe to call any number of times, from any number of
   * responders (the journal's versions decide who executes a step).
   */
  advance(runId: string): Promise<void> {
    const running = this.advancing.get(runId);
    if (running) {
      this.again.add(runId);
      return running;
    }
    const work = (async () => {
      try {
        do {
          this.again.delete(runId);
          await this.advanceOnce(runId);
        } while (this.again.has(runId));
      } finally {
        this.advancing.delete(runId);
      }
    })();
    this.advancing.set(runId, work);
    return work;
  }

  private stepDeps(): StepDeps {
    return { ...this.options, journal: this.journal, blastRadius: this.blastRadius, owner: this.owner, now: this.now };
  }

  private async advanceOnce(runId: string): Promise<void> {
    const deps = this.stepDeps();
    for (;;) {
      const found = await this.journal.get(runId);
      if (!found) return;
      const run = found.record;
      if (run.status === 'undoing') return this.undoSteps(run);
      if (!ACTIVE_RUN_STATUSES.includes(run.status)) return;
      const playbook = this.options.playbooks.get(run.playbook);
      if (!playbook) {
        await this.finish(runId, 'failed', `playbook ${run.playbook} is no longer loaded`);
        return;
      }
      const index = run.steps.findIndex((s) => !['succeeded', 'skipped', 'undone', 'cancelled'].includes(s.status) && !(s.status === 'failed' && playbook.steps.find((p) => p.id === s.id)?.continue_on_error));
      if (index === -1) {
        await this.finish(runId, 'succeeded', null);
        return;
      }
      const outcome = await executeStep(deps, playbook, run, index, await this.triggerContext(run));
      if (outcome.kind === 'wait') {
        if (outcome.delayMs !== null) await this.options.schedule(runId, outcome.delayMs);
        return;
      }
      if (outcome.kind === 'failed') {
        await this.finish(runId, outcome.status, outcome.error);
        return;
      }
    }
  }

  private async triggerContext(run: RunRecord): Promise<{ alert: Alert | null; incident: Incident | null }> {
    const alert = run.trigger.alert_id ? ((await this.options.store.get<Alert>('alerts', run.trigger.alert_id))?.record ?? null) : null;
    const incidentId = run.trigger.incident_id ?? alert?.incident_id ?? null;
    const incident = incidentId ? ((await this.options.store.get<Incident>('incidents', incidentId))?.record ?? null) : null;
    return { alert, incident };
  }

  private async finish(runId: string, status: RunRecord['status'], error: string | null): Promise<void> {
    const at = this.iso();
    const done = await this.journal.mutate(runId, (run) => {
      if (!ACTIVE_RUN_STATUSES.includes(run.status) || run.status === 'undoing') return null;
      for (const step of run.steps) if (step.status === 'pending' && status !== 'succeeded') step.status = 'cancelled';
      return { ...run, status, error, finished_at: at, updated_at: at };
    });
    if (done) {
      this.options.logger.info({ run: runId, playbook: done.playbook, status, error }, 'playbook run finished');
      this.options.outcomes?.runEnded(done.playbook, status);
    }
  }

  /**
   * Approves or rejects the step waiting for a decision (the first, or `stepId`): needs an approver scope, and an
   * approval never comes from the run's requester (decisions.ts).
   */
  async decide(runId: string, decision: 'approved' | 'rejected', who: Decider, comment?: string, stepId?: string): Promise<RunRecord> {
    const result = await decideStep({ journal: this.journal, store: this.options.store, now: this.now }, runId, decision, who, comment, stepId);
    this.options.logger.info({ run: runId, decision, by: who.actor, requested_by: result.trigger.actor }, 'playbook step decided');
    await this.options.schedule(runId);
    return result;
  }

  async cancel(runId: string, actor: string): Promise<RunRecord> {
    const at = this.iso();
    const result = await this.journal.mutate(runId, (run) => {
      if (!ACTIVE_RUN_STATUSES.includes(run.status) || run.status === 'undoing') {
        throw new BulwarkError('BWK_CASE_INVALID_STATE', `run ${runId} is ${run.status}: only a pending, running or waiting run can be cancelled`, { id: runId, status: run.status });
      }
      for (const step of run.steps) if (step.status === 'pending' || step.status === 'waiting_approval') step.status = 'cancelled';
      return { ...run, status: 'cancelled', error: `cancelled by ${actor}`, finished_at: at, updated_at: at };
    });
    this.options.logger.info({ run: runId, actor }, 'playbook run cancelled');
    this.options.outcomes?.runEnded(result!.playbook, 'cancelled');
    return result!;
  }

  /** Reverses the run's completed steps, last first. */
  async undo(runId: string, actor: string): Promise<RunRecord> {
    const at = this.iso();
    const result = await this.journal.mutate(runId, (run) => {
      if (run.dry_run) throw new BulwarkError('BWK_CASE_INVALID_STATE', `run ${runId} was a dry run: nothing to undo`, { id: runId });
      if (run.status === 'undone') throw new BulwarkError('BWK_CASE_INVALID_STATE', `run ${runId} is already undone`, { id: runId, status: run.status });
      if (ACTIVE_RUN_STATUSES.includes(run.status) && run.status !== 'undoing') {
        throw new BulwarkError('BWK_CASE_INVALID_STATE', `run ${runId} is ${run.status}: cancel it first, then undo`, { id: runId, status: run.status });
      }
      return { ...run, status: 'undoing', undo_requested_by: actor, error: null, updated_at: at };
    });
    await this.options.schedule(runId);
    return result!;
  }

  private async undoSteps(run: RunRecord): Promise<void> {
    const deps = this.stepDeps();
    const playbook = this.options.playbooks.get(run.playbook);
    for (let index = run.steps.length - 1; index >= 0; index--) {
      const step = run.steps[index]!;
      // A failed step may have changed some things before it failed (its checkpointed undo record): reversed too.
      if ((step.status !== 'succeeded' && step.status !== 'failed') || step.undo_json === null || step.undo_summary !== null) continue;
      const spec = playbook?.steps.find((s) => s.id === step.id);
      try {
        await undoStep(deps, run, step, spec, await this.triggerContext(run));
      } catch (err) {
        const at = this.iso();
        await this.journal.mutate(run.id, (r) =>
          r.status === 'undoing' ? { ...r, status: 'failed', error: `undo of step ${step.id} failed: ${(err as Error).message}`, updated_at: at } : null,
        );
        return;
      }
    }
    const at = this.iso();
    const undone = await this.journal.mutate(run.id, (r) => (r.status === 'undoing' ? { ...r, status: 'undone', finished_at: at, updated_at: at } : null));
    if (undone) this.options.outcomes?.runEnded(run.playbook, 'undone');
    this.options.logger.info({ run: run.id, actor: run.undo_requested_by }, 'playbook run undone');
  }

  /** Runs a responder should pick up after a restart: active ones (their waits and leases are re-checked). */
  async activeRunIds(limit = 1000): Promise<string[]> {
    const page = await this.options.store.query<RunRecord>('runs', { filter: { record_type: 'run', status: [...ACTIVE_RUN_STATUSES] }, size: limit });
    return page.items.map((item) => item.record.id);
  }
}

export { parseJson };
export type { StepJournal };
