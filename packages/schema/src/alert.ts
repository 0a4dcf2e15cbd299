/**
 * The alert model: what the correlator writes when a rule fires, and what `POST /v1/alerts` and
 * the Alertmanager webhook accept. Ids are deterministic and chosen by the producer (e.g. a hash of rule id, group key
 * and window), so a retried or replayed alert is recognised rather than stored twice. Records are stored in the
 * CaseStore as JSON: map keys (labels) must contain no `.` and times are ISO 8601 strings.
 */
import { z } from 'zod';
import { AlertProvenanceSchema } from './provenance.js';

export const Severities = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof Severities)[number];
export const SeveritySchema = z.enum(Severities);

/** `suppressed`: muted by a person; such an alert no longer attaches to incidents. */
export const AlertStatuses = ['open', 'acknowledged', 'resolved', 'suppressed'] as const;
export type AlertStatus = (typeof AlertStatuses)[number];

export const AlertSources = ['rule', 'api', 'alertmanager', 'falco'] as const;
export type AlertSource = (typeof AlertSources)[number];

export const EntityKinds = ['workload', 'user', 'source_ip'] as const;

/** Rank of a severity, for "the incident's severity is the maximum of its alerts". */
export function severityRank(severity: Severity): number {
  return Severities.indexOf(severity);
}

export function maxSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

const isoTime = z
  .string()
  .max(64)
  .refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date-time');

/** Map keys end up as document field names in the case store, where a `.` would address a nested field. */
const mapKey = z.string().regex(/^[A-Za-z0-9_@/:-]{1,128}$/, 'keys are 1-128 letters, digits, _ @ / : -');
const StringMap = z.record(mapKey, z.string().max(8192));

/** What an alert is about; incidents group alerts by it. */
export const EntitySchema = z.strictObject({
  kind: z.enum(EntityKinds),
  value: z.string().min(1).max(512),
  namespace: z.string().min(1).max(256).optional(),
});
export type Entity = z.infer<typeof EntitySchema>;

/** `workload:prod/api-7f9`, `user:alice`: the grouping key of an entity. */
export function entityKey(entity: Entity): string {
  return `${entity.kind}:${entity.namespace ? `${entity.namespace}/` : ''}${entity.value}`;
}

export const AlertRuleSchema = z.strictObject({
  id: z.string().min(1).max(256),
  name: z.string().min(1).max(512),
  level: SeveritySchema,
  /** Sigma tags, e.g. `attack.t1609`. */
  tags: z.array(z.string().min(1).max(128)).max(64).default([]),
});

export const AlertSchema = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9_.:@-]{1,256}$/, '1-256 letters, digits, _ . : @ -'),
  rule: AlertRuleSchema,
  severity: SeveritySchema,
  status: z.enum(AlertStatuses).default('open'),
  group_key: z.string().max(1024).default(''),
  entity: EntitySchema,
  event_ids: z.array(z.string().min(1).max(512)).max(1000).default([]),
  count: z.number().int().min(1).default(1),
  first_seen: isoTime,
  last_seen: isoTime,
  window: z.strictObject({ start: isoTime, end: isoTime }).optional(),
  source: z.enum(AlertSources).default('api'),
  labels: StringMap.default({}),
  annotations: StringMap.optional(),
  /** Where the alert came from for a person to look (Alertmanager's `generatorURL`). */
  url: z.string().max(4096).optional(),
  /**
   * Set by the service when the alert joins an incident; ignored on intake. Membership lives here, on the alert, so
   * an incident's alerts are a query (`incident_id`) and the incident document stays bounded however many it has.
   */
  incident_id: z.string().nullable().default(null),
  /**
   * Set by the service: false while the alert is claimed by `incident_id` but not yet counted in that incident's
   * `alert_count`, so a replay after a crash in between finishes the count exactly once. Absent means counted.
   */
  incident_counted: z.boolean().optional(),
  /**
   * Set by the service: a hash of rule id and group key, the one indexed field suppression looks repeats up by (so
   * the lookup reads the alerts of that pair only, not of the rule or of the group key).
   */
  suppression_key: z.string().max(128).optional(),
  /**
   * Ids of the latest alerts folded into this one by suppression (bounded). Written in the same update as the fold,
   * so a fold is never applied twice; a replay is recognised by a deterministic audit record per folded id.
   */
  suppressed_ids: z.array(z.string()).default([]),
  resolved_at: isoTime.nullable().default(null),
  /** Set by a person triaging (`POST /v1/alerts/bulk`), never on intake: who works the alert. */
  assignee: z.string().min(1).max(256).nullable().optional(),
  /** Set when a person closes the alert: why (false positive, fixed, duplicate...). */
  resolution: z.string().min(1).max(8192).nullable().optional(),
  /**
   * Set by Bulwark, never by a caller: what produced the alert, its evidence's source kinds and when Bulwark
   * received it. Absent only on alerts stored before provenance existed; such alerts count as untrusted.
   */
  provenance: AlertProvenanceSchema.optional(),
});

/** An alert as callers send it (defaults not yet applied). */
export type AlertInput = z.input<typeof AlertSchema>;
/** An alert as stored. */
export type Alert = z.output<typeof AlertSchema>;
