/**
 * Grouping alerts into incidents by entity (docs/ARCHITECTURE.md, "Alerts and incidents"): an alert joins the active
 * incident about the same entity received within the incident window, else starts one. Windows are over the times
 * Bulwark received the evidence (`first_received_at`/`last_received_at` on the incident, received.ts), never over the
 * times alerts state, so an alert claiming a `last_seen` years ahead cannot hold an incident open for later alerts; the
 * stated times (`first_seen`/`last_seen`, clamped) are what people read. Membership lives on the alert (`incident_id`),
 * so the incident document stays bounded however many alerts join, and each step costs indexed lookups and bounded
 * writes.
 *
 * Joining is three writes, each safe to repeat, so a crash between any two is finished by the replay:
 * 1. claim — the alert gets `incident_id` and `incident_counted: false` (for a new alert, in the create itself);
 * 2. count — the incident's `alert_count` goes up, and the alert id joins its bounded `recent_alert_ids` in the same
 *    guarded update, so a retry finds it there and does not count it again (a new incident is created already
 *    counting its first alert, under a deterministic id: the entity and the next generation of its incidents);
 * 3. confirm — the alert gets `incident_counted: true`.
 * A replay that finds a claimed, unconfirmed alert no longer in the incident's recent list cannot tell whether the
 * count happened, so it recounts: `alert_count` becomes the number of alerts holding the incident (a query, paid only
 * on this recovery path), and every still-unconfirmed one is put in the recent list so its own count step skips.
 */
import { createHash } from 'node:crypto';
import { ACTIVE_INCIDENT_STATUSES, BulwarkError, entityKey, maxSeverity, type Alert, type Incident } from '@bulwark/schema';
import type { Versioned } from '@bulwark/store';
import { latestInChain, rememberGeneration } from './chain.js';
import { boundedUnion, earlierOf, laterOf, withConflictRetry } from './common.js';
import type { CaseContext } from './context.js';
import { receivedAt, withinSpan } from './received.js';

/** How many recently counted alert ids an incident keeps for retries of the count step (bounded document). */
export const MAX_RECENT_ALERT_IDS = 50;

function isActive(incident: Incident): boolean {
  return (ACTIVE_INCIDENT_STATUSES as readonly string[]).includes(incident.status) && incident.merged_into === null;
}

/** Generation `g` of an entity's incidents is `inc-<hash of the entity>-<g>` (chain.ts): one id per new incident. */
function incidentBase(key: string): string {
  return `inc-${createHash('sha256').update(`${key}\nincidents`).digest('hex').slice(0, 24)}`;
}

function generationOf(base: string, id: string): number | undefined {
  if (!id.startsWith(`${base}-`)) return undefined;
  const n = Number(id.slice(base.length + 1));
  return Number.isInteger(n) && n >= 0 ? n : undefined;
}

/**
 * The incident a new alert claims: an active one about its entity whose span of receive times, widened by the window,
 * holds the alert's receive time; else the next generation of the entity's incident chain. Two processes opening an
 * incident for one entity at once compute the same next id, so they share it (the count step re-checks the window,
 * and an alert that does not fit the incident another process opened there moves on to the generation after).
 */
export async function chooseIncident(ctx: CaseContext, alert: Alert): Promise<string> {
  const key = entityKey(alert.entity);
  const page = await ctx.store.query<Incident>('incidents', {
    filter: { entity_key: key, status: [...ACTIVE_INCIDENT_STATUSES] },
    sort: { field: 'last_received_at', order: 'desc' },
    size: 5,
  });
  const open = page.items.find((i) => joinable(ctx, i.record, alert));
  if (open) return open.record.id;
  const base = incidentBase(key);
  const seen = page.items.map((i) => generationOf(base, i.record.id)).filter((g): g is number => g !== undefined);
  const hint = Math.max(ctx.incidentHints.get(base) ?? 0, ...seen);
  const latest = await latestInChain(async (g) => (await ctx.store.get<Incident>('incidents', `${base}-${g}`))?.record ?? null, hint);
  if (!latest) return `${base}-0`;
  rememberGeneration(ctx.incidentHints, base, latest.generation);
  return joinable(ctx, latest.record, alert) ? latest.record.id : `${base}-${latest.generation + 1}`;
}

/** An active incident the alert may join: received within the window of the incident's span of receive times. */
function joinable(ctx: CaseContext, incident: Incident, alert: Alert): boolean {
  if (!isActive(incident)) return false;
  const first = incident.first_received_at ?? incident.first_seen;
  const last = incident.last_received_at ?? incident.last_seen;
  return withinSpan(receivedAt(alert), first, last, ctx.incidentWindowMs);
}

/** Groups a stored alert no incident has claimed yet (an alert stored before a crash): claim, count, confirm. */
export async function groupAlert(ctx: CaseContext, stored: Versioned<Alert>): Promise<Versioned<Alert>> {
  const incidentId = await chooseIncident(ctx, stored.record);
  let resumed = false;
  const claimed = await updateAlert(ctx, stored.record.id, (alert) => {
    if (alert.incident_id !== null) {
      resumed = true; // another attempt claimed it meanwhile: continue from its claim
      return null;
    }
    return { ...alert, incident_id: incidentId, incident_counted: false };
  });
  return countAndConfirm(ctx, claimed, resumed);
}

/**
 * Steps 2 and 3 for a claimed alert. `resumed`: the claim was made by an earlier or another attempt, so the count may
 * already have happened. A fresh claim on an incident closed meanwhile is moved to the incident chosen now.
 */
export async function countAndConfirm(ctx: CaseContext, claimed: Versioned<Alert>, resumed: boolean): Promise<Versioned<Alert>> {
  let alert = claimed;
  for (let moves = 0; ; moves++) {
    const outcome = await withConflictRetry(() => countOnce(ctx, alert.record, resumed));
    if (outcome === 'counted' || moves >= 10) break;
    const next = await chooseIncident(ctx, alert.record);
    alert = await updateAlert(ctx, alert.record.id, (a) => ({ ...a, incident_id: next, incident_counted: false }));
  }
  return updateAlert(ctx, alert.record.id, (a) => (a.incident_counted === false ? { ...a, incident_counted: true } : null));
}

async function countOnce(ctx: CaseContext, alert: Alert, resumed: boolean): Promise<'counted' | 'closed'> {
  const id = alert.incident_id!;
  let current = await ctx.store.get<Incident>('incidents', id);
  if (!current) {
    const created = await ctx.store.create('incidents', newIncident(ctx, id, alert), { ifAbsent: true });
    if (created.created) return 'counted';
    current = created;
  }
  const record = current.record;
  if ((record.recent_alert_ids ?? []).includes(alert.id)) return 'counted';
  if (resumed) {
    await recount(ctx, current, alert);
    return 'counted';
  }
  // Chosen moments ago, but another process may have opened this generation for an alert outside our window.
  if (!joinable(ctx, record, alert)) return 'closed';
  const next: Incident = {
    ...widened(ctx, record, alert),
    alert_count: record.alert_count + 1,
    recent_alert_ids: boundedUnion(record.recent_alert_ids ?? [], [alert.id], MAX_RECENT_ALERT_IDS),
  };
  await ctx.store.update('incidents', id, next, { expectedVersion: current.version });
  return 'counted';
}

/**
 * The exact count after a crash left it unknown whether `alert` was counted: the alerts holding the incident (or one
 * merged into it). Unconfirmed ones join the recent list, so their own count steps, if still to come, skip. Guarded
 * by the version read first: any count made meanwhile changed it, and the recount is retried.
 */
async function recount(ctx: CaseContext, current: Versioned<Incident>, alert: Alert): Promise<void> {
  const next = await exactCount(ctx, widened(ctx, current.record, alert));
  await ctx.store.update('incidents', current.record.id, next, { expectedVersion: current.version });
}

/** The incident with `alert_count` the number of alerts holding it now, its unconfirmed ones in the recent list. */
async function exactCount(ctx: CaseContext, record: Incident): Promise<Incident> {
  let count = 0;
  const unconfirmed: string[] = [];
  let cursor: string | undefined;
  do {
    const page = await ctx.store.query<Alert>('alerts', {
      filter: { incident_id: [record.id, ...(record.merged_from ?? [])] },
      size: 1000,
      ...(cursor ? { cursor } : {}),
    });
    count += page.items.length;
    for (const item of page.items) if (item.record.incident_counted === false) unconfirmed.push(item.record.id);
    cursor = page.cursor ?? undefined;
  } while (cursor);
  const recent = boundedUnion(record.recent_alert_ids ?? [], unconfirmed, Math.max(MAX_RECENT_ALERT_IDS, unconfirmed.length));
  return { ...record, alert_count: count, recent_alert_ids: recent };
}

/**
 * After alerts were moved into or out of incident `id` by a person (alert-triage.ts): its live incident (the one it
 * was merged into, if it was) gets the exact count, widened by the alerts that `joined` it. Retried over concurrent
 * counts, which the guarded write detects; returns the live incident's id, or null when there is none.
 */
export async function recountIncident(ctx: CaseContext, id: string, joined: readonly Alert[] = []): Promise<string | null> {
  return withConflictRetry(async () => {
    let current = await ctx.store.get<Incident>('incidents', id);
    for (let hops = 0; current?.record.merged_into && hops < 20; hops++) current = await ctx.store.get<Incident>('incidents', current.record.merged_into);
    if (!current) return null;
    const base = joined.reduce((record, alert) => widened(ctx, record, alert), { ...current.record, updated_at: ctx.now() });
    const next = await exactCount(ctx, base);
    await ctx.store.update('incidents', next.id, next, { expectedVersion: current.version });
    return next.id;
  });
}

function newIncident(ctx: CaseContext, id: string, alert: Alert): Incident {
  const now = ctx.now();
  const received = isoOf(receivedAt(alert));
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
    recent_alert_ids: [alert.id],
    merged_from: [],
    first_seen: alert.first_seen,
    last_seen: alert.last_seen,
    first_received_at: received,
    last_received_at: received,
    created_at: now,
    updated_at: now,
    timeline: [],
    merged_into: null,
  };
}

const isoOf = (time: string) => new Date(Date.parse(time)).toISOString();

/** The incident widened by an alert: severity = max, span of stated and of receive times, tags. */
function widened(ctx: CaseContext, record: Incident, alert: Alert): Incident {
  const received = isoOf(receivedAt(alert));
  return {
    ...record,
    severity: maxSeverity(record.severity, alert.severity),
    first_seen: earlierOf(record.first_seen, alert.first_seen),
    last_seen: laterOf(record.last_seen, alert.last_seen),
    first_received_at: earlierOf(record.first_received_at ?? isoOf(record.first_seen), received),
    last_received_at: laterOf(record.last_received_at ?? isoOf(record.last_seen), received),
    tags: [...new Set([...record.tags, ...alert.rule.tags])],
    updated_at: ctx.now(),
  };
}

/**
 * A suppressed repeat may have moved its alert's last sighting or severity: the incident holding the alert follows
 * (the live one, when that incident was merged into another). Returns the incident's id.
 */
export async function refreshIncident(ctx: CaseContext, alert: Alert): Promise<string | null> {
  if (alert.incident_id === null) return null;
  return withConflictRetry(async () => {
    let current = await ctx.store.get<Incident>('incidents', alert.incident_id!);
    for (let hops = 0; current?.record.merged_into && hops < 20; hops++) {
      current = await ctx.store.get<Incident>('incidents', current.record.merged_into);
    }
    if (!current) return alert.incident_id;
    const record = current.record;
    const severity = maxSeverity(record.severity, alert.severity);
    const lastSeen = laterOf(record.last_seen, alert.last_seen);
    const lastReceived = laterOf(record.last_received_at ?? isoOf(record.last_seen), isoOf(receivedAt(alert)));
    if (severity === record.severity && lastSeen === record.last_seen && lastReceived === record.last_received_at) return record.id;
    const next: Incident = { ...record, severity, last_seen: lastSeen, last_received_at: lastReceived, updated_at: ctx.now() };
    await ctx.store.update('incidents', record.id, next, { expectedVersion: current.version });
    return record.id;
  });
}

/** A read-modify-write of an alert, retried on conflicts; `change` returns null to leave it as it is. */
export async function updateAlert(ctx: CaseContext, id: string, change: (alert: Alert) => Alert | null): Promise<Versioned<Alert>> {
  return withConflictRetry(async () => {
    const current = await ctx.store.get<Alert>('alerts', id);
    if (!current) throw new BulwarkError('BWK_NOT_FOUND', `alert ${id} vanished while grouping it`, { id });
    const next = change(current.record);
    if (!next) return current;
    return { record: next, version: await ctx.store.update('alerts', id, next, { expectedVersion: current.version }) };
  });
}
