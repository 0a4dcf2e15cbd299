/**
 * The incident model (docs/ARCHITECTURE.md, "Alerts and incidents"): alerts about one entity within a window, worked by people. Severity is the
 * maximum of its alerts; the timeline lists its alerts and every change made to it. The stored document stays
 * bounded whatever the number of alerts: membership lives on the alerts (`incident_id`).
 */
import { z } from 'zod';
import { EntitySchema, SeveritySchema } from './alert.js';

export const IncidentStatuses = ['open', 'acknowledged', 'contained', 'resolved'] as const;
export type IncidentStatus = (typeof IncidentStatuses)[number];
/** Statuses in which new alerts about the same entity still attach. */
export const ACTIVE_INCIDENT_STATUSES: readonly IncidentStatus[] = ['open', 'acknowledged', 'contained'];

export const TimelineKinds = ['alert', 'status', 'assign', 'comment', 'tags', 'merge', 'action', 'evidence', 'severity'] as const;

export const TimelineEntrySchema = z.strictObject({
  at: z.string(),
  kind: z.enum(TimelineKinds),
  /** The alert id, comment id or merged incident id the entry is about; '' when none. */
  ref: z.string(),
  summary: z.string(),
});
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

export const CommentSchema = z.strictObject({ id: z.string(), author: z.string(), text: z.string(), at: z.string() });
export type Comment = z.infer<typeof CommentSchema>;

export const IncidentSchema = z.strictObject({
  id: z.string(),
  title: z.string(),
  severity: SeveritySchema,
  status: z.enum(IncidentStatuses),
  assignee: z.string().nullable(),
  tags: z.array(z.string()),
  resolution: z.string().nullable(),
  comments: z.array(CommentSchema),
  entity: EntitySchema,
  /** `entityKey(entity)`: what grouping filters on. */
  entity_key: z.string(),
  /** Exact: how many alerts have joined (the alerts themselves carry `incident_id`; list them by it). */
  alert_count: z.number().int().min(0),
  /**
   * The ids of the latest alerts counted in (bounded), written in the same update as the count, so a retried attach
   * never counts an alert twice. Not the list of the incident's alerts: that is the alerts whose `incident_id` is
   * this incident or one merged into it. Absent on incidents stored before it existed.
   */
  recent_alert_ids: z.array(z.string()).optional(),
  /** Incidents merged into this one (transitively): their alerts belong here, even the ones not yet moved. */
  merged_from: z.array(z.string()).optional(),
  /** The span of the times its alerts state (clamped to their receive times plus the allowed clock skew): for people. */
  first_seen: z.string(),
  last_seen: z.string(),
  /**
   * The span of the times Bulwark received its alerts' evidence: what grouping decides on, as stated times
   * are the caller's. Absent on incidents stored before it existed (`first_seen`/`last_seen` stand in).
   */
  first_received_at: z.string().optional(),
  last_received_at: z.string().optional(),
  created_at: z.string(),
  updated_at: z.string(),
  /**
   * As stored: the changes made to the incident (status, assignment, comments, tags, merges). Alert entries are not
   * stored — an incident of thousands of alerts would be rewritten whole on every attach — but added on read
   * (`CaseService.getIncident`) from the incident's alerts.
   */
  timeline: z.array(TimelineEntrySchema),
  merged_into: z.string().nullable(),
});
export type Incident = z.infer<typeof IncidentSchema>;

/** Bodies of the incident operations (`POST /v1/incidents/:id/<op>`); `version` may come as If-Match instead. */
const version = z.string().min(1).max(64).optional();
export const AcknowledgeBody = z.strictObject({ version });
export const AssignBody = z.strictObject({ version, assignee: z.string().min(1).max(256).nullable() });
export const StatusBody = z.strictObject({ version, status: z.enum(IncidentStatuses), resolution: z.string().max(8192).optional() });
/** A person sets the severity either way; an alert attached later still raises it to its own, never lowers it. */
export const SeverityBody = z.strictObject({ version, severity: SeveritySchema });
export const CommentBody = z.strictObject({ version, text: z.string().min(1).max(16_384) });
export const TagsBody = z
  .strictObject({ version, add: z.array(z.string().min(1).max(128)).max(64).default([]), remove: z.array(z.string()).max(64).default([]) })
  .refine((b) => b.add.length + b.remove.length > 0, { message: 'add or remove at least one tag', path: ['add'] });
export const MergeBody = z.strictObject({ version, from: z.string().min(1).max(512), from_version: version });
