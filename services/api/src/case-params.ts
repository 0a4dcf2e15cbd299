/** Query parameters of the alert and incident lists, and the version a change is made against. */
import type { Request } from 'express';
import { z } from 'zod';
import { AlertSources, AlertStatuses, BulwarkError, IncidentStatuses, Severities } from '@bulwark/schema';
import { MAX_CASE_PAGE_SIZE, type CaseFilterValue } from '@bulwark/store';

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

export const AlertListParams = z.object({
  status: list(AlertStatuses),
  severity: list(Severities),
  source: list(AlertSources),
  /** `rule` (Bulwark's own detections) or `external` (posted by another system): `provenance.origin`. */
  origin: list(['rule', 'external'] as const),
  rule: text,
  incident: text,
  ...paging,
});

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
