/**
 * An incident as people read it. The stored incident holds its changes only (bounded); its alerts carry
 * `incident_id`, so the alert entries of its timeline and the list of its alerts are queries over the alerts of the
 * incident and of the incidents merged into it (whose alerts move after the merge, and may not all have moved yet).
 */
import type { Alert, Incident, TimelineEntry } from '@bulwark/schema';
import type { CasePage, CaseQuery, Versioned } from '@bulwark/store';
import type { CaseContext } from './context.js';

/** How many alert entries a timeline shows (the earliest alerts); `alert_count` and the alert list give the rest. */
export const MAX_TIMELINE_ALERTS = 1000;

/** The filter selecting the alerts of an incident: its own and those of incidents merged into it. */
export function incidentAlertsFilter(incident: Incident): { incident_id: string[] } {
  return { incident_id: [incident.id, ...(incident.merged_from ?? [])] };
}

export function alertEntry(alert: Alert): TimelineEntry {
  return { at: alert.first_seen, kind: 'alert', ref: alert.id, summary: `${alert.severity} alert: ${alert.rule.name}` };
}

/** The incident with its alerts' entries in the timeline, in time order (an alert before a change at the same time). */
export async function withAlertTimeline(ctx: CaseContext, incident: Versioned<Incident>): Promise<Versioned<Incident>> {
  const page = await ctx.store.query<Alert>('alerts', {
    filter: incidentAlertsFilter(incident.record),
    sort: { field: 'first_seen', order: 'asc' },
    size: MAX_TIMELINE_ALERTS,
  });
  // Incidents stored before alert entries were derived still hold some; they are not shown twice.
  const stored = new Set(incident.record.timeline.filter((t) => t.kind === 'alert').map((t) => t.ref));
  const entries = page.items.filter((a) => !stored.has(a.record.id)).map((a) => alertEntry(a.record));
  const timeline = [...entries, ...incident.record.timeline].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  return { record: { ...incident.record, timeline }, version: incident.version };
}

/** A page of the incident's alerts, newest sighting first unless the query sorts otherwise. */
export function listIncidentAlerts(ctx: CaseContext, incident: Incident, query: Omit<CaseQuery, 'filter'>): Promise<CasePage<Alert>> {
  return ctx.store.query<Alert>('alerts', { sort: { field: 'last_seen', order: 'desc' }, ...query, filter: incidentAlertsFilter(incident) });
}
