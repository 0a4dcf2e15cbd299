/** Building run records and reading their JSON parts. */
import type { RunEvidence, RunRecord, StepJournal } from '@bulwark/schema';
import type { Playbook } from './format.js';

export function newRun(
  id: string,
  playbook: Playbook,
  inputs: Record<string, unknown>,
  trigger: RunRecord['trigger'],
  dryRun: boolean,
  at: string,
  evidence: RunEvidence | null = null,
): RunRecord {
  return {
    id,
    record_type: 'run',
    playbook: playbook.name,
    playbook_digest: playbook.digest,
    status: 'pending',
    dry_run: dryRun,
    trigger,
    evidence,
    separation_of_duties: playbook.separation_of_duties,
    inputs_json: JSON.stringify(inputs),
    steps: playbook.steps.map((step) => newStep(id, step.id, step.action)),
    error: null,
    created_at: at,
    updated_at: at,
    finished_at: null,
    undo_requested_by: null,
  };
}

function newStep(runId: string, id: string, action: string): StepJournal {
  return {
    id,
    action,
    status: 'pending',
    idempotency_key: `${runId}/${id}`,
    attempts: 0,
    next_attempt_at: null,
    started_at: null,
    finished_at: null,
    owner: null,
    lease_until: null,
    params_json: null,
    changed: null,
    summary: null,
    plan_json: null,
    undo_json: null,
    outputs_json: null,
    error: null,
    approval: null,
    counted: false,
    undo_summary: null,
  };
}

export function parseJson<T>(text: string | null, fallback: T): T {
  if (text === null) return fallback;
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}

/**
 * A run as the API shows it: JSON parts parsed; the requester (name and token id), the evidence that started it and
 * its provenance, and for a waiting step the parameters it would run with — the plan a person approves.
 */
export function runView(run: RunRecord): Record<string, unknown> {
  const { inputs_json, steps, record_type: _type, ...rest } = run;
  return {
    ...rest,
    trigger: { ...run.trigger, token_id: run.trigger.token_id ?? null },
    evidence: run.evidence ?? null,
    separation_of_duties: run.separation_of_duties ?? true,
    inputs: parseJson(inputs_json, {}),
    steps: steps.map(({ params_json, plan_json, undo_json, outputs_json, ...step }) => ({
      ...step,
      params: parseJson(params_json, null),
      plan: parseJson(plan_json, null),
      undo: parseJson(undo_json, null),
      outputs: parseJson(outputs_json, null),
    })),
  };
}
