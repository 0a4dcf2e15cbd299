/**
 * The one event model every decoder produces and every store keeps: a subset of the Elastic Common Schema
 * (https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html). Objects are loose so that fields a
 * shipper sends beyond this subset are kept and stay searchable; the fields named here are type-checked.
 */
import { z } from 'zod';
import { EventProvenanceSchema } from './provenance.js';

const str = z.string();
const strList = z.array(z.string());
const stringMap = z.record(z.string(), z.string());

export const EventKinds = ['event', 'alert', 'metric', 'state', 'signal', 'pipeline_error'] as const;
export const EventOutcomes = ['success', 'failure', 'unknown'] as const;

export const EventMetaSchema = z.looseObject({
  /** Deterministic: the id the protocol carries, else a content hash (see `contentId`). */
  id: str,
  kind: z.enum(EventKinds).optional(),
  category: strList.optional(),
  type: strList.optional(),
  action: str.optional(),
  outcome: z.enum(EventOutcomes).optional(),
  /** Where the event came from, e.g. `kubernetes.audit`, `falco.alert`, `container.logs`. */
  dataset: str,
  module: str.optional(),
  /** 0 (lowest) to 100 (highest); see `severityFromLevel`. */
  severity: z.number().int().min(0).max(100).optional(),
  /** When Bulwark received it, ISO 8601. */
  ingested: str.optional(),
  /** The raw record text, kept only when the protocol is line based or when configured. */
  original: str.optional(),
});

export const EventSchema = z.looseObject({
  '@timestamp': z.iso.datetime({ offset: true }),
  message: str.optional(),
  event: EventMetaSchema,
  host: z.looseObject({ name: str.optional(), hostname: str.optional(), ip: strList.optional() }).optional(),
  container: z
    .looseObject({
      id: str.optional(),
      name: str.optional(),
      image: z.looseObject({ name: str.optional() }).optional(),
      runtime: str.optional(),
    })
    .optional(),
  orchestrator: z
    .looseObject({
      type: str.optional(),
      cluster: z.looseObject({ name: str.optional() }).optional(),
      namespace: str.optional(),
      resource: z.looseObject({ type: str.optional(), name: str.optional() }).optional(),
    })
    .optional(),
  kubernetes: z
    .looseObject({
      namespace: str.optional(),
      pod: z.looseObject({ name: str.optional(), uid: str.optional() }).optional(),
      container: z.looseObject({ name: str.optional() }).optional(),
      node: z.looseObject({ name: str.optional() }).optional(),
      labels: stringMap.optional(),
      /** The native `audit.k8s.io/v1` Event, whole, so rules on audit paths (`objectRef.resource`) match. */
      audit: z.record(z.string(), z.unknown()).optional(),
    })
    .optional(),
  user: z.looseObject({ name: str.optional(), id: str.optional(), roles: strList.optional() }).optional(),
  source: z.looseObject({ ip: str.optional() }).optional(),
  destination: z.looseObject({ ip: str.optional() }).optional(),
  process: z
    .looseObject({
      pid: z.number().int().optional(),
      name: str.optional(),
      executable: str.optional(),
      command_line: str.optional(),
      args: strList.optional(),
    })
    .optional(),
  log: z.looseObject({ level: str.optional() }).optional(),
  rule: z.record(z.string(), z.unknown()).optional(),
  labels: stringMap.optional(),
  tags: strList.optional(),
  data_stream: z
    .looseObject({ type: str.optional(), dataset: str.optional(), namespace: str.optional() })
    .optional(),
  /**
   * Bulwark's own fields (docs/ARCHITECTURE.md, "Provenance"), written by the collector only; a payload's `bulwark` keys are moved aside.
   * `provenance`: see `EventProvenanceSchema`. `claimed`: what the payload claimed and was not believed (a reserved
   * dataset, identity fields the shipper's metadata contradicted), kept for investigation.
   */
  bulwark: z.looseObject({ provenance: EventProvenanceSchema.optional(), claimed: z.record(z.string(), z.unknown()).optional() }).optional(),
});

export type Event = z.infer<typeof EventSchema>;
export type EventMeta = z.infer<typeof EventMetaSchema>;

/** Common log levels and priorities to an ECS-style 0–100 severity. */
export function severityFromLevel(level: string | undefined): number | undefined {
  if (!level) return undefined;
  switch (level.toLowerCase()) {
    case 'emergency':
    case 'emerg':
      return 100;
    case 'alert':
      return 90;
    case 'critical':
    case 'crit':
    case 'fatal':
      return 80;
    case 'error':
    case 'err':
      return 60;
    case 'warning':
    case 'warn':
      return 50;
    case 'notice':
      return 40;
    case 'informational':
    case 'info':
      return 30;
    case 'debug':
    case 'trace':
      return 10;
    default:
      return undefined;
  }
}
