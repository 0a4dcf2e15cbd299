/**
 * Playbook runs (issue 6): what the responder persists for every run — the inputs it was started with and a journal
 * entry per step — so a crashed responder resumes where it stopped and never repeats a completed side effect, and
 * people can see, approve, cancel and undo. Stored in the CaseStore's `runs` collection. Free-form parts (resolved
 * parameters, plans, undo records, outputs) are kept as JSON text: the search engines map every field to one type,
 * and actions' plans differ in shape.
 */
import { z } from 'zod';

export const RunStatuses = ['pending', 'running', 'waiting_approval', 'succeeded', 'failed', 'cancelled', 'rejected', 'undoing', 'undone'] as const;
export type RunStatus = (typeof RunStatuses)[number];
/** Statuses from which a run moves on by itself or by a decision; the others are final (undo aside). */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting_approval', 'undoing'];

export const StepStatuses = ['pending', 'running', 'waiting_approval', 'succeeded', 'failed', 'skipped', 'undone', 'cancelled'] as const;
export type StepStatus = (typeof StepStatuses)[number];

/** Why a step waits for a person: the playbook asks for approval, or the blast-radius circuit breaker is open. */
export type ApprovalReason = 'playbook' | 'circuit_breaker';

export interface StepApproval {
  reason: ApprovalReason;
  /** Scopes a token must hold to decide (admin always may). */
  approvers: string[];
  requested_at: string;
  /** When the default outcome applies; null: waits for ever. */
  deadline: string | null;
  default: 'approve' | 'reject';
  decision: 'approved' | 'rejected' | null;
  decided_by: string | null;
  decided_at: string | null;
  comment: string | null;
}

export interface StepJournal {
  id: string;
  action: string;
  status: StepStatus;
  /** `<run id>/<step id>`: the same on every retry; actions mark what they change with it. */
  idempotency_key: string;
  attempts: number;
  /** Not before this time (retry backoff); null when due. */
  next_attempt_at: string | null;
  started_at: string | null;
  finished_at: string | null;
  /** The responder process executing the step, and until when it holds it (after that, another may take over). */
  owner: string | null;
  lease_until: string | null;
  params_json: string | null;
  changed: boolean | null;
  summary: string | null;
  plan_json: string | null;
  undo_json: string | null;
  outputs_json: string | null;
  error: string | null;
  approval: StepApproval | null;
  /** The step was counted against the blast-radius limits (so a retry is not counted again). */
  counted: boolean;
  /** Summary of the undo, when undone. */
  undo_summary: string | null;
}

export interface RunRecord {
  id: string;
  /** Runs share the collection with the responder's limiter record. */
  record_type: 'run';
  playbook: string;
  /** SHA-256 of the playbook's YAML when the run started: the run follows that version. */
  playbook_digest: string;
  status: RunStatus;
  dry_run: boolean;
  trigger: { kind: 'alert' | 'manual'; actor: string; alert_id: string | null; incident_id: string | null };
  inputs_json: string;
  steps: StepJournal[];
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  /** Who asked for an undo of the run, and when. */
  undo_requested_by: string | null;
}

/** `POST /v1/playbooks/:name/run`. */
export const RunPlaybookBody = z.strictObject({
  inputs: z.record(z.string().min(1).max(128), z.unknown()).default({}),
  dry_run: z.boolean().default(false),
  alert_id: z.string().min(1).max(256).optional(),
  incident_id: z.string().min(1).max(512).optional(),
});

/** `POST /v1/runs/:id/approve|reject|cancel|undo`. */
export const RunDecisionBody = z.strictObject({ comment: z.string().max(4096).optional(), step: z.string().min(1).max(128).optional() });
