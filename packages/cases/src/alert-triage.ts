/**
 * Triage of many alerts at once (`POST /v1/alerts/bulk`): acknowledge, assign, close with one resolution, or merge
 * into an incident. Unlike a person's change to one incident (incidents.ts), a bulk change is not made against
 * versions the person read: analysts close alerts the correlator is still folding repeats into, so each alert is read,
 * changed and written guarded by the version just read, and a conflict (the correlator's fold landed in between) is
 * retried a bounded number of times before the item is reported as `conflict`. The correlator's own writes are
 * read-modify-writes too (suppression.ts, grouping.ts), so neither overwrites the other's fields. Every change is an
 * audit record naming the person and their token.
 *
 * Merging moves each alert's `incident_id` to the target; then the target and every incident an alert left get their
 * exact counts (`recountIncident`, grouping.ts). Moved alerts are written unconfirmed (`incident_counted: false`)
 * until that recount, so a crash in between is finished by the grouping's own recovery when the alert is next seen.
 */
import { randomUUID } from 'node:crypto';
import { BulwarkError, type Alert, type Incident } from '@bulwark/schema';
import type { Versioned } from '@bulwark/store';
import { alertSummary } from './alerts.js';
import type { CaseContext } from './context.js';
import { recountIncident } from './grouping.js';

export const MAX_BULK_ALERTS = 1000;
/** Attempts per alert when its version keeps changing under us; then the item is reported as a conflict. */
export const BULK_CONFLICT_ATTEMPTS = 5;
/** Alerts worked at once: concurrent writes share the search engines' refresh instead of each waiting for one. */
const CONCURRENCY = 16;

export type BulkAction =
  | { action: 'acknowledge' }
  | { action: 'assign'; assignee: string | null }
  | { action: 'close'; resolution: string }
  | { action: 'merge'; incident_id: string };

export interface BulkRequest {
  ids: readonly string[];
  change: BulkAction;
  comment?: string;
  /** Who asks: the principal's name (the audit actor) and its token id. */
  actor: { name: string; tokenId: string };
}

export type BulkOutcome = 'updated' | 'unchanged' | 'not_found' | 'conflict';

export interface BulkItem {
  id: string;
  outcome: BulkOutcome;
  /** The alert's version after the change (or as found, when unchanged). */
  version?: string;
}

/** What the change makes of an alert, or null when it would change nothing. */
function applied(change: BulkAction, alert: Alert, at: string): Alert | null {
  switch (change.action) {
    case 'acknowledge':
      return alert.status === 'open' ? { ...alert, status: 'acknowledged' } : null;
    case 'assign':
      return (alert.assignee ?? null) === change.assignee ? null : { ...alert, assignee: change.assignee };
    case 'close':
      if (alert.status === 'resolved' && alert.resolution === change.resolution) return null;
      return { ...alert, status: 'resolved', resolution: change.resolution, resolved_at: alert.status === 'resolved' && alert.resolved_at ? alert.resolved_at : at };
    case 'merge':
      return alert.incident_id === change.incident_id ? null : { ...alert, incident_id: change.incident_id, incident_counted: false };
  }
}

function summary(alert: Alert): Record<string, unknown> {
  return { ...alertSummary(alert), assignee: alert.assignee ?? null, resolution: alert.resolution ?? null };
}

/** Applies one change to each alert; per-item outcomes in the order of `ids` (a repeated id is worked once). */
export async function triageAlerts(ctx: CaseContext, request: BulkRequest): Promise<BulkItem[]> {
  const ids = [...new Set(request.ids)];
  if (ids.length === 0 || ids.length > MAX_BULK_ALERTS) {
    throw new BulwarkError('BWK_BAD_REQUEST', `send 1 to ${MAX_BULK_ALERTS} alert ids`, { field: 'ids' });
  }
  const target = request.change.action === 'merge' ? await mergeTarget(ctx, request.change.incident_id) : null;
  const left = new Set<string>();
  const joined: Alert[] = [];
  const results = new Map<string, BulkItem>();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ids.length) {
      const id = ids[next++]!;
      const { item, before, after } = await triageOne(ctx, id, request);
      results.set(id, item);
      if (target && item.outcome === 'updated' && before && after) {
        if (before.incident_id) left.add(before.incident_id);
        joined.push(after);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker));
  if (target && joined.length > 0) await settleMerge(ctx, target, joined, left);
  return request.ids.map((id) => results.get(id)!);
}

/** The incident alerts are merged into: it must exist and not itself be merged into another. */
async function mergeTarget(ctx: CaseContext, id: string): Promise<Incident> {
  const found = await ctx.store.get<Incident>('incidents', id);
  if (!found) throw new BulwarkError('BWK_NOT_FOUND', `no incident ${JSON.stringify(id)}`, { field: 'incident_id', id });
  if (found.record.merged_into !== null) {
    throw new BulwarkError('BWK_CASE_INVALID_STATE', `incident ${id} was merged into ${found.record.merged_into}; merge into that one`, {
      id,
      merged_into: found.record.merged_into,
    });
  }
  return found.record;
}

async function triageOne(ctx: CaseContext, id: string, request: BulkRequest): Promise<{ item: BulkItem; before?: Alert; after?: Alert }> {
  for (let attempt = 1; ; attempt++) {
    const current = await ctx.store.get<Alert>('alerts', id);
    if (!current) return { item: { id, outcome: 'not_found' } };
    const at = ctx.now();
    const next = applied(request.change, current.record, at);
    if (!next) return { item: { id, outcome: 'unchanged', version: current.version } };
    let version: string;
    try {
      version = await ctx.store.update('alerts', id, next, { expectedVersion: current.version });
    } catch (err) {
      if (err instanceof BulwarkError && err.code === 'BWK_NOT_FOUND') return { item: { id, outcome: 'not_found' } };
      if (!(err instanceof BulwarkError) || err.code !== 'BWK_CONFLICT') throw err;
      if (attempt >= BULK_CONFLICT_ATTEMPTS) return { item: { id, outcome: 'conflict' } };
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
      continue;
    }
    await auditChange(ctx, request, current, next, at);
    return { item: { id, outcome: 'updated', version }, before: current.record, after: next };
  }
}

function auditChange(ctx: CaseContext, request: BulkRequest, before: Versioned<Alert>, after: Alert, at: string): Promise<unknown> {
  return ctx.store.append('audit', {
    id: `aud-${randomUUID()}`,
    at,
    actor: request.actor.name,
    token_id: request.actor.tokenId,
    action: `alert.${request.change.action}`,
    collection: 'alerts',
    target_id: after.id,
    alert_id: after.id,
    ...(after.incident_id ? { incident_id: after.incident_id } : {}),
    before: summary(before.record),
    after: summary(after),
    ...(request.comment ? { comment: request.comment } : {}),
  });
}

/**
 * After the moves: exact counts for the target (widened by what joined it) and for each incident alerts left, then
 * the moved alerts are confirmed as counted (the grouping's step 3), retried over the correlator's folds.
 */
async function settleMerge(ctx: CaseContext, target: Incident, joined: Alert[], left: Set<string>): Promise<void> {
  await recountIncident(ctx, target.id, joined);
  for (const id of left) if (id !== target.id) await recountIncident(ctx, id);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < joined.length) {
      const alert = joined[next++]!;
      await confirmCounted(ctx, alert.id, target.id);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, joined.length) }, worker));
}

async function confirmCounted(ctx: CaseContext, id: string, incidentId: string): Promise<void> {
  for (let attempt = 1; attempt <= 10; attempt++) {
    const current = await ctx.store.get<Alert>('alerts', id);
    if (!current || current.record.incident_id !== incidentId || current.record.incident_counted !== false) return;
    try {
      await ctx.store.update('alerts', id, { ...current.record, incident_counted: true }, { expectedVersion: current.version });
      return;
    } catch (err) {
      if (!(err instanceof BulwarkError) || err.code !== 'BWK_CONFLICT') throw err;
    }
  }
}
