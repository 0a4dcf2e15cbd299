/**
 * Recording alerts (issue 4 items 3–4): idempotent on the caller's deterministic id, with suppression of repeats of
 * the same rule and group key, then grouped into an incident. This is what the correlator and the intake routes call.
 */
import { AlertSchema, maxSeverity, type Alert, type AlertInput } from '@bulwark/schema';
import type { Versioned } from '@bulwark/store';
import { audit, boundedUnion, earlierOf, laterOf, parseOrThrow, withConflictRetry, type Actor } from './common.js';
import type { CaseContext } from './context.js';
import { groupAlert } from './grouping.js';

/** How many event ids an alert keeps, and how many suppressed alert ids it remembers for replay detection. */
export const MAX_ALERT_EVENT_IDS = 1000;
export const MAX_SUPPRESSED_IDS = 1000;

export type RecordOutcome = 'created' | 'duplicate' | 'suppressed';

export interface RecordResult {
  /** The stored alert this input ended up in: itself, or the alert that suppressed it. */
  alert: Alert;
  version: string;
  outcome: RecordOutcome;
  incident_id: string | null;
}

/** Alerts in these statuses neither suppress repeats nor join incidents. */
const CLOSED = new Set(['resolved', 'suppressed']);

export async function recordAlert(ctx: CaseContext, input: AlertInput, actor: Actor): Promise<RecordResult> {
  const alert: Alert = { ...parseOrThrow(AlertSchema, input, 'BWK_INGEST_BAD_FIELD'), incident_id: null, suppressed_ids: [] };
  return ctx.suppressionLock.run(`${alert.rule.id}\n${alert.group_key}`, () => recordLocked(ctx, alert, actor));
}

/** Under the suppression lock of the alert's rule and group key: a replay, a repeat to fold, or a new alert. */
async function recordLocked(ctx: CaseContext, alert: Alert, actor: Actor): Promise<RecordResult> {
  const existing = await ctx.store.get<Alert>('alerts', alert.id);
  if (existing) return finishExisting(ctx, existing);
  const absorbed = await ctx.store.query<Alert>('alerts', { filter: { suppressed_ids: alert.id }, size: 1 });
  if (absorbed.items[0]) return finishExisting(ctx, absorbed.items[0]);
  if (!CLOSED.has(alert.status)) {
    const suppressor = await findSuppressor(ctx, alert);
    if (suppressor) return fold(ctx, suppressor.record.id, alert);
  }
  const created = await ctx.store.create('alerts', alert, { ifAbsent: true });
  if (!created.created) return finishExisting(ctx, created);
  await audit(ctx.store, { actor, action: 'alert.record', collection: 'alerts', target_id: alert.id, before: null, after: alertSummary(alert) }, ctx.now());
  return group(ctx, created, 'created');
}

/** A replay: make sure the earlier attempt finished grouping (it may have crashed in between), then report it. */
async function finishExisting(ctx: CaseContext, stored: Versioned<Alert>): Promise<RecordResult> {
  return group(ctx, stored, 'duplicate');
}

/** Groups the alert unless already grouped; `refresh` regroups a grouped alert so its incident sees a new sighting. */
async function group(ctx: CaseContext, stored: Versioned<Alert>, outcome: RecordOutcome, refresh = false): Promise<RecordResult> {
  const alert = stored.record;
  if ((alert.incident_id !== null && !refresh) || CLOSED.has(alert.status)) {
    return { alert, version: stored.version, outcome, incident_id: alert.incident_id };
  }
  const incidentId = await groupAlert(ctx, alert);
  const fresh = (await ctx.store.get<Alert>('alerts', alert.id)) ?? stored;
  return { alert: fresh.record, version: fresh.version, outcome, incident_id: incidentId };
}

/** The open alert of the same rule and group key whose last sighting is within the suppression window. */
async function findSuppressor(ctx: CaseContext, alert: Alert): Promise<Versioned<Alert> | null> {
  const page = await ctx.store.query<Alert>('alerts', {
    filter: { 'rule.id': alert.rule.id, group_key: alert.group_key, status: ['open', 'acknowledged'] },
    sort: { field: 'last_seen', order: 'desc' },
    size: 1,
  });
  const candidate = page.items[0];
  if (!candidate) return null;
  const gap = Date.parse(alert.first_seen) - Date.parse(candidate.record.last_seen);
  return gap <= ctx.suppressionWindowMs && Date.parse(alert.last_seen) >= Date.parse(candidate.record.first_seen) - ctx.suppressionWindowMs
    ? candidate
    : null;
}

/** Folds a repeat into the suppressing alert: count, span, event ids, severity; remembers the repeat's id. */
async function fold(ctx: CaseContext, targetId: string, repeat: Alert): Promise<RecordResult> {
  const stored = await withConflictRetry(async () => {
    const current = await ctx.store.get<Alert>('alerts', targetId);
    if (!current) throw new Error(`alert ${targetId} vanished while suppressing ${repeat.id}`);
    const target = current.record;
    if (target.suppressed_ids.includes(repeat.id)) return current;
    const next: Alert = {
      ...target,
      count: target.count + repeat.count,
      severity: maxSeverity(target.severity, repeat.severity),
      first_seen: earlierOf(target.first_seen, repeat.first_seen),
      last_seen: laterOf(target.last_seen, repeat.last_seen),
      event_ids: boundedUnion(target.event_ids, repeat.event_ids, MAX_ALERT_EVENT_IDS),
      suppressed_ids: boundedUnion(target.suppressed_ids, [repeat.id], MAX_SUPPRESSED_IDS),
      ...(target.window && repeat.window
        ? { window: { start: earlierOf(target.window.start, repeat.window.start), end: laterOf(target.window.end, repeat.window.end) } }
        : {}),
    };
    const version = await ctx.store.update('alerts', targetId, next, { expectedVersion: current.version });
    return { record: next, version };
  });
  // The incident's last sighting and severity follow the alert's.
  return group(ctx, stored, 'suppressed', true);
}

/**
 * Marks an alert resolved (Alertmanager's `resolved`, or a person). Idempotent; returns null when there is no such
 * alert.
 */
export async function resolveAlert(ctx: CaseContext, id: string, resolvedAt: string, actor: Actor): Promise<Versioned<Alert> | null> {
  return withConflictRetry(async () => {
    const current = await ctx.store.get<Alert>('alerts', id);
    if (!current) return null;
    if (current.record.status === 'resolved') return current;
    const next: Alert = { ...current.record, status: 'resolved', resolved_at: resolvedAt, last_seen: laterOf(current.record.last_seen, resolvedAt) };
    const version = await ctx.store.update('alerts', id, next, { expectedVersion: current.version });
    await audit(ctx.store, { actor, action: 'alert.resolve', collection: 'alerts', target_id: id, before: alertSummary(current.record), after: alertSummary(next) }, ctx.now());
    return { record: next, version };
  });
}

export function alertSummary(alert: Alert): Record<string, unknown> {
  return { status: alert.status, severity: alert.severity, count: alert.count, incident_id: alert.incident_id };
}
