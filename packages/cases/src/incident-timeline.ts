/**
 * The incident timeline Bulwark assembles for the people working an incident (docs/ARCHITECTURE.md, "Alerts and
 * incidents"): one answer in lanes — the incident's alerts (merged incidents' too), their evidence events and the
 * surrounding events of the same entities from audit, Falco and container logs within a window around the alerts, each
 * response action with its audit records, and the changes people made. Every item is sorted by time and names the
 * record to open (`event_id`, `run_id`, `audit_id`, the alert id as `ref`).
 */
import { entityKey, type Alert, type Event, type Incident, type RunRecord, type SourceKind } from '@bulwark/schema';
import { MAX_CASE_PAGE_SIZE, type CaseStore, type LogStore } from '@bulwark/store';
import { incidentAlertsFilter } from './timeline.js';
import { receivedAt } from './received.js';
import { EntitySet, addAlertEntities, addEventEntities, type TimelineEntity } from './timeline-entities.js';
import { surroundingEvents, type SurroundingLane } from './timeline-surroundings.js';

export type TimelineLaneId = 'alerts' | 'k8s-audit' | 'falco' | 'logs' | 'actions' | 'changes';
export type TimelineItemKind = 'alert' | 'evidence' | 'event' | 'action' | 'change';

export interface TimelineItem {
  at: string;
  kind: TimelineItemKind;
  /** The record the item is: an alert, event, audit record or run id, or what a change is about. */
  ref: string;
  summary: string;
  /** Events: their provenance source kind; alerts: `alert.source`; `responder`, `audit`, `incident` otherwise. */
  source: string;
  event_id?: string;
  run_id?: string;
  audit_id?: string;
  alert_id?: string;
  dataset?: string;
  severity?: string;
  actor?: string;
}

export interface TimelineLane {
  id: TimelineLaneId;
  title: string;
  /** True when the lane had more items than `per_lane` (the earliest are kept; evidence always is). */
  truncated: boolean;
  items: TimelineItem[];
}

export interface IncidentTimeline {
  incident: { id: string; title: string; severity: string; status: string; first_seen: string; last_seen: string };
  window: { from: string; to: string };
  entities: TimelineEntity[];
  lanes: TimelineLane[];
}

export interface TimelineOptions {
  /** How far before the first alert and after the last one surrounding events are looked for. */
  windowMs: number;
  /** Most items per lane. */
  perLane: number;
}

export interface TimelineStores {
  cases: CaseStore;
  events: Pick<LogStore, 'get' | 'search'>;
}

export const DEFAULT_TIMELINE_WINDOW_MS = 15 * 60_000;
export const DEFAULT_PER_LANE = 500;
export const MAX_PER_LANE = 5000;
/** How far before Bulwark received an alert's evidence its stated time may reach for the search window. */
export const MAX_STATED_LAG_MS = 24 * 3_600_000;
/** Evidence events read per timeline (the alerts' `event_ids`, earliest alerts first). */
export const MAX_EVIDENCE_EVENTS = 1000;

const EVENT_LANES: ReadonlyArray<{ id: TimelineLaneId; source: SourceKind; title: string }> = [
  { id: 'k8s-audit', source: 'k8s-audit', title: 'Kubernetes audit' },
  { id: 'falco', source: 'falco', title: 'Falco' },
  { id: 'logs', source: 'logs', title: 'Container and application logs' },
];

type AuditRecord = { id: string; at: string; action?: string; actor?: string; summary?: string; result?: string; run_id?: string; target_id?: string; step_id?: string };

const byTime = (a: TimelineItem, b: TimelineItem): number => Date.parse(a.at) - Date.parse(b.at);
const clip = (s: string, n = 500): string => (s.length > n ? `${s.slice(0, n - 1)}…` : s);

/** Builds the timeline of `incident` (as stored, with `merged_from`). */
export async function assembleIncidentTimeline(stores: TimelineStores, incident: Incident, options: TimelineOptions): Promise<IncidentTimeline> {
  const perLane = Math.max(1, Math.min(options.perLane, MAX_PER_LANE));
  const alertPage = await stores.cases.query<Alert>('alerts', {
    filter: incidentAlertsFilter(incident),
    sort: { field: 'first_seen', order: 'asc' },
    size: MAX_CASE_PAGE_SIZE,
  });
  const alerts = alertPage.items.map((v) => v.record);

  const entities = new EntitySet();
  for (const alert of alerts) addAlertEntities(entities, alert);
  const evidence = await readEvidence(stores.events, alerts);
  for (const event of evidence.values()) addEventEntities(entities, event);

  const window = searchWindow(incident, alerts, options.windowMs);

  const lanes: TimelineLane[] = [alertLane(alerts, perLane, alertPage.cursor !== null)];
  const around = await surroundingEvents(stores.events, entities.list, EVENT_LANES.map((l) => l.source), window, perLane);
  for (const lane of EVENT_LANES) lanes.push(eventLane(lane, around.get(lane.source)!, evidence, perLane));
  lanes.push(await actionLane(stores.cases, incident, perLane));
  lanes.push(await changeLane(stores.cases, incident, perLane));
  return {
    incident: { id: incident.id, title: incident.title, severity: incident.severity, status: incident.status, first_seen: incident.first_seen, last_seen: incident.last_seen },
    window: { from: window.from.toISOString(), to: window.to.toISOString() },
    entities: entities.list,
    lanes,
  };
}

/**
 * From `windowMs` before the first alert to `windowMs` after the last. An alert's stated times are its evidence's (a
 * log line's own timestamp): later ones are clamped when recorded (received.ts), earlier ones are taken only down to a
 * day before Bulwark received the evidence, so one line dated 1970 cannot turn the search into a scan of all history.
 */
function searchWindow(incident: Incident, alerts: readonly Alert[], windowMs: number): { from: Date; to: Date } {
  const spans = alerts.map((a) => {
    const received = Date.parse(receivedAt(a));
    const floor = Number.isFinite(received) ? received - MAX_STATED_LAG_MS : -Infinity;
    return [Math.max(Date.parse(a.first_seen), floor), Math.max(Date.parse(a.last_seen), floor)] as const;
  });
  if (spans.length === 0) spans.push([Date.parse(incident.first_seen), Date.parse(incident.last_seen)]);
  const first = Math.min(...spans.map(([f]) => f).filter(Number.isFinite));
  const last = Math.max(...spans.map(([, l]) => l).filter(Number.isFinite));
  return { from: new Date(first - windowMs), to: new Date(last + windowMs) };
}

/** The alerts' evidence events by id, read a few at a time (an id no longer stored is left out). */
async function readEvidence(events: TimelineStores['events'], alerts: readonly Alert[]): Promise<Map<string, Event>> {
  const ids = [...new Set(alerts.flatMap((a) => a.event_ids))].slice(0, MAX_EVIDENCE_EVENTS);
  const found = new Map<string, Event>();
  for (let i = 0; i < ids.length; i += 16) {
    const batch = await Promise.all(ids.slice(i, i + 16).map((id) => events.get(id)));
    batch.forEach((event, j) => {
      if (event) found.set(ids[i + j]!, event);
    });
  }
  return found;
}

function alertLane(alerts: readonly Alert[], perLane: number, more: boolean): TimelineLane {
  const items = alerts.map(
    (a): TimelineItem => ({
      at: a.first_seen,
      kind: 'alert',
      ref: a.id,
      alert_id: a.id,
      summary: clip(`${a.severity} alert: ${a.rule.name} (${entityKey(a.entity)})${a.count > 1 ? ` ×${a.count}` : ''}`),
      source: a.source,
      severity: a.severity,
    }),
  );
  return bounded('alerts', 'Alerts', items, perLane, more);
}

function eventItem(event: Event, kind: 'evidence' | 'event'): TimelineItem {
  const id = event.event.id;
  return {
    at: event['@timestamp'],
    kind,
    ref: id,
    event_id: id,
    summary: clip(event.message ?? `${event.event.dataset}${event.event.action ? ` ${event.event.action}` : ''}`),
    source: event.bulwark?.provenance?.source ?? 'logs',
    dataset: event.event.dataset,
  };
}

/** Audit and Falco events have lanes of their own; everything else (no provenance included) is attacker-writable text. */
function laneOf(event: Event): SourceKind {
  const source = event.bulwark?.provenance?.source;
  return source === 'k8s-audit' || source === 'falco' ? source : 'logs';
}

function eventLane(lane: (typeof EVENT_LANES)[number], around: SurroundingLane, evidence: ReadonlyMap<string, Event>, perLane: number): TimelineLane {
  // Evidence is the reason for the incident: it is always shown, surrounding events fill the rest.
  const own = [...evidence.values()].filter((e) => laneOf(e) === lane.source).map((e) => eventItem(e, 'evidence'));
  const surrounding = around.hits.filter((e) => !evidence.has(e.event.id)).map((e) => eventItem(e, 'event'));
  const room = Math.max(0, perLane - own.length);
  const items = [...own, ...surrounding.slice(0, room)].sort(byTime);
  return { id: lane.id, title: lane.title, truncated: around.more || surrounding.length > room, items };
}

/** Each run started for the incident, and every audit record of those runs and of the incident's actions. */
async function actionLane(cases: CaseStore, incident: Incident, perLane: number): Promise<TimelineLane> {
  const incidentIds = [incident.id, ...(incident.merged_from ?? [])];
  const size = Math.min(perLane + 1, MAX_CASE_PAGE_SIZE);
  const runs = (await cases.query<RunRecord>('runs', { filter: { 'trigger.incident_id': incidentIds }, sort: { field: 'created_at', order: 'asc' }, size })).items.map((v) => v.record);
  const audits = new Map<string, AuditRecord>();
  const byIncident = await cases.query<AuditRecord>('audit', { filter: { incident_id: incidentIds }, sort: { field: 'at', order: 'asc' }, size });
  for (const { record } of byIncident.items) audits.set(record.id, record);
  let more = runs.length >= size || byIncident.cursor !== null;
  if (runs.length > 0) {
    // Refused self-approvals name the run only.
    const byRun = await cases.query<AuditRecord>('audit', { filter: { run_id: runs.map((r) => r.id) }, sort: { field: 'at', order: 'asc' }, size });
    for (const { record } of byRun.items) audits.set(record.id, record);
    more ||= byRun.cursor !== null;
  }
  const items: TimelineItem[] = runs.map((run): TimelineItem => ({
    at: run.created_at,
    kind: 'action',
    ref: run.id,
    run_id: run.id,
    summary: clip(`${run.dry_run ? 'dry run' : 'run'} of ${run.playbook} started by ${run.trigger.actor}: ${run.status}`),
    source: 'responder',
    actor: run.trigger.actor,
  }));
  for (const a of audits.values()) {
    items.push({
      at: a.at,
      kind: 'action',
      ref: a.id,
      audit_id: a.id,
      ...(a.run_id ? { run_id: a.run_id } : {}),
      summary: clip(a.summary ?? [a.actor ?? 'unknown', a.action ?? 'acted on', a.target_id, a.result ? `-> ${a.result}` : ''].filter(Boolean).join(' ')),
      source: 'audit',
      ...(a.actor ? { actor: a.actor } : {}),
    });
  }
  return bounded('actions', 'Response actions', items.sort(byTime), perLane, more);
}

/**
 * The changes people and playbooks made to the incident, as its stored timeline records them, each with the audit
 * record written with it (same incident, same instant: `incidents.ts` stamps both with one time). Alert entries are
 * the alerts lane's, and the responder's action and evidence entries are told in full by its audit records.
 */
async function changeLane(cases: CaseStore, incident: Incident, perLane: number): Promise<TimelineLane> {
  const audits = await cases.query<AuditRecord>('audit', { filter: { target_id: incident.id }, sort: { field: 'at', order: 'asc' }, size: MAX_CASE_PAGE_SIZE });
  const auditAt = new Map<string, string[]>();
  for (const { record } of audits.items) auditAt.set(record.at, [...(auditAt.get(record.at) ?? []), record.id]);
  const items = incident.timeline
    .filter((t) => t.kind !== 'alert' && t.kind !== 'action' && t.kind !== 'evidence')
    .map((t): TimelineItem => {
      const auditId = auditAt.get(t.at)?.shift();
      return { at: t.at, kind: 'change', ref: t.ref, summary: clip(`${t.kind}: ${t.summary}`), source: 'incident', ...(auditId ? { audit_id: auditId } : {}) };
    })
    .sort(byTime);
  return bounded('changes', 'Incident changes', items, perLane, false);
}

function bounded(id: TimelineLaneId, title: string, items: TimelineItem[], perLane: number, more: boolean): TimelineLane {
  return { id, title, truncated: more || items.length > perLane, items: items.slice(0, perLane) };
}
