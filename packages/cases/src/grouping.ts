/**
 * Grouping alerts into incidents by entity (issue 4 item 3): an alert joins the active incident about the same entity
 * last seen within the incident window, else starts one. Safe under concurrency and retries:
 * - an incident that already lists the alert is found first, so a replay never attaches it twice;
 * - a new incident gets a deterministic id (entity, window bucket, generation), so two processes grouping alerts about
 *   the same entity at once create one incident and the loser attaches to it;
 * - every incident write is guarded by its version and retried on BWK_CONFLICT.
 */
import { createHash } from 'node:crypto';
import { ACTIVE_INCIDENT_STATUSES, entityKey, maxSeverity, type Alert, type Incident } from '@bulwark/schema';
import type { Versioned } from '@bulwark/store';
import { earlierOf, laterOf, withConflictRetry } from './common.js';
import type { CaseContext } from './context.js';

/** Attaches a stored alert to its incident and records the incident id on the alert; returns the incident id. */
export async function groupAlert(ctx: CaseContext, alert: Alert): Promise<string> {
  const incident = await withConflictRetry(() => attachOnce(ctx, alert));
  await setAlertIncident(ctx, alert.id, incident.record.id);
  return incident.record.id;
}

async function setAlertIncident(ctx: CaseContext, alertId: string, incidentId: string): Promise<void> {
  await withConflictRetry(async () => {
    const current = await ctx.store.get<Alert>('alerts', alertId);
    if (!current || current.record.incident_id === incidentId) return;
    await ctx.store.update('alerts', alertId, { ...current.record, incident_id: incidentId }, { expectedVersion: current.version });
  });
}

async function attachOnce(ctx: CaseContext, alert: Alert): Promise<Versioned<Incident>> {
  const holding = await findIncidentHolding(ctx, alert.id);
  if (holding) return refresh(ctx, holding, alert);
  const open = await findActiveIncident(ctx, alert);
  if (open) return attach(ctx, open, alert);
  return createOrJoin(ctx, alert);
}

/** The incident listing the alert; a merged incident still lists its alerts, so its successor is followed. */
async function findIncidentHolding(ctx: CaseContext, alertId: string): Promise<Versioned<Incident> | null> {
  const page = await ctx.store.query<Incident>('incidents', { filter: { alert_ids: alertId }, size: 10 });
  const live = page.items.find((i) => i.record.merged_into === null);
  if (live || !page.items[0]) return live ?? null;
  let next: string | null = page.items[0].record.merged_into;
  for (let hops = 0; next !== null && hops < 20; hops++) {
    const found: Versioned<Incident> | null = await ctx.store.get<Incident>('incidents', next);
    if (!found || found.record.merged_into === null) return found;
    next = found.record.merged_into;
  }
  return null;
}

async function findActiveIncident(ctx: CaseContext, alert: Alert): Promise<Versioned<Incident> | null> {
  const page = await ctx.store.query<Incident>('incidents', {
    filter: { entity_key: entityKey(alert.entity), status: [...ACTIVE_INCIDENT_STATUSES] },
    sort: { field: 'last_seen', order: 'desc' },
    size: 1,
  });
  const candidate = page.items[0];
  return candidate && withinWindow(ctx, candidate.record, alert) ? candidate : null;
}

/** The alert overlaps the incident's span widened by the window on both sides (events arrive out of order). */
function withinWindow(ctx: CaseContext, incident: Incident, alert: Alert): boolean {
  const start = Date.parse(incident.first_seen) - ctx.incidentWindowMs;
  const end = Date.parse(incident.last_seen) + ctx.incidentWindowMs;
  return Date.parse(alert.last_seen) >= start && Date.parse(alert.first_seen) <= end;
}

/**
 * No active incident: create the deterministic one for this entity and window bucket. If it exists and is still
 * active (another process just made it), join it; if it was closed, try the next generation.
 */
async function createOrJoin(ctx: CaseContext, alert: Alert): Promise<Versioned<Incident>> {
  const key = entityKey(alert.entity);
  const bucket = Math.floor(Date.parse(alert.first_seen) / ctx.incidentWindowMs);
  for (let generation = 0; ; generation++) {
    const id = `inc-${createHash('sha256').update(`${key}\n${bucket}\n${generation}`).digest('hex').slice(0, 24)}`;
    const result = await ctx.store.create('incidents', newIncident(ctx, id, alert), { ifAbsent: true });
    if (result.created) return result;
    if ((ACTIVE_INCIDENT_STATUSES as readonly string[]).includes(result.record.status) && result.record.merged_into === null) {
      return attach(ctx, result, alert);
    }
  }
}

function newIncident(ctx: CaseContext, id: string, alert: Alert): Incident {
  const now = ctx.now();
  return {
    id,
    title: `${alert.rule.name} on ${entityKey(alert.entity)}`,
    severity: alert.severity,
    status: 'open',
    assignee: null,
    tags: [...alert.rule.tags],
    resolution: null,
    comments: [],
    entity: alert.entity,
    entity_key: entityKey(alert.entity),
    alert_count: 1,
    alert_ids: [alert.id],
    first_seen: alert.first_seen,
    last_seen: alert.last_seen,
    created_at: now,
    updated_at: now,
    timeline: [alertEntry(alert)],
    merged_into: null,
  };
}

function alertEntry(alert: Alert): Incident['timeline'][number] {
  return { at: alert.first_seen, kind: 'alert', ref: alert.id, summary: `${alert.severity} alert: ${alert.rule.name}` };
}

/** Adds the alert to the incident: count, severity = max, span, tags and a timeline entry. */
async function attach(ctx: CaseContext, incident: Versioned<Incident>, alert: Alert): Promise<Versioned<Incident>> {
  const record = incident.record;
  if (record.alert_ids.includes(alert.id)) return refresh(ctx, incident, alert);
  const timeline = [...record.timeline, alertEntry(alert)].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const next: Incident = {
    ...record,
    severity: maxSeverity(record.severity, alert.severity),
    alert_ids: [...record.alert_ids, alert.id],
    alert_count: record.alert_count + 1,
    first_seen: earlierOf(record.first_seen, alert.first_seen),
    last_seen: laterOf(record.last_seen, alert.last_seen),
    tags: [...new Set([...record.tags, ...alert.rule.tags])],
    timeline,
    updated_at: ctx.now(),
  };
  const version = await ctx.store.update('incidents', record.id, next, { expectedVersion: incident.version });
  return { record: next, version };
}

/** The alert is already in the incident; a suppressed repeat may still have moved its last sighting or severity. */
async function refresh(ctx: CaseContext, incident: Versioned<Incident>, alert: Alert): Promise<Versioned<Incident>> {
  const record = incident.record;
  const severity = maxSeverity(record.severity, alert.severity);
  const lastSeen = laterOf(record.last_seen, alert.last_seen);
  if (severity === record.severity && lastSeen === record.last_seen) return incident;
  const next: Incident = { ...record, severity, last_seen: lastSeen, updated_at: ctx.now() };
  const version = await ctx.store.update('incidents', record.id, next, { expectedVersion: incident.version });
  return { record: next, version };
}
