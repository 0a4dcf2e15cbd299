/**
 * Playbook runs: what the responder persists for every run — the inputs it was started with and a journal
 * entry per step — so a crashed responder resumes where it stopped and never repeats a completed side effect, and
 * people can see, approve, cancel and undo. Stored in the CaseStore's `runs` collection. Free-form parts (resolved
 * parameters, plans, undo records, outputs) are kept as JSON text: the search engines map every field to one type,
 * and actions' plans differ in shape.
 */
import { z } from 'zod';
import type { SourceKind } from './provenance.js';

export const RunStatuses = ['pending', 'running', 'waiting_approval', 'succeeded', 'failed', 'cancelled', 'rejected', 'undoing', 'undone'] as const;
export type RunStatus = (typeof RunStatuses)[number];
/** Statuses from which a run moves on by itself or by a decision; the others are final (undo aside). */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['pending', 'running', 'waiting_approval', 'undoing'];

export const StepStatuses = ['pending', 'running', 'waiting_approval', 'succeeded', 'failed', 'skipped', 'undone', 'cancelled'] as const;
export type StepStatus = (typeof StepStatuses)[number];

/**
 * Why a step waits for a person: the playbook asks for approval, the blast-radius circuit breaker is open, or the
 * evidence that started the run is not trusted to move the responder by itself (external alerts, Alertmanager,
 * container-log rules — see the run's `evidence` and docs/ARCHITECTURE.md, "What acts without a person").
 */
export type ApprovalReason = 'playbook' | 'circuit_breaker' | 'untrusted_evidence';

export interface StepApproval {
  reason: ApprovalReason;
  /** Scopes a token must hold to decide (admin always may). */
  approvers: string[];
  requested_at: string;
  /** When the default outcome applies; null: waits for ever. */
  deadline: string | null;
  default: 'approve' | 'reject';
  decision: 'approved' | 'rejected' | null;
  /** The deciding token's name (a person), or `timeout` when the default applied. */
  decided_by: string | null;
  /** The deciding token's id (null for `timeout`, and on records from before decisions recorded it). */
  decided_by_token?: string | null;
  decided_at: string | null;
  comment: string | null;
  /** Why, in words (the breaker's reason, or what makes the evidence untrusted). */
  why?: string | null;
}

/**
 * The evidence an automatic run was started by, and whether it may move the responder without a person
 * (docs/ARCHITECTURE.md, "What acts without a person"): shown with every approval request so the person deciding sees what the run acts on, and on whose word.
 */
export interface RunEvidence {
  alert_id: string;
  rule: { id: string; name: string };
  severity: string;
  /** The alert's entity, e.g. `workload:prod/api-7f9`. */
  entity: string;
  /** The first event ids behind the alert (at most 20), and how many there are. */
  event_ids: string[];
  event_count: number;
  /** The alert's provenance as Bulwark recorded it; null for an alert without one (counted as untrusted). */
  provenance: {
    origin: 'rule' | 'external';
    sources: SourceKind[];
    received_at: string;
    /** The token that posted an external alert. */
    token: { id: string; name: string } | null;
    route: string | null;
    /** Alert fields a caller chose (entity, annotations, labels). */
    untrusted_fields: string[];
  } | null;
  /** The source kinds the playbook's trigger trusts (`trigger.trust`). */
  trust: SourceKind[];
  /** True: the run may act without a person. False: every step that acts waits for approval (or is skipped). */
  trusted: boolean;
  /** What an untrusted run does: `approve` (acting steps wait for a person) or `notify` (only notify.* steps run). */
  on_untrusted: 'approve' | 'notify';
  /** Why the evidence is not trusted, in words; null when it is. */
  reason: string | null;
  /** Inputs whose value came from a caller-chosen field of the alert. */
  untrusted_inputs: string[];
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
  /**
   * Who asked for the run: for `manual`, the token's name (`actor`) and id (`token_id`); for `alert`, the responder
   * itself (`actor: responder`, no token). Separation of duties compares deciders with this.
   */
  trigger: { kind: 'alert' | 'manual'; actor: string; token_id?: string | null; alert_id: string | null; incident_id: string | null };
  /** The evidence of an automatic run (or the alert a manual run was started from); null without an alert. */
  evidence?: RunEvidence | null;
  /** The requester may not approve the run's steps (the playbook's `separation_of_duties`, on by default). */
  separation_of_duties?: boolean;
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
