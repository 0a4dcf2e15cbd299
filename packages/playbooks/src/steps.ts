/**
 * One step of a run: condition, approval, blast-radius check, claim, the action, and the journal entry, audit record
 * and incident timeline entry that follow. Each transition is written before the next thing happens, so whatever
 * point a crash interrupts, the journal says what is known: `running` with a lease means "may have happened" (the
 * retry uses the same idempotency key), `succeeded` means done and never repeated.
 */
import { z } from 'zod';
import type { ActionContext, ActionResult } from '@bulwark/actions';
import { DEFAULT_PROTECTED_NAMESPACES } from '@bulwark/actions';
import { BulwarkError, severityRank, withTimeout, type Alert, type Incident, type RunRecord, type Severity, type StepJournal } from '@bulwark/schema';
import { gates, waitingApproval } from './approvals.js';
import { untrustedRun, untrustedStep } from './evidence.js';
import { iso, record, timeline } from './step-records.js';
import type { EngineOptions } from './engine.js';
import type { Playbook, PlaybookStep, When } from './format.js';
import type { RunJournal } from './journal.js';
import type { BlastRadius } from './limits.js';
import { parseJson } from './run-model.js';
import { lookup, render, type TemplateContext } from './template.js';

export interface StepDeps extends EngineOptions {
  journal: RunJournal;
  blastRadius: BlastRadius;
  owner: string;
  now: () => number;
}

export type StepOutcome =
  | { kind: 'continue' }
  | { kind: 'wait'; delayMs: number | null }
  | { kind: 'failed'; status: 'failed' | 'rejected'; error: string };

type Trigger = { alert: Alert | null; incident: Incident | null };
const LEASE_GRACE_MS = 5000;

export function templateContext(run: RunRecord, trigger: Trigger): TemplateContext {
  return {
    inputs: parseJson(run.inputs_json, {}),
    steps: Object.fromEntries(run.steps.map((s) => [s.id, { status: s.status, outputs: parseJson<Record<string, unknown>>(s.outputs_json, {}) }])),
    alert: trigger.alert,
    incident: trigger.incident,
    run: { id: run.id, playbook: run.playbook },
  };
}

export async function executeStep(deps: StepDeps, playbook: Playbook, run: RunRecord, index: number, trigger: Trigger): Promise<StepOutcome> {
  const step = run.steps[index]!;
  const spec = playbook.steps.find((s) => s.id === step.id);
  const action = deps.actions.get(step.action);
  const now = deps.now();
  if (!spec || !action) return { kind: 'failed', status: 'failed', error: `step ${step.id}: the playbook or action ${step.action} changed since the run started` };
  if (step.status === 'failed') return { kind: 'failed', status: 'failed', error: step.error ?? `step ${step.id} failed` };
  if (step.status === 'waiting_approval') return waitingApproval(deps, run, step, now);
  if (step.status === 'running' && step.owner !== deps.owner && step.lease_until !== null && Date.parse(step.lease_until) > now) {
    return { kind: 'wait', delayMs: Date.parse(step.lease_until) - now };
  }
  if (step.next_attempt_at !== null && Date.parse(step.next_attempt_at) > now) return { kind: 'wait', delayMs: Date.parse(step.next_attempt_at) - now };

  const ctx = templateContext(run, trigger);
  if (spec.when && !conditionHolds(spec.when, ctx)) {
    await deps.journal.mutateStep(run.id, step.id, (s) => (s.status === 'pending' ? { ...s, status: 'skipped', summary: 'condition not met', finished_at: iso(deps) } : null));
    return { kind: 'continue' };
  }
  if (untrustedRun(run) && untrustedStep(run, action) === 'skip') {
    const summary = `not run: the evidence is not trusted (${run.evidence!.reason}); this playbook only notifies on it`;
    await deps.journal.mutateStep(run.id, step.id, (s) => (s.status === 'pending' ? { ...s, status: 'skipped', summary, finished_at: iso(deps) } : null));
    await timeline(deps, run, step, `step ${step.id} (${step.action}) ${summary}`);
    return { kind: 'continue' };
  }
  let params: unknown;
  try {
    // What a person approved is what runs: the parameters shown with the approval request are kept.
    params = step.approval?.decision === 'approved' && step.params_json !== null ? parseJson(step.params_json, null) : render(spec.with, ctx);
    refuseProtectedTarget(deps, params);
  } catch (err) {
    if (run.dry_run && /\{\{ steps\./.test((err as Error).message)) {
      await deps.journal.mutateStep(run.id, step.id, (s) => ({ ...s, status: 'skipped', summary: `not planned: ${(err as Error).message} (known only when the earlier step runs)`, finished_at: iso(deps) }));
      return { kind: 'continue' };
    }
    return stepFailed(deps, playbook, run, step, spec, (err as Error).message, false);
  }
  if (!run.dry_run) {
    const gate = await gates(deps, playbook, run, step, spec, action, params);
    if (gate) return gate;
  }
  const claimed = await claim(deps, run, step, spec, params, now);
  if (!claimed) return { kind: 'continue' };
  const claimedStep = claimed.steps.find((s) => s.id === step.id)!;
  try {
    const result = await withTimeout(action.run(actionContext(deps, run, claimedStep), params), spec.timeout, () =>
      new BulwarkError('BWK_UPSTREAM_FAILED', `step ${step.id} (${step.action}) did not finish within ${spec.timeout} ms`, { step: step.id, timeoutMs: spec.timeout }),
    );
    await stepSucceeded(deps, run, claimedStep, result);
    return { kind: 'continue' };
  } catch (err) {
    const message = errorText(err);
    if (!run.dry_run && claimedStep.attempts < spec.retries.attempts) {
      const delay = Math.min(spec.retries.max_backoff, spec.retries.backoff * 2 ** (claimedStep.attempts - 1));
      await deps.journal.mutateStep(run.id, step.id, (s) => ({ ...s, status: 'pending', owner: null, lease_until: null, error: message, next_attempt_at: new Date(deps.now() + delay).toISOString() }));
      deps.logger.warn({ run: run.id, step: step.id, attempt: claimedStep.attempts, delay_ms: delay, err: message }, 'playbook step failed; retrying');
      return { kind: 'wait', delayMs: delay };
    }
    return stepFailed(deps, playbook, run, claimedStep, spec, message, true);
  }
}

async function claim(deps: StepDeps, run: RunRecord, step: StepJournal, spec: PlaybookStep, params: unknown, now: number): Promise<RunRecord | null> {
  const at = new Date(now).toISOString();
  return deps.journal.mutateStep(
    run.id,
    step.id,
    (s) => {
      const abandoned = s.status === 'running' && (s.owner === deps.owner || s.lease_until === null || Date.parse(s.lease_until) <= deps.now());
      if (s.status !== 'pending' && !abandoned) return null;
      return {
        ...s,
        status: 'running',
        attempts: s.attempts + 1,
        owner: deps.owner,
        lease_until: new Date(now + spec.timeout + LEASE_GRACE_MS).toISOString(),
        started_at: s.started_at ?? at,
        next_attempt_at: null,
        params_json: JSON.stringify(params),
      };
    },
    (r) => {
      if (r.status === 'pending' || r.status === 'waiting_approval') r.status = 'running';
      r.updated_at = at;
    },
  );
}

function actionContext(deps: StepDeps, run: RunRecord, step: StepJournal): ActionContext {
  const prior = parseJson<unknown>(step.undo_json, null);
  return {
    ...deps.actionContext,
    dryRun: run.dry_run,
    idempotencyKey: step.idempotency_key,
    ...(run.dry_run ? {} : { checkpoint: async (undo: unknown) => void (await deps.journal.mutateStep(run.id, step.id, (s) => ({ ...s, undo_json: JSON.stringify(undo) }))) }),
    ...(prior !== null ? { priorUndo: prior } : {}),
    run: {
      id: run.id,
      step: step.id,
      playbook: run.playbook,
      ...(run.trigger.incident_id ? { incidentId: run.trigger.incident_id } : {}),
      ...(run.trigger.alert_id ? { alertId: run.trigger.alert_id } : {}),
    },
  };
}

async function stepSucceeded(deps: StepDeps, run: RunRecord, step: StepJournal, result: ActionResult<unknown>): Promise<void> {
  const at = iso(deps);
  await deps.journal.mutateStep(run.id, step.id, (s) => ({
    ...s,
    status: 'succeeded',
    finished_at: at,
    owner: null,
    lease_until: null,
    error: null,
    changed: result.changed,
    summary: result.summary,
    plan_json: JSON.stringify(result.plan),
    undo_json: result.undo === null ? null : JSON.stringify(result.undo),
    outputs_json: result.outputs ? JSON.stringify(result.outputs) : null,
  }));
  if (run.dry_run) return;
  await record(deps, run, step, 'succeeded', result.summary, result.undo, result.plan);
  await timeline(deps, run, step, `${step.action}: ${result.summary}${result.changed ? '' : ' (no change)'}`);
}

async function stepFailed(deps: StepDeps, playbook: Playbook, run: RunRecord, step: StepJournal, spec: PlaybookStep, message: string, attempted: boolean): Promise<StepOutcome> {
  const at = iso(deps);
  await deps.journal.mutateStep(run.id, step.id, (s) => ({ ...s, status: 'failed', finished_at: at, owner: null, lease_until: null, error: message }));
  if (!run.dry_run && attempted) {
    await record(deps, run, step, 'failed', message, null, null);
    await timeline(deps, run, step, `${step.action} failed: ${message}`);
  }
  deps.logger.warn({ run: run.id, playbook: playbook.name, step: step.id, err: message }, 'playbook step failed');
  return spec.continue_on_error ? { kind: 'continue' } : { kind: 'failed', status: 'failed', error: `step ${step.id} failed: ${message}` };
}

/** Reverses one completed step: the playbook's explicit undo action, or the action's own inverse. */
export async function undoStep(deps: StepDeps, run: RunRecord, step: StepJournal, spec: PlaybookStep | undefined, trigger: Trigger): Promise<void> {
  const at = iso(deps);
  if (spec?.undo === 'none') {
    await deps.journal.mutateStep(run.id, step.id, (s) => ({ ...s, undo_summary: 'not reversed (the playbook says undo: none)' }));
    return;
  }
  const explicit = typeof spec?.undo === 'object' ? spec.undo : null;
  const action = deps.actions.get(explicit ? explicit.action : step.action);
  if (!action) throw new BulwarkError('BWK_INTERNAL', `no action ${explicit?.action ?? step.action}`);
  // The journal's undo record is what undo restores: nothing done while undoing may overwrite it (no checkpoint), and
  // the step's record is not offered as an earlier attempt of the undo (no priorUndo).
  const { checkpoint: _checkpoint, priorUndo: _prior, ...base } = actionContext(deps, run, step);
  const ctx = { ...base, dryRun: false, idempotencyKey: `${step.idempotency_key}/undo` };
  const result = explicit
    ? await action.run(ctx, render(explicit.with, templateContext(run, trigger)))
    : await action.undo(ctx, parseJson(step.undo_json, null));
  await deps.journal.mutateStep(run.id, step.id, (s) => ({ ...s, status: 'undone', undo_summary: result.summary, finished_at: at }));
  await record(deps, run, step, 'undone', result.summary, null, result.plan);
  await timeline(deps, run, step, `undo ${step.action}: ${result.summary}`);
}

export function conditionHolds(when: When, ctx: TemplateContext): boolean {
  if ('all' in when) return when.all.every((c) => conditionHolds(c, ctx));
  if ('any' in when) return when.any.some((c) => conditionHolds(c, ctx));
  const ref = /^\{\{\s*([^}\s]+)\s*\}\}$/.exec(when.value);
  const value = ref ? lookup(ctx, ref[1]!) : when.value;
  if (when.exists !== undefined) return (value !== undefined && value !== null && value !== '') === when.exists;
  if (when.equals !== undefined) return value === when.equals;
  if (when.in !== undefined) return when.in.includes(value as string);
  if (when.not_in !== undefined) return !when.not_in.includes(value as string);
  if (when.min_severity !== undefined) return typeof value === 'string' && severityRank(value as Severity) >= severityRank(when.min_severity);
  return false;
}

/**
 * Protected namespaces are refused by the engine too, whatever an action checks itself. The defaults always count:
 * configuring more namespaces adds to them (docs/ARCHITECTURE.md, "Response").
 */
function refuseProtectedTarget(deps: StepDeps, params: unknown): void {
  const namespace = params !== null && typeof params === 'object' ? (params as { namespace?: unknown }).namespace : undefined;
  const protectedNamespaces: readonly string[] = [...DEFAULT_PROTECTED_NAMESPACES, ...(deps.actionContext.protectedNamespaces ?? [])];
  if (typeof namespace === 'string' && protectedNamespaces.includes(namespace)) {
    throw new BulwarkError('BWK_BAD_REQUEST', `namespace ${namespace} is protected: no playbook may act on it`, { field: 'namespace' });
  }
}


/** An action's error for the journal: a parameter problem as `field: message` (zod's own message is a JSON dump). */
function errorText(err: unknown): string {
  if (err instanceof z.ZodError) {
    return `bad parameters: ${err.issues.map((i) => `${i.path.map(String).join('.') || '(params)'}: ${i.message}`).join('; ')}`;
  }
  return err instanceof Error ? err.message : String(err);
}
