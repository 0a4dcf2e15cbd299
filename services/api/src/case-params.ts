/** Query parameters of the alert and incident lists, and the version a change is made against. */
import type { Request } from 'express';
import { z } from 'zod';
import { AlertSources, AlertStatuses, BulwarkError, IncidentStatuses, Severities } from '@bulwark/schema';
import { MAX_CASE_PAGE_SIZE, type CaseFilterValue, type CaseQuery } from '@bulwark/store';
import { parseTime } from './params.js';

const single = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (Array.isArray(v) ? v[v.length - 1] : v), schema);
/** `status=open,acknowledged`: a comma-separated list of allowed values. */
const list = <const T extends readonly [string, ...string[]]>(values: T) =>
  single(
    z
      .string()
      .transform((v, ctx) => {
        const items = v.split(',').map((s) => s.trim()).filter(Boolean);
        const wrong = items.find((item) => !(values as readonly string[]).includes(item));
        if (items.length === 0 || wrong !== undefined) {
          ctx.addIssue({ code: 'custom', message: `must be one or more of ${values.join(', ')}, comma-separated` });
          return z.NEVER;
        }
        return items;
      })
      .optional(),
  );
const text = single(z.string().min(1).max(512).optional());
const paging = {
  size: single(z.coerce.number().int().min(1).max(MAX_CASE_PAGE_SIZE).default(100)),
  cursor: single(z.string().max(4096).optional()),
};

/** A time as the search API takes it: ISO 8601, epoch milliseconds, or `now-15m`. */
const time = single(
  z
    .string()
    .transform((v, ctx) => {
      const d = parseTime(v);
      if (!d) {
        ctx.addIssue({ code: 'custom', message: 'must be ISO 8601, epoch milliseconds, or now[-+]<n><unit>' });
        return z.NEVER;
      }
      return d;
    })
    .optional(),
);

/** The filters the alert list and its groups share. */
const alertFilters = {
  status: list(AlertStatuses),
  severity: list(Severities),
  source: list(AlertSources),
  /** `rule` (Bulwark's own detections) or `external` (posted by another system): `provenance.origin`. */
  origin: list(['rule', 'external'] as const),
  rule: text,
  incident: text,
  /** An entity's value (`api-7f9`), or its key as incidents name it (`workload:prod/api-7f9`, `user:alice`). */
  entity: text,
  assignee: text,
  /** On `last_seen`: from (inclusive) to (exclusive). */
  from: time,
  to: time,
};

// Plain objects (no refinements), so routes can `pick` from them; the span is checked by `alertQueryOf`.
export const AlertListParams = z.object({ ...alertFilters, ...paging });

export const AlertGroupParams = z.object({
  ...alertFilters,
  by: single(z.enum(['rule', 'entity'])),
  size: single(z.coerce.number().int().min(1).max(MAX_CASE_PAGE_SIZE).default(100)),
});

type AlertFilterParams = Partial<Record<'rule' | 'incident' | 'entity' | 'assignee', string | undefined>> & {
  status?: string[] | undefined;
  severity?: string[] | undefined;
  source?: string[] | undefined;
  origin?: string[] | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
};

/** The CaseStore filter and range of the alert filters; 400 naming `from` when it is not before `to`. */
export function alertQueryOf(p: AlertFilterParams): Pick<CaseQuery, 'filter' | 'range'> {
  if (p.from && p.to && p.from >= p.to) {
    throw new BulwarkError('BWK_BAD_PARAM', 'parameter "from": must be before "to"', { param: 'from', problems: [{ param: 'from', message: 'must be before "to"' }] });
  }
  const filter = filterOf({
    status: p.status,
    severity: p.severity,
    source: p.source,
    'provenance.origin': p.origin,
    'rule.id': p.rule,
    incident_id: p.incident,
    assignee: p.assignee,
    ...(p.entity !== undefined ? entityFilter(p.entity) : {}),
  });
  const bounds = { ...(p.from ? { gte: p.from.toISOString() } : {}), ...(p.to ? { lt: p.to.toISOString() } : {}) };
  return { filter, ...(Object.keys(bounds).length ? { range: { last_seen: bounds } } : {}) };
}

const ENTITY_KEY = /^(workload|user|source_ip):(.+)$/;

/**
 * `workload:prod/api-7f9` → kind, namespace and value (the form `entityKey` writes and incidents filter on); anything
 * else is an entity value of any kind. Only a workload's key carries a namespace: a user or address may hold a `/`.
 */
function entityFilter(entity: string): Record<string, string> {
  const m = ENTITY_KEY.exec(entity);
  if (!m) return { 'entity.value': entity };
  const [, kind, rest] = m as unknown as [string, string, string];
  const slash = kind === 'workload' ? rest.indexOf('/') : -1;
  if (slash > 0 && slash < rest.length - 1) return { 'entity.kind': kind, 'entity.namespace': rest.slice(0, slash), 'entity.value': rest.slice(slash + 1) };
  return { 'entity.kind': kind, 'entity.value': rest };
}

export const IncidentListParams = z.object({
  status: list(IncidentStatuses),
  severity: list(Severities),
  assignee: text,
  tag: text,
  entity: text,
  ...paging,
});

/** Drops unset entries: the CaseStore filter takes only values. */
export function filterOf(entries: Record<string, CaseFilterValue | undefined>): Record<string, CaseFilterValue> {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined)) as Record<string, CaseFilterValue>;
}

/**
 * The version the client read: `If-Match` (the ETag GET sent, quoted or bare) or the body's `version`. `If-Match: *`
 * (RFC 9110: any current version) returns `'*'`, for scripts that mean to overwrite; nothing at all is a 428.
 */
export function expectedVersionOf(req: Request, bodyVersion: string | undefined): string | '*' {
  const header = req.headers['if-match'];
  if (typeof header === 'string' && header.trim()) {
    const value = header.trim();
    if (value === '*') return '*';
    const m = /^(?:W\/)?"([^"]+)"$/.exec(value);
    return m ? m[1]! : value;
  }
  if (bodyVersion !== undefined) return bodyVersion;
  throw new BulwarkError('BWK_VERSION_REQUIRED', 'send the version you read: an If-Match header with the ETag, or "version" in the body', {
    field: 'version',
    header: 'if-match',
  });
}

export const AuditListParams = z.object({
  run_id: text,
  incident_id: text,
  target_id: text,
  actor: text,
  action: text,
  ...paging,
});
