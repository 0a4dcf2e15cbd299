/**
 * Recording alerts (docs/ARCHITECTURE.md, "Alerts and incidents"): idempotent on the caller's deterministic id, with
 * suppression of repeats of the same rule and group key, then grouped into an incident. This is what the correlator and
 * the intake routes call, at alert-storm rates, so every step is a read by id, an indexed lookup or a bounded write:
 * its cost does not grow with the number of alerts and incidents stored (bench/cases.ts measures it).
 *
 * What an alert's producer says is kept but not trusted ("Trust model"): a producer may be an attacker. Oversized
 * fields are cut rather than refused (fit.ts); grouping and suppression go by the time Bulwark received the evidence,
 * stated times being clamped to it (received.ts); external alerts are recorded as such (external.ts); and the decision
 * "fold or create" is claimed in the store, so it holds across processes (suppression.ts).
 */
import { createHash } from 'node:crypto';
import { BulwarkError, maxSeverity, type Alert, type AlertInput } from '@bulwark/schema';
import type { Versioned } from '@bulwark/store';
import { audit, boundedUnion, earlierOf, laterOf, withConflictRetry, type Actor } from './common.js';
import type { CaseContext } from './context.js';
import { fitAlert, type FittedAlert } from './fit.js';
import { chooseIncident, countAndConfirm, groupAlert, refreshIncident } from './grouping.js';
import { foldedProvenance, withReceiveTimes } from './received.js';
import { claimOrFold } from './suppression.js';

/**
 * How many event ids an alert keeps (the latest), and how many ids of folded repeats it keeps (the latest, for retries
 * of the fold itself): both are rewritten with the alert on every fold, so they are kept small.
 */
export const MAX_ALERT_EVENT_IDS = 100;
export const MAX_SUPPRESSED_IDS = 100;

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

/** The indexed key suppression looks repeats up by: rule id and group key, hashed to a bounded keyword. */
export function suppressionKey(ruleId: string, groupKey: string): string {
  return createHash('sha256').update(`${ruleId}\n${groupKey}`).digest('base64url').slice(0, 32);
}

/** The id of the audit record of a fold: deterministic, so it is also how a replay of the folded alert is recognised. */
export function suppressionAuditId(alertId: string): string {
  return `aud-suppressed-${alertId}`;
}

/**
 * Records an alert. Never refused for a size: oversized fields are cut and listed in `provenance.truncated` (fit.ts),
 * so one odd event cannot make its producer retry forever. Refused (400 naming the field) only when the alert is not
 * an object, has no id, or is wrong in a way that is not a size.
 */
export async function recordAlert(ctx: CaseContext, input: AlertInput | FittedAlert, actor: Actor, maxClockSkewMs = ctx.maxClockSkewMs): Promise<RecordResult> {
  const { alert: parsed, truncated } = isFitted(input) ? input : fitAlert(input);
  delete parsed.incident_counted;
  // Triage fields are set by people working the alert (alert-triage.ts), not by whoever produced it.
  delete parsed.assignee;
  delete parsed.resolution;
  const fresh: Alert = { ...parsed, incident_id: null, suppressed_ids: [], suppression_key: suppressionKey(parsed.rule.id, parsed.group_key) };
  const alert = withReceiveTimes(ctx, fresh, truncated, maxClockSkewMs);
  return ctx.suppressionLock.run(`${alert.rule.id}\n${alert.group_key}`, () => recordLocked(ctx, alert, actor));
}

function isFitted(input: AlertInput | FittedAlert): input is FittedAlert {
  return input !== null && typeof input === 'object' && 'truncated' in input && Array.isArray(input.truncated) && 'alert' in input;
}

/** Under the suppression lock of the alert's rule and group key: a replay, a repeat to fold, or a new alert. */
async function recordLocked(ctx: CaseContext, alert: Alert, actor: Actor): Promise<RecordResult> {
  const existing = await ctx.store.get<Alert>('alerts', alert.id);
  if (existing) return group(ctx, existing, 'duplicate');
  const absorbed = await findAbsorber(ctx, alert.id, actor);
  if (absorbed) return group(ctx, absorbed, 'duplicate');
  if (CLOSED.has(alert.status)) {
    const created = await ctx.store.create('alerts', alert, { ifAbsent: true });
    if (created.created) await auditRecord(ctx, alert, actor);
    return group(ctx, created, created.created ? 'created' : 'duplicate');
  }
  // Atomic across processes: the episode of this rule and group key is claimed in the store (suppression.ts).
  const decision = await claimOrFold(ctx, alert, actor);
  if ('fold' in decision) return fold(ctx, decision.fold, alert, actor);
  // Claimed in the create itself (step 1 of grouping.ts), so a crash after it leaves a claim the replay finishes.
  const claimed: Alert = { ...alert, incident_id: await chooseIncident(ctx, alert), incident_counted: false };
  const created = await ctx.store.create('alerts', claimed, { ifAbsent: true });
  if (!created.created) return group(ctx, created, 'duplicate');
  await auditRecord(ctx, claimed, actor);
  const grouped = await countAndConfirm(ctx, created, false);
  return { alert: grouped.record, version: grouped.version, outcome: 'created', incident_id: grouped.record.incident_id };
}

const provenanceOf = (provenance: Alert['provenance']) => (provenance ? { provenance } : {});

function auditRecord(ctx: CaseContext, alert: Alert, actor: Actor): Promise<void> {
  return audit(ctx.store, { actor, action: 'alert.record', collection: 'alerts', target_id: alert.id, before: null, after: alertSummary(alert) }, ctx.now());
}

/**
 * The alert a repeat with this id was folded into, if it was: its fold's audit record names it (one read by id).
 * A crash between the fold and that record leaves the id in the target's recent `suppressed_ids` (an indexed
 * lookup), and the missing record is written now.
 */
async function findAbsorber(ctx: CaseContext, id: string, actor: Actor): Promise<Versioned<Alert> | null> {
  const marker = await ctx.store.get<{ id: string; target_id: string }>('audit', suppressionAuditId(id));
  if (marker) {
    const target = await ctx.store.get<Alert>('alerts', marker.record.target_id);
    if (target) return target;
  }
  const page = await ctx.store.query<Alert>('alerts', { filter: { suppressed_ids: id }, size: 1 });
  const holder = page.items[0];
  if (holder) await auditFold(ctx, holder.record, holder.record, id, actor);
  return holder ?? null;
}

/** Groups the alert unless already grouped (finishing a grouping a crash interrupted); `refresh` lets its incident follow a new sighting. */
async function group(ctx: CaseContext, stored: Versioned<Alert>, outcome: RecordOutcome, refresh = false): Promise<RecordResult> {
  let current = stored;
  let incidentId = current.record.incident_id;
  if (!CLOSED.has(current.record.status)) {
    if (current.record.incident_id === null) current = await groupAlert(ctx, current);
    else if (current.record.incident_counted === false) current = await countAndConfirm(ctx, current, true);
    incidentId = current.record.incident_id;
    if (refresh && current === stored) incidentId = await refreshIncident(ctx, current.record);
  }
  return { alert: current.record, version: current.version, outcome, incident_id: incidentId };
}

/**
 * Folds a repeat into the suppressing alert: count, span, event ids, severity, and the repeat's id in the same update
 * (so a retry never folds it twice); then the fold's audit record, which is how a later replay of it is recognised.
 */
async function fold(ctx: CaseContext, targetId: string, repeat: Alert, actor: Actor): Promise<RecordResult> {
  let before: Alert | null = null;
  const stored = await withConflictRetry(async () => {
    const current = await ctx.store.get<Alert>('alerts', targetId);
    if (!current) throw new BulwarkError('BWK_NOT_FOUND', `alert ${targetId} vanished while suppressing ${repeat.id}`, { id: targetId });
    const target = current.record;
    if (target.suppressed_ids.includes(repeat.id)) return current;
    const next: Alert = {
      ...target,
      count: target.count + repeat.count,
      severity: maxSeverity(target.severity, repeat.severity),
      first_seen: earlierOf(target.first_seen, repeat.first_seen),
      last_seen: laterOf(target.last_seen, repeat.last_seen),
      event_ids: boundedUnion(target.event_ids, repeat.event_ids, MAX_ALERT_EVENT_IDS),
      ...provenanceOf(foldedProvenance(target.provenance, repeat.provenance)),
      suppressed_ids: boundedUnion(target.suppressed_ids, [repeat.id], MAX_SUPPRESSED_IDS),
      ...(target.window && repeat.window
        ? { window: { start: earlierOf(target.window.start, repeat.window.start), end: laterOf(target.window.end, repeat.window.end) } }
        : {}),
    };
    const version = await ctx.store.update('alerts', targetId, next, { expectedVersion: current.version });
    before = target;
    return { record: next, version };
  });
  await auditFold(ctx, before ?? stored.record, stored.record, repeat.id, actor);
  // The incident's last sighting and severity follow the alert's.
  return group(ctx, stored, 'suppressed', true);
}

/** The audit record of a fold, under its deterministic id (a replayed write returns the first). */
async function auditFold(ctx: CaseContext, before: Alert, after: Alert, repeatId: string, actor: Actor): Promise<void> {
  const entry = { actor, action: 'alert.suppress', collection: 'alerts' as const, target_id: after.id, before: alertSummary(before), after: alertSummary(after) };
  await ctx.store.append('audit', { id: suppressionAuditId(repeatId), at: ctx.now(), ...entry, suppressed_id: repeatId }, { ifAbsent: true });
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
