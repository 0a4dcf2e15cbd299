/**
 * The incident report (docs/ARCHITECTURE.md, "Alerts and incidents"): what a person hands on after an incident — its
 * summary, the assembled timeline, the decisions taken on the responder's requests (who, and why) and the actions with
 * their outcomes and undo. Built once as data; `report-markdown.ts` and `report-html.ts` render it, and the JSON
 * export is the structure itself. Every text in it may have been written by an attacker: renderers escape all of it.
 */
import type { Comment, Incident, RunRecord } from '@bulwark/schema';
import { MAX_CASE_PAGE_SIZE } from '@bulwark/store';
import { assembleIncidentTimeline, type IncidentTimeline, type TimelineOptions, type TimelineStores } from './incident-timeline.js';

export interface ReportDecision {
  at: string;
  run_id: string;
  playbook: string;
  step_id: string;
  /** `refused`: a self-approval separation of duties turned down. */
  decision: 'approved' | 'rejected' | 'refused';
  /** The deciding person's token name, or `timeout` when the request's default applied. */
  by: string;
  requested_by: string;
  /** Why the step waited for a person (`playbook`, `circuit_breaker`, `untrusted_evidence`, `separation_of_duties`). */
  reason: string;
  comment: string | null;
  audit_id: string | null;
}

export interface ReportStep {
  id: string;
  action: string;
  status: string;
  summary: string | null;
  started_at: string | null;
  finished_at: string | null;
  error: string | null;
  approved_by: string | null;
  /** The journal holds an undo record for the step (it can be undone). */
  undoable: boolean;
  undo_summary: string | null;
}

export interface ReportAction {
  run_id: string;
  playbook: string;
  status: string;
  dry_run: boolean;
  requested_by: string;
  started_at: string;
  finished_at: string | null;
  undo_requested_by: string | null;
  steps: ReportStep[];
}

export interface IncidentReport {
  generated_at: string;
  incident: Pick<
    Incident,
    'id' | 'title' | 'severity' | 'status' | 'assignee' | 'tags' | 'resolution' | 'entity' | 'alert_count' | 'first_seen' | 'last_seen' | 'created_at' | 'merged_into'
  > & { merged_from: string[]; comments: Comment[] };
  timeline: IncidentTimeline;
  decisions: ReportDecision[];
  actions: ReportAction[];
}

type DecisionAudit = { id: string; at: string; action: string; actor: string; run_id: string; step_id?: string; result: string; reason?: string; requested_by?: string; comment?: string | null };

export async function buildIncidentReport(stores: TimelineStores, incident: Incident, options: TimelineOptions, now = new Date()): Promise<IncidentReport> {
  const timeline = await assembleIncidentTimeline(stores, incident, options);
  const runs = (
    await stores.cases.query<RunRecord>('runs', {
      filter: { 'trigger.incident_id': [incident.id, ...(incident.merged_from ?? [])] },
      sort: { field: 'created_at', order: 'asc' },
      size: MAX_CASE_PAGE_SIZE,
    })
  ).items.map((v) => v.record);
  return {
    generated_at: now.toISOString(),
    incident: {
      id: incident.id,
      title: incident.title,
      severity: incident.severity,
      status: incident.status,
      assignee: incident.assignee,
      tags: incident.tags,
      resolution: incident.resolution,
      entity: incident.entity,
      alert_count: incident.alert_count,
      first_seen: incident.first_seen,
      last_seen: incident.last_seen,
      created_at: incident.created_at,
      merged_into: incident.merged_into,
      merged_from: incident.merged_from ?? [],
      comments: incident.comments,
    },
    timeline,
    decisions: await decisionsOf(stores, runs),
    actions: runs.map(actionOf),
  };
}

/**
 * Decisions from the audit trail (each decision, a deadline's default and a refused self-approval is a record there),
 * completed by the journal's approvals for any decision whose record is missing (runs from before decisions were
 * audited).
 */
async function decisionsOf(stores: TimelineStores, runs: readonly RunRecord[]): Promise<ReportDecision[]> {
  if (runs.length === 0) return [];
  const playbookOf = new Map(runs.map((r) => [r.id, r.playbook]));
  const page = await stores.cases.query<DecisionAudit>('audit', { filter: { run_id: runs.map((r) => r.id) }, sort: { field: 'at', order: 'asc' }, size: MAX_CASE_PAGE_SIZE });
  const decisions: ReportDecision[] = page.items
    .map((v) => v.record)
    .filter((a) => (a.action === 'run.approve' || a.action === 'run.reject') && (a.result === 'approved' || a.result === 'rejected' || a.result === 'refused'))
    .map((a) => ({
      at: a.at,
      run_id: a.run_id,
      playbook: playbookOf.get(a.run_id) ?? '',
      step_id: a.step_id ?? '',
      decision: a.result as ReportDecision['decision'],
      by: a.actor,
      requested_by: a.requested_by ?? '',
      reason: a.reason ?? '',
      comment: a.comment ?? null,
      audit_id: a.id,
    }));
  const recorded = new Set(decisions.map((d) => `${d.run_id}\u0000${d.step_id}\u0000${d.decision}`));
  for (const run of runs) {
    for (const step of run.steps) {
      const a = step.approval;
      if (!a?.decision || !a.decided_at || recorded.has(`${run.id}\u0000${step.id}\u0000${a.decision}`)) continue;
      decisions.push({
        at: a.decided_at,
        run_id: run.id,
        playbook: run.playbook,
        step_id: step.id,
        decision: a.decision,
        by: a.decided_by ?? '',
        requested_by: run.trigger.actor,
        reason: a.reason,
        comment: a.comment,
        audit_id: null,
      });
    }
  }
  return decisions.sort((x, y) => Date.parse(x.at) - Date.parse(y.at));
}

function actionOf(run: RunRecord): ReportAction {
  return {
    run_id: run.id,
    playbook: run.playbook,
    status: run.status,
    dry_run: run.dry_run,
    requested_by: run.trigger.actor,
    started_at: run.created_at,
    finished_at: run.finished_at,
    undo_requested_by: run.undo_requested_by,
    steps: run.steps.map((s) => ({
      id: s.id,
      action: s.action,
      status: s.status,
      summary: s.summary,
      started_at: s.started_at,
      finished_at: s.finished_at,
      error: s.error,
      approved_by: s.approval?.decision === 'approved' ? s.approval.decided_by : null,
      undoable: s.undo_json !== null && s.undo_summary === null,
      undo_summary: s.undo_summary,
    })),
  };
}
