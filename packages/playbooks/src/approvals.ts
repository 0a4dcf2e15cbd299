/**
 * Whether a step may go ahead, or waits for a person (docs/ARCHITECTURE.md, "What acts without a person"): the playbook's own
 * approval, the evidence of an automatic run that is not trusted to act by itself (evidence.ts), and the blast-radius
 * breaker. An approval request carries the parameters the step would run with — the plan a person approves, and what
 * then runs — and why it waits; a deadline's default is an audited decision like any other.
 */
import type { AnyAction } from '@bulwark/actions';
import type { ApprovalReason, RunRecord, StepJournal } from '@bulwark/schema';
import { recordDecision } from './decisions.js';
import { untrustedRun, untrustedStep } from './evidence.js';
import type { Playbook, PlaybookStep } from './format.js';
import { iso, record, timeline } from './step-records.js';
import type { StepDeps, StepOutcome } from './steps.js';

/** Approval and the blast-radius breaker: null when the step may go ahead. */
export async function gates(deps: StepDeps, playbook: Playbook, run: RunRecord, step: StepJournal, spec: PlaybookStep, action: AnyAction, params: unknown): Promise<StepOutcome | null> {
  const decision = step.approval?.decision ?? null;
  if (decision === 'rejected') {
    await deps.journal.mutateStep(run.id, step.id, (s) => ({ ...s, status: 'cancelled', summary: `rejected by ${s.approval?.decided_by ?? 'someone'}`, finished_at: iso(deps) }));
    await record(deps, run, step, 'rejected', `step ${step.id} rejected by ${step.approval?.decided_by}`, null, null);
    return { kind: 'failed', status: 'rejected', error: `step ${step.id} was rejected by ${step.approval?.decided_by}${step.approval?.comment ? `: ${step.approval.comment}` : ''}` };
  }
  const person = personGate(run, spec, action);
  // A breaker approval is only ever asked after the person gate passed: it counts as passing it.
  if (person && !(decision === 'approved' && (step.approval?.reason === person.reason || step.approval?.reason === 'circuit_breaker'))) {
    const deadline = person.timeout !== undefined ? new Date(deps.now() + person.timeout).toISOString() : null;
    await requestApproval(deps, run, step, { reason: person.reason, approvers: person.approvers, deadline, default: person.default }, params, person.why);
    return { kind: 'wait', delayMs: person.timeout ?? null };
  }
  if (action.limited !== false && !step.counted) {
    const approvedByPerson = step.approval?.reason === 'circuit_breaker' && decision === 'approved';
    const taken = await deps.blastRadius.take(playbook.name, approvedByPerson);
    if (!taken.allowed) {
      deps.logger.warn({ run: run.id, step: step.id, playbook: playbook.name, reason: taken.reason }, 'blast-radius limit: the step waits for a person');
      await requestApproval(deps, run, step, { reason: 'circuit_breaker', approvers: ['approve'], deadline: null, default: 'reject' }, params, taken.reason);
      return { kind: 'wait', delayMs: null };
    }
    await deps.journal.mutateStep(run.id, step.id, (s) => ({ ...s, counted: true }));
  }
  return null;
}

interface PersonGate {
  reason: ApprovalReason;
  approvers: string[];
  timeout?: number;
  default: 'approve' | 'reject';
  why: string | null;
}

/** Whether the step waits for a person: the playbook asks, or the run's evidence is not trusted to act by itself. */
function personGate(run: RunRecord, spec: PlaybookStep, action: AnyAction): PersonGate | null {
  const asked = spec.approval === 'auto' || !spec.approval.required ? null : spec.approval;
  if (untrustedRun(run) && untrustedStep(run, action) === 'approve') {
    // Never approved by a deadline passing: nobody looked at this evidence yet.
    return {
      reason: 'untrusted_evidence',
      approvers: asked?.approvers ?? ['approve'],
      ...(asked?.timeout !== undefined ? { timeout: asked.timeout } : {}),
      default: 'reject',
      why: `untrusted evidence: ${run.evidence!.reason}`,
    };
  }
  if (!asked) return null;
  return { reason: 'playbook', approvers: asked.approvers, ...(asked.timeout !== undefined ? { timeout: asked.timeout } : {}), default: asked.default, why: null };
}

async function requestApproval(
  deps: StepDeps,
  run: RunRecord,
  step: StepJournal,
  request: { reason: ApprovalReason; approvers: string[]; deadline: string | null; default: 'approve' | 'reject' },
  params: unknown,
  why: string | null,
): Promise<void> {
  const at = iso(deps);
  await deps.journal.mutateStep(
    run.id,
    step.id,
    // The parameters are shown with the request (the plan a person approves) and kept for the run once approved.
    (s) => ({
      ...s,
      status: 'waiting_approval',
      summary: why ?? 'waiting for approval',
      params_json: JSON.stringify(params),
      approval: { ...request, requested_at: at, decision: null, decided_by: null, decided_by_token: null, decided_at: null, comment: null, why },
    }),
    (r) => Object.assign(r, { status: 'waiting_approval', updated_at: at }),
  );
  const text = request.reason === 'playbook' ? `step ${step.id} (${step.action}) waits for approval` : `step ${step.id} (${step.action}) waits for a person: ${why}`;
  await timeline(deps, run, step, text);
}

export async function waitingApproval(deps: StepDeps, run: RunRecord, step: StepJournal, now: number): Promise<StepOutcome> {
  const deadline = step.approval?.deadline ? Date.parse(step.approval.deadline) : null;
  if (deadline === null || deadline > now) return { kind: 'wait', delayMs: deadline === null ? null : deadline - now };
  const decision = step.approval!.default === 'approve' ? 'approved' : 'rejected';
  await deps.journal.mutateStep(
    run.id,
    step.id,
    (s) => (s.status === 'waiting_approval' ? { ...s, status: 'pending', approval: { ...s.approval!, decision, decided_by: 'timeout', decided_at: iso(deps) } } : null),
    (r) => Object.assign(r, { status: 'running' }),
  );
  await recordDecision(deps.store, run, step.id, step.approval!, { decision, by: 'timeout', tokenId: null, at: iso(deps), comment: null });
  await timeline(deps, run, step, `no decision on step ${step.id} in time: ${decision} by default`);
  return { kind: 'continue' };
}
