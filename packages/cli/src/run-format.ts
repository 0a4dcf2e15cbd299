/**
 * Printing playbook runs as the API returns them (`runView`, packages/playbooks/src/run-model.ts): a run with who
 * asked for it, the evidence that started it and its provenance (trusted or not, and why), its steps (status,
 * attempts, summary, error, approval state, the parameters a waiting step would run with, and the plan of what each
 * changed or, in a dry run, would change), and one line per run for lists.
 */
import { line, type CliIo } from './io.js';

export interface PlanView {
  kind: string;
  target: string;
  detail?: unknown;
}

export interface ApprovalView {
  reason: string;
  approvers: string[];
  requested_at: string;
  deadline: string | null;
  default: string;
  decision: string | null;
  decided_by: string | null;
  decided_by_token?: string | null;
  decided_at: string | null;
  comment: string | null;
  why?: string | null;
}

export interface EvidenceView {
  alert_id: string;
  rule: { id: string; name: string };
  severity: string;
  entity: string;
  event_ids: string[];
  event_count: number;
  provenance: {
    origin: string;
    sources: string[];
    received_at: string;
    token: { id: string; name: string } | null;
    route: string | null;
    untrusted_fields: string[];
  } | null;
  trust: string[];
  trusted: boolean;
  on_untrusted: string;
  reason: string | null;
  untrusted_inputs: string[];
}

export interface StepView {
  id: string;
  action: string;
  status: string;
  attempts: number;
  next_attempt_at: string | null;
  changed: boolean | null;
  summary: string | null;
  error: string | null;
  approval: ApprovalView | null;
  params?: unknown;
  plan: PlanView[] | null;
  outputs: Record<string, unknown> | null;
  undo_summary: string | null;
}

export interface RunView {
  id: string;
  playbook: string;
  status: string;
  dry_run: boolean;
  trigger: { kind: string; actor: string; token_id?: string | null; alert_id: string | null; incident_id: string | null };
  evidence?: EvidenceView | null;
  separation_of_duties?: boolean;
  inputs: Record<string, unknown>;
  steps: StepView[];
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  undo_requested_by: string | null;
}

/** Longest detail shown per planned change in text output (`--json` has all of it). */
const DETAIL_CHARS = 400;

function compact(value: unknown): string {
  const text = JSON.stringify(value) ?? '';
  return text.length > DETAIL_CHARS ? `${text.slice(0, DETAIL_CHARS)}… (${text.length} chars; --json for all)` : text;
}

const REASONS: Record<string, string> = { circuit_breaker: 'blast-radius breaker open', untrusted_evidence: 'untrusted evidence', playbook: 'playbook' };

export function approvalText(a: ApprovalView): string {
  const why = REASONS[a.reason] ?? a.reason;
  if (a.decision) {
    return `${a.decision} by ${a.decided_by ?? '?'} at ${a.decided_at ?? '?'}${a.comment ? `: ${JSON.stringify(a.comment)}` : ''} (${why})`;
  }
  const when = a.deadline ? `until ${a.deadline}, then ${a.default}` : 'no deadline';
  return `waiting for a decision by ${a.approvers.join(' or ')} (or admin), ${when} (${why})`;
}

/** One run, its steps and their plans. */
export function printRun(io: CliIo, run: RunView): void {
  const out = io.stdout;
  line(out, `run ${run.id}  playbook ${run.playbook}  status ${run.status}${run.dry_run ? '  (dry run)' : ''}`);
  if (run.dry_run) line(out, '  DRY RUN: nothing was changed; the plans below are what a real run would do');
  const t = run.trigger;
  line(out, `  trigger:  ${t.kind} by ${t.actor}${t.token_id ? ` (token ${t.token_id})` : ''}; incident ${t.incident_id ?? '-'}; alert ${t.alert_id ?? '-'}`);
  if (run.evidence) printEvidence(io, run.evidence);
  if (run.separation_of_duties === false) line(out, '  separation of duties: off (the requester may approve)');
  if (Object.keys(run.inputs).length > 0) line(out, `  inputs:   ${compact(run.inputs)}`);
  line(out, `  created:  ${run.created_at}${run.finished_at ? `; finished ${run.finished_at}` : ''}`);
  if (run.undo_requested_by) line(out, `  undo requested by ${run.undo_requested_by}`);
  if (run.error) line(out, `  error:    ${run.error}`);
  line(out, '  steps:');
  const width = Math.max(...run.steps.map((s) => s.id.length), 4);
  run.steps.forEach((step, i) => {
    const attempts = step.attempts > 0 ? `  attempts ${step.attempts}` : '';
    const changed = step.changed === true ? '  changed' : step.changed === false && step.status === 'succeeded' && !run.dry_run ? '  no change' : '';
    line(out, `    ${i + 1}. ${step.id.padEnd(width)}  ${step.action.padEnd(24)}  ${step.status}${attempts}${changed}`);
    const pad = ' '.repeat(7);
    if (step.summary) line(out, `${pad}${step.summary}`);
    if (step.error) line(out, `${pad}error: ${step.error}`);
    if (step.next_attempt_at && step.status === 'pending') line(out, `${pad}next attempt at ${step.next_attempt_at}`);
    if (step.approval) line(out, `${pad}approval: ${approvalText(step.approval)}`);
    // The plan a person approves: what the waiting step would run with (and, once approved, runs with).
    if (step.status === 'waiting_approval' && step.params !== undefined && step.params !== null) line(out, `${pad}would run with: ${compact(step.params)}`);
    for (const change of step.plan ?? []) {
      line(out, `${pad}${run.dry_run ? 'would ' : ''}${change.kind} ${change.target}${change.detail === undefined ? '' : `  ${compact(change.detail)}`}`);
    }
    if (step.undo_summary) line(out, `${pad}undone: ${step.undo_summary}`);
  });
}

/** The evidence a run was started by, with its provenance: what a person approving it needs to see. */
export function printEvidence(io: CliIo, e: EvidenceView): void {
  const out = io.stdout;
  const ids = e.event_ids.length > 0 ? `; events ${e.event_ids.join(', ')}${e.event_count > e.event_ids.length ? ` (+${e.event_count - e.event_ids.length} more)` : ''}` : '';
  line(out, `  evidence: alert ${e.alert_id}, rule ${JSON.stringify(e.rule.name)} (${e.rule.id}), ${e.severity}, about ${e.entity}${ids}`);
  const p = e.provenance;
  const from = p
    ? `${p.origin === 'external' ? 'posted by another system' : "Bulwark's own rule"} over ${p.sources.join(', ')}${p.token ? ` by token ${p.token.name} (${p.token.id})` : ''}${p.route ? ` via ${p.route}` : ''}, received ${p.received_at}${p.untrusted_fields.length > 0 ? `; sender-chosen fields: ${p.untrusted_fields.join(', ')}` : ''}`
    : 'unknown (no provenance)';
  line(out, `  provenance: ${from}`);
  const verdict = e.trusted
    ? `trusted (the playbook trusts ${e.trust.join(', ')})`
    : `NOT trusted: ${e.reason ?? '?'}${e.untrusted_inputs.length > 0 ? `; inputs from sender-chosen fields: ${e.untrusted_inputs.join(', ')}` : ''} — ${e.on_untrusted === 'notify' ? 'only notify steps run' : 'every acting step waits for a person'}`;
  line(out, `  trust:    ${verdict}`);
}

/** A step waiting for someone, for the one-line view. */
function waitingStep(run: RunView): string {
  const step = run.steps.find((s) => s.status === 'waiting_approval');
  return step ? ` (step ${step.id})` : '';
}

/** One line per run: id, status, playbook, incident, created. */
export function printRunLines(io: CliIo, runs: RunView[]): void {
  if (runs.length === 0) return;
  const idWidth = Math.max(...runs.map((r) => r.id.length));
  const pbWidth = Math.max(...runs.map((r) => r.playbook.length), 8);
  for (const run of runs) {
    const status = `${run.status}${waitingStep(run)}${run.dry_run ? ' dry-run' : ''}`;
    line(io.stdout, [run.id.padEnd(idWidth), run.playbook.padEnd(pbWidth), status.padEnd(28), run.trigger.incident_id ?? '-', run.created_at].join('  '));
  }
}
