/**
 * What the console's alert intake needs beyond the list: alerts grouped by rule or entity (`GET /v1/alerts/groups`),
 * triage of many at once (`POST /v1/alerts/bulk`, scope `respond`; the rules live in @bulwark/cases alert-triage.ts),
 * and an alert's evidence events with their provenance (`GET /v1/alerts/:id/evidence`), so an analyst sees what the
 * alert stands on and who sent it (docs/ARCHITECTURE.md, "Provenance").
 */
import type { RequestHandler } from 'express';
import { z } from 'zod';
import { BulwarkError, entityKey, Severities, type Alert, type Severity } from '@bulwark/schema';
import { MAX_BULK_ALERTS, parseOrThrow, type BulkAction, type CaseService } from '@bulwark/cases';
import type { ApiDeps } from '@bulwark/runtime';
import { parseParams } from './params.js';
import { AlertGroupParams, alertQueryOf } from './case-params.js';

/** What a group is keyed by, and how its label is read off its latest alert. */
const GROUPINGS = {
  rule: { field: 'rule.id', label: (alert: Alert) => alert.rule.name },
  // Keyed by the entity's value (the indexed field the `entity=` filter uses); labelled as incidents name entities.
  entity: { field: 'entity.value', label: (alert: Alert) => entityKey(alert.entity) },
} as const;

export function alertGroups(cases: CaseService): RequestHandler {
  return async (req, res) => {
    const p = parseParams(AlertGroupParams, req.query);
    const grouping = GROUPINGS[p.by];
    const groups = await cases.store.groups<Alert>('alerts', {
      field: grouping.field,
      ...alertQueryOf(p),
      size: p.size,
      latest: 'last_seen',
      countBy: 'severity',
    });
    res.json({
      by: p.by,
      groups: groups.map((g) => ({
        key: g.key,
        label: grouping.label(g.latest),
        count: g.count,
        max_severity: highest(Object.keys(g.counts)) ?? g.latest.severity,
        last_seen: g.latest.last_seen,
      })),
    });
  };
}

function highest(severities: string[]): Severity | undefined {
  return [...Severities].reverse().find((s) => severities.includes(s));
}

const BulkBody = z
  .strictObject({
    ids: z.array(z.string().min(1).max(512)).min(1).max(MAX_BULK_ALERTS),
    action: z.enum(['acknowledge', 'assign', 'close', 'merge']),
    /** `assign`: who (null unassigns). */
    assignee: z.string().min(1).max(256).nullable().optional(),
    /** `close`: the one resolution every alert gets. */
    resolution: z.string().min(1).max(8192).optional(),
    /** `merge`: the incident the alerts move into. */
    incident_id: z.string().min(1).max(512).optional(),
    comment: z.string().min(1).max(16_384).optional(),
  })
  .superRefine((b, ctx) => {
    const need = { assign: 'assignee', close: 'resolution', merge: 'incident_id' } as const;
    const field = b.action === 'acknowledge' ? undefined : need[b.action];
    if (field && b[field] === undefined) ctx.addIssue({ code: 'custom', path: [field], message: `required for action ${b.action}` });
  });

function changeOf(body: z.infer<typeof BulkBody>): BulkAction {
  switch (body.action) {
    case 'acknowledge':
      return { action: 'acknowledge' };
    case 'assign':
      return { action: 'assign', assignee: body.assignee ?? null };
    case 'close':
      return { action: 'close', resolution: body.resolution! };
    case 'merge':
      return { action: 'merge', incident_id: body.incident_id! };
  }
}

export function bulkTriage(cases: CaseService): RequestHandler {
  return async (req, res) => {
    const body = parseOrThrow(BulkBody, req.body ?? {});
    const principal = req.principal!;
    const items = await cases.triageAlerts({
      ids: body.ids,
      change: changeOf(body),
      ...(body.comment ? { comment: body.comment } : {}),
      actor: { name: principal.name, tokenId: principal.tokenId },
    });
    res.json({ items });
  };
}

/** Codes a read by id answers for an id the store cannot hold or never stored: reported as a missing event. */
const MISSING = new Set(['BWK_NOT_FOUND', 'BWK_BAD_PARAM', 'BWK_BAD_REQUEST']);

export function alertEvidence(deps: ApiDeps, cases: CaseService): RequestHandler {
  return async (req, res) => {
    const id = String(req.params.id);
    const found = await cases.getAlert(id);
    if (!found) throw new BulwarkError('BWK_NOT_FOUND', `no alert ${JSON.stringify(id)}`, { id });
    // At most MAX_ALERT_EVENT_IDS (100) ids per alert: read side by side.
    const events = await Promise.all(
      found.record.event_ids.map(async (eventId) => {
        let event: Awaited<ReturnType<ApiDeps['store']['get']>> = null;
        try {
          event = await deps.store.get(eventId);
        } catch (err) {
          if (!(err instanceof BulwarkError) || !MISSING.has(err.code)) throw err;
        }
        const provenance = (event as { bulwark?: { provenance?: unknown } } | null)?.bulwark?.provenance ?? null;
        return { id: eventId, event, provenance };
      }),
    );
    res.json({ alert_id: id, events });
  };
}
