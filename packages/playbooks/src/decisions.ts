/**
 * Deciding a step that waits for a person (docs/ARCHITECTURE.md, "Separation of duties"). A decision needs one of the step's approver scopes
 * (`approve`; admin always holds it), and — separation of duties, on unless the playbook turns it off — an approval
 * never comes from whoever asked for the run: not the token that started it, not another token of the same name (one
 * person), and not the token that posted the alert an automatic run was started by. Admin is no exception. Every
 * decision, a deadline's default and a refused self-approval are audit records naming both people.
 */
import { createHash } from 'node:crypto';
import { BulwarkError, type RunRecord, type StepApproval } from '@bulwark/schema';
import type { CaseStore } from '@bulwark/store';
import type { RunJournal } from './journal.js';

/** Who decides: the token's name (the person) and id, and its scopes. */
export interface Decider {
  actor: string;
  tokenId: string | null;
  scopes: readonly string[];
}

/** Why `who` counts as the requester of `run`, or null when they do not. */
export function requesterMatch(run: RunRecord, who: Decider): string | null {
  if (run.trigger.kind === 'manual') {
    if (who.tokenId !== null && run.trigger.token_id && who.tokenId === run.trigger.token_id) return 'the token that started the run';
    if (who.actor === run.trigger.actor) return `a token named ${JSON.stringify(who.actor)}, like the one that started the run`;
  }
  const poster = run.evidence?.provenance?.token;
  if (poster && ((who.tokenId !== null && poster.id === who.tokenId) || poster.name === who.actor)) {
    return `the sender (${JSON.stringify(poster.name)}) of the alert the run was started by`;
  }
  return null;
}

export interface DecideDeps {
  journal: RunJournal;
  store: CaseStore;
  now: () => number;
}

/** Records the decision on the waiting step (the first, or `stepId`). @throws BWK_SELF_APPROVAL, BWK_AUTH_FORBIDDEN, BWK_CASE_INVALID_STATE. */
export async function decideStep(
  deps: DecideDeps,
  runId: string,
  decision: 'approved' | 'rejected',
  who: Decider,
  comment?: string,
  stepId?: string,
): Promise<RunRecord> {
  const at = new Date(deps.now()).toISOString();
  let decided: { run: RunRecord; step: string; approval: StepApproval } | null = null;
  try {
    const result = await deps.journal.mutate(runId, (run) => {
      const step = run.steps.find((s) => s.status === 'waiting_approval' && (stepId === undefined || s.id === stepId));
      if (!step || !step.approval) {
        throw new BulwarkError('BWK_CASE_INVALID_STATE', `run ${runId} has no step waiting for approval${stepId ? ` named ${stepId}` : ''}`, { id: runId, status: run.status });
      }
      if (!who.scopes.includes('admin') && !step.approval.approvers.some((scope) => who.scopes.includes(scope))) {
        throw new BulwarkError('BWK_AUTH_FORBIDDEN', `deciding step ${step.id} needs one of the scopes ${step.approval.approvers.join(', ')}`, {
          scope: step.approval.approvers.join(','),
          granted: [...who.scopes],
        });
      }
      // Rejecting one's own run only stops it (as cancel would): only approving is someone else's duty.
      const self = decision === 'approved' && run.separation_of_duties !== false ? requesterMatch(run, who) : null;
      if (self) {
        throw new BulwarkError('BWK_SELF_APPROVAL', `${who.actor} is ${self}: someone else must approve step ${step.id} (separation of duties)`, {
          id: runId,
          step: step.id,
          requested_by: run.trigger.actor,
        });
      }
      const asked = step.approval;
      step.approval = { ...asked, decision, decided_by: who.actor, decided_by_token: who.tokenId, decided_at: at, comment: comment ?? null };
      step.status = 'pending';
      run.status = 'running';
      run.updated_at = at;
      decided = { run, step: step.id, approval: asked };
      return run;
    });
    const d = decided as { run: RunRecord; step: string; approval: StepApproval } | null;
    if (d) await recordDecision(deps.store, d.run, d.step, d.approval, { decision, by: who.actor, tokenId: who.tokenId, at, comment: comment ?? null });
    return result!;
  } catch (err) {
    if (err instanceof BulwarkError && err.code === 'BWK_SELF_APPROVAL') await recordRefusal(deps, runId, who, err, at);
    throw err;
  }
}

/** The audit record of one decision on one approval request: who asked for the run, who decided, why it waited. */
export async function recordDecision(
  store: CaseStore,
  run: RunRecord,
  stepId: string,
  asked: StepApproval,
  d: { decision: 'approved' | 'rejected'; by: string; tokenId: string | null; at: string; comment: string | null },
): Promise<void> {
  // One decision per request: a replayed decision finds its record (ifAbsent).
  const id = `aud-decision-${createHash('sha256').update(`${run.id}\u0000${stepId}\u0000${asked.reason}\u0000${asked.requested_at}`).digest('hex').slice(0, 40)}`;
  await store.append(
    'audit',
    {
      id,
      at: d.at,
      actor: d.by,
      actor_token: d.tokenId,
      action: d.decision === 'approved' ? 'run.approve' : 'run.reject',
      collection: 'runs',
      target_id: run.id,
      run_id: run.id,
      step_id: stepId,
      incident_id: run.trigger.incident_id ?? '',
      result: d.decision,
      reason: asked.reason,
      requested_by: run.trigger.actor,
      requested_by_token: run.trigger.token_id ?? null,
      alert_id: run.trigger.alert_id ?? '',
      comment: d.comment,
      summary: `${d.by} ${d.decision} step ${stepId} of run ${run.id} (${run.playbook}; waiting for ${asked.reason}), requested by ${run.trigger.actor}`.slice(0, 2000),
    },
    { ifAbsent: true },
  );
}

async function recordRefusal(deps: DecideDeps, runId: string, who: Decider, err: BulwarkError, at: string): Promise<void> {
  const details = (err.details ?? {}) as { step?: string; requested_by?: string };
  const id = `aud-refused-${createHash('sha256').update(`${runId}\u0000${details.step ?? ''}\u0000${who.tokenId ?? who.actor}\u0000${at}`).digest('hex').slice(0, 40)}`;
  await deps.store.append(
    'audit',
    {
      id,
      at,
      actor: who.actor,
      actor_token: who.tokenId,
      action: 'run.approve',
      collection: 'runs',
      target_id: runId,
      run_id: runId,
      step_id: details.step ?? '',
      result: 'refused',
      reason: 'separation_of_duties',
      requested_by: details.requested_by ?? '',
      summary: err.message.slice(0, 2000),
    },
    { ifAbsent: true },
  );
}
