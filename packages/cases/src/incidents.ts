/**
 * Incident operations for people: acknowledge, assign, status and resolution, severity, comments, tags and
 * merge. Each takes the version the person read; a stale one is refused with BWK_CONFLICT (409) by the store's guarded
 * update, never retried over someone else's change. Each change appends an audit record and a timeline entry.
 */
import { randomUUID } from 'node:crypto';
import { BulwarkError, maxSeverity, type Alert, type Incident, type IncidentStatus, type TimelineEntry } from '@bulwark/schema';
import type { Versioned } from '@bulwark/store';
import { audit, earlierOf, incidentSummary, laterOf, withConflictRetry, type Actor } from './common.js';
import type { CaseContext } from './context.js';
import { updateAlert } from './grouping.js';

export interface Change {
  id: string;
  expectedVersion: string;
  actor: Actor;
}

export async function getIncident(ctx: CaseContext, id: string): Promise<Versioned<Incident>> {
  const found = await ctx.store.get<Incident>('incidents', id);
  if (!found) throw new BulwarkError('BWK_NOT_FOUND', `no incident ${JSON.stringify(id)}`, { id });
  return found;
}

/**
 * The shape of every operation: read, check the version, apply, write guarded by that version, audit. `apply` returns
 * null when the change is a no-op (acknowledging an acknowledged incident), which writes nothing.
 */
async function change(
  ctx: CaseContext,
  { id, expectedVersion, actor }: Change,
  action: string,
  apply: (incident: Incident, at: string) => Incident | null,
): Promise<Versioned<Incident>> {
  const current = await getIncident(ctx, id);
  if (current.version !== expectedVersion) {
    throw new BulwarkError('BWK_CONFLICT', `incident ${JSON.stringify(id)} changed since you read it`, {
      collection: 'incidents',
      id,
      expected: expectedVersion,
      actual: current.version,
    });
  }
  const at = ctx.now();
  const next = apply(current.record, at);
  if (!next) return current;
  const updated: Incident = { ...next, updated_at: at };
  const version = await ctx.store.update('incidents', id, updated, { expectedVersion });
  await audit(ctx.store, { actor, action, collection: 'incidents', target_id: id, before: incidentSummary(current.record), after: incidentSummary(updated) }, at);
  return { record: updated, version };
}

function entry(at: string, kind: TimelineEntry['kind'], ref: string, summary: string): TimelineEntry {
  return { at, kind, ref, summary };
}

function assertNotMerged(incident: Incident): void {
  if (incident.merged_into !== null) {
    throw new BulwarkError('BWK_CASE_INVALID_STATE', `incident ${incident.id} was merged into ${incident.merged_into}`, {
      id: incident.id,
      merged_into: incident.merged_into,
    });
  }
}

export function acknowledge(ctx: CaseContext, c: Change): Promise<Versioned<Incident>> {
  return change(ctx, c, 'incident.acknowledge', (incident, at) => {
    assertNotMerged(incident);
    if (incident.status !== 'open') return null;
    return { ...incident, status: 'acknowledged', timeline: [...incident.timeline, entry(at, 'status', '', `acknowledged by ${c.actor}`)] };
  });
}

export function assign(ctx: CaseContext, c: Change, assignee: string | null): Promise<Versioned<Incident>> {
  return change(ctx, c, 'incident.assign', (incident, at) => {
    if (incident.assignee === assignee) return null;
    const summary = assignee === null ? `unassigned by ${c.actor}` : `assigned to ${assignee} by ${c.actor}`;
    return { ...incident, assignee, timeline: [...incident.timeline, entry(at, 'assign', assignee ?? '', summary)] };
  });
}

export function setStatus(ctx: CaseContext, c: Change, status: IncidentStatus, resolution?: string): Promise<Versioned<Incident>> {
  return change(ctx, c, 'incident.status', (incident, at) => {
    if (status !== 'resolved') assertNotMerged(incident);
    const nextResolution = resolution ?? (status === 'resolved' ? incident.resolution : null);
    if (incident.status === status && incident.resolution === nextResolution) return null;
    const summary = `status ${incident.status} → ${status} by ${c.actor}${resolution ? `: ${resolution}` : ''}`;
    return { ...incident, status, resolution: nextResolution, timeline: [...incident.timeline, entry(at, 'status', '', summary)] };
  });
}

export function comment(ctx: CaseContext, c: Change, text: string): Promise<Versioned<Incident>> {
  return change(ctx, c, 'incident.comment', (incident, at) => {
    const id = `cmt-${randomUUID()}`;
    return {
      ...incident,
      comments: [...incident.comments, { id, author: c.actor, text, at }],
      timeline: [...incident.timeline, entry(at, 'comment', id, `comment by ${c.actor}`)],
    };
  });
}

export function tag(ctx: CaseContext, c: Change, add: readonly string[], remove: readonly string[]): Promise<Versioned<Incident>> {
  return change(ctx, c, 'incident.tags', (incident, at) => {
    const tags = [...new Set([...incident.tags.filter((t) => !remove.includes(t)), ...add])];
    if (tags.length === incident.tags.length && tags.every((t, i) => t === incident.tags[i])) return null;
    const parts = [add.length ? `+${add.join(' +')}` : '', remove.length ? `-${remove.join(' -')}` : ''].filter(Boolean).join(' ');
    return { ...incident, tags, timeline: [...incident.timeline, entry(at, 'tags', '', `tags ${parts} by ${c.actor}`)] };
  });
}

/**
 * Merges incident `fromId` into `c.id`: its alerts move (count, span, severity = max, tags follow; the alert entries
 * of the timeline come from the alerts), it is marked `merged_into` and resolved. The target is written first,
 * guarded by the version the person read, and lists the source in `merged_from`, so the source's alerts count as the
 * target's even before they have all moved; the source, if `fromVersion` is given, must still be at it.
 */
export async function merge(ctx: CaseContext, c: Change, fromId: string, fromVersion?: string): Promise<Versioned<Incident>> {
  if (fromId === c.id) throw new BulwarkError('BWK_BAD_REQUEST', 'an incident cannot be merged into itself', { field: 'from' });
  const source = await getIncident(ctx, fromId);
  if (fromVersion !== undefined && source.version !== fromVersion) {
    throw new BulwarkError('BWK_CONFLICT', `incident ${JSON.stringify(fromId)} changed since you read it`, {
      collection: 'incidents',
      id: fromId,
      expected: fromVersion,
      actual: source.version,
    });
  }
  assertNotMerged(source.record);
  const from = source.record;
  const sources = [from.id, ...(from.merged_from ?? [])];
  const target = await change(ctx, c, 'incident.merge', (incident, at) => {
    assertNotMerged(incident);
    return {
      ...incident,
      severity: maxSeverity(incident.severity, from.severity),
      alert_count: incident.alert_count + from.alert_count,
      merged_from: [...new Set([...(incident.merged_from ?? []), ...sources])],
      first_seen: earlierOf(incident.first_seen, from.first_seen),
      last_seen: laterOf(incident.last_seen, from.last_seen),
      first_received_at: earlierOf(incident.first_received_at ?? incident.first_seen, from.first_received_at ?? from.first_seen),
      last_received_at: laterOf(incident.last_received_at ?? incident.last_seen, from.last_received_at ?? from.last_seen),
      tags: [...new Set([...incident.tags, ...from.tags])],
      timeline: [...incident.timeline, entry(at, 'merge', from.id, `merged ${from.id} (${from.alert_count} alerts) by ${c.actor}`)],
    };
  });
  await closeMergedSource(ctx, from.id, c.id, c.actor);
  await moveAlerts(ctx, sources, c.id);
  return target;
}

async function closeMergedSource(ctx: CaseContext, fromId: string, intoId: string, actor: Actor): Promise<void> {
  await withConflictRetry(async () => {
    const current = await getIncident(ctx, fromId);
    const at = ctx.now();
    const next: Incident = {
      ...current.record,
      merged_into: intoId,
      status: 'resolved',
      resolution: `merged into ${intoId}`,
      updated_at: at,
      timeline: [...current.record.timeline, entry(at, 'merge', intoId, `merged into ${intoId} by ${actor}`)],
    };
    await ctx.store.update('incidents', fromId, next, { expectedVersion: current.version });
    await audit(ctx.store, { actor, action: 'incident.merged_into', collection: 'incidents', target_id: fromId, before: incidentSummary(current.record), after: incidentSummary(next) }, at);
  });
}

/** Points the alerts of the merged incidents at the target, a page at a time (each moved alert leaves the filter). */
async function moveAlerts(ctx: CaseContext, fromIds: string[], incidentId: string): Promise<void> {
  for (;;) {
    const page = await ctx.store.query<Alert>('alerts', { filter: { incident_id: fromIds }, size: 100 });
    if (page.items.length === 0) return;
    for (const { record } of page.items) {
      await updateAlert(ctx, record.id, (alert) => (fromIds.includes(alert.incident_id ?? '') ? { ...alert, incident_id: incidentId } : null));
    }
  }
}

export function setSeverity(ctx: CaseContext, c: Change, severity: Incident['severity']): Promise<Versioned<Incident>> {
  return change(ctx, c, 'incident.severity', (incident, at) => {
    if (incident.severity === severity) return null;
    return { ...incident, severity, timeline: [...incident.timeline, entry(at, 'severity', '', `severity ${incident.severity} → ${severity} by ${c.actor}`)] };
  });
}

/**
 * Adds an entry made by a process on the incident's behalf (a playbook step, captured evidence): not a person's
 * change against a version they read, so it is retried over concurrent writes. The audit record is the caller's.
 */
export async function recordEntry(ctx: CaseContext, id: string, kind: 'action' | 'evidence', ref: string, summary: string): Promise<void> {
  await withConflictRetry(async () => {
    const current = await getIncident(ctx, id);
    const at = ctx.now();
    const next: Incident = { ...current.record, updated_at: at, timeline: [...current.record.timeline, entry(at, kind, ref, summary.slice(0, 2000))] };
    await ctx.store.update('incidents', id, next, { expectedVersion: current.version });
  });
}
