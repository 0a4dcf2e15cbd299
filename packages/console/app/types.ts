/** What the API answers, as far as the console reads it (see README's API section and the console contract). */
export interface Provenance {
  origin: 'rule' | 'external';
  sources: string[];
  received_at: string;
  token?: { id: string; name: string };
  route?: string;
  untrusted?: string[];
  truncated?: string[];
}

export interface Alert {
  id: string;
  rule: { id: string; name: string; level: string; tags?: string[] };
  severity: string;
  status: string;
  entity: { kind: string; value: string; namespace?: string };
  event_ids: string[];
  count: number;
  first_seen: string;
  last_seen: string;
  source: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  incident_id: string | null;
  assignee?: string | null;
  resolution?: string | null;
  provenance?: Provenance;
  version: string;
}

export interface AlertGroup {
  key: string;
  label: string;
  count: number;
  max_severity: string;
  last_seen: string;
}

export interface Page<T> {
  items: T[];
  cursor: string | null;
}

export interface IncidentSummary {
  id: string;
  title: string;
  severity: string;
  status: string;
  alert_count: number;
  assignee: string | null;
  tags: string[];
  entity: { kind: string; value: string; namespace?: string };
  first_seen: string;
  last_seen: string;
  merged_into: string | null;
  version: string;
}

export interface Incident extends IncidentSummary {
  resolution: string | null;
  comments: { id: string; author: string; text: string; at: string }[];
  timeline: { at: string; kind: string; ref: string; summary: string }[];
}

export interface TimelineItem {
  at: string;
  kind: 'alert' | 'evidence' | 'event' | 'action' | 'change';
  ref: string;
  summary: string;
  source: string;
  event_id?: string;
  run_id?: string;
  audit_id?: string;
  /** Alerts: the alert (also as `ref`) and its severity. */
  alert_id?: string;
  severity?: string;
  /** Events: `event.dataset`. */
  dataset?: string;
  /** Actions: who started the run or acted. */
  actor?: string;
}

export interface Timeline {
  incident: { id: string; title: string; severity: string; status: string; first_seen: string; last_seen: string };
  window: { from: string; to: string };
  /** What the surrounding events were matched on; a pod by name carries its namespace. */
  entities: { kind: string; field: string; value: string; namespace?: string }[];
  lanes: { id: string; title: string; truncated: boolean; items: TimelineItem[] }[];
}

export type StoredEvent = Record<string, unknown> & { '@timestamp': string; event: { id: string; dataset: string } & Record<string, unknown>; message?: string };

export interface RunStep {
  id: string;
  action: string;
  status: string;
  attempts: number;
  started_at: string | null;
  finished_at: string | null;
  changed: boolean | null;
  summary: string | null;
  error: string | null;
  params: unknown;
  plan: unknown;
  undo: unknown;
  outputs: unknown;
  undo_summary: string | null;
  approval: {
    reason: string;
    approvers: string[];
    requested_at: string;
    deadline: string | null;
    default: string;
    decision: string | null;
    decided_by: string | null;
    decided_at: string | null;
    comment: string | null;
    why?: string | null;
  } | null;
}

export interface Run {
  id: string;
  playbook: string;
  status: string;
  dry_run: boolean;
  trigger: { kind: string; actor: string; token_id: string | null; alert_id: string | null; incident_id: string | null };
  evidence: {
    alert_id: string;
    rule: { id: string; name: string };
    severity: string;
    entity: string;
    event_ids: string[];
    event_count: number;
    provenance: { origin: string; sources: string[]; received_at: string; token: { id: string; name: string } | null; route: string | null; untrusted_fields: string[] } | null;
    trust: string[];
    trusted: boolean;
    on_untrusted: string;
    reason: string | null;
    untrusted_inputs: string[];
  } | null;
  separation_of_duties: boolean;
  inputs: Record<string, unknown>;
  steps: RunStep[];
  error: string | null;
  created_at: string;
  updated_at: string;
  finished_at: string | null;
  undo_requested_by: string | null;
}

export interface AuditRecord {
  id: string;
  at: string;
  actor: string;
  summary: string;
  action: string;
  run_id?: string;
  incident_id?: string;
  target_id?: string;
  [key: string]: unknown;
}
