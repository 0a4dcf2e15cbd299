/**
 * What a step leaves behind besides its journal entry: the audit record of each side effect (who — the playbook, on
 * behalf of whom, approved by whom — target, before, after, result) and the entry on the incident's timeline.
 */
import { createHash } from 'node:crypto';
import type { RunRecord, StepJournal } from '@bulwark/schema';
import type { StepDeps } from './steps.js';

export const iso = (deps: Pick<StepDeps, 'now'>): string => new Date(deps.now()).toISOString();

/** The audit record of a step's side effect: who (the playbook, started by whom), target, before, after, result. */
export async function record(deps: StepDeps, run: RunRecord, step: StepJournal, result: string, summary: string, before: unknown, after: { target: string }[] | null): Promise<void> {
  const id = `aud-${createHash('sha256').update(`${step.idempotency_key}\u0000${result}\u0000${step.attempts}`).digest('hex').slice(0, 40)}`;
  await deps.store.append(
    'audit',
    {
      id,
      at: iso(deps),
      actor: `playbook:${run.playbook}`,
      on_behalf_of: run.undo_requested_by && result === 'undone' ? run.undo_requested_by : run.trigger.actor,
      // Both people: who asked for the run, and who approved this step (separation of duties).
      requested_by: run.trigger.actor,
      requested_by_token: run.trigger.token_id ?? null,
      approved_by: step.approval?.decision === 'approved' ? step.approval.decided_by : null,
      approved_by_token: step.approval?.decision === 'approved' ? (step.approval.decided_by_token ?? null) : null,
      action: `${result === 'undone' ? 'undo' : 'action'}.${step.action}`,
      collection: 'runs',
      target_id: after && after.length > 0 ? after.map((c) => c.target).join(', ').slice(0, 2000) : run.id,
      run_id: run.id,
      step_id: step.id,
      incident_id: run.trigger.incident_id ?? '',
      result,
      summary: summary.slice(0, 2000),
      before_json: before === null ? null : JSON.stringify(before),
      after_json: after === null ? null : JSON.stringify(after),
    },
    { ifAbsent: true },
  );
  deps.outcomes?.stepEnded(step.action, result);
}

export async function timeline(deps: StepDeps, run: RunRecord, step: StepJournal, summary: string): Promise<void> {
  if (!run.trigger.incident_id || !deps.timeline || run.dry_run) return;
  try {
    await deps.timeline(run.trigger.incident_id, 'action', `${run.id}/${step.id}`, `${run.playbook}: ${summary}`);
  } catch (err) {
    deps.logger.warn({ run: run.id, incident: run.trigger.incident_id, err }, 'could not add the step to the incident timeline');
  }
}
