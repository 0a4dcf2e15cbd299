/**
 * Provenance (docs/ARCHITECTURE.md, "Provenance"): where a piece of evidence came from, as Bulwark itself saw it — never as the payload claims.
 * The collector stamps every event with the route and protocol it arrived through, the token that sent it and the
 * source kind that token may speak for; alerts carry the provenance of their evidence; playbook triggers name the
 * source kinds whose evidence may start containment without a person. Everything an attacker can write (a log line,
 * an alert's fields, labels on a cluster object) arrives under a provenance that says so.
 */
import { z } from 'zod';

/**
 * What a piece of evidence speaks for:
 * - `k8s-audit`: the API server's audit webhook (or a file tailer whose token is granted `k8s-audit`);
 * - `falco`: Falco / Falcosidekick on the Falco route (or a shipper whose token is granted `falco`);
 * - `logs`: anything a workload or shipper writes (`_bulk`, Loki, container lines, generic events) — attacker-writable;
 * - `alertmanager`: a Prometheus Alertmanager webhook;
 * - `external`: an alert posted to `POST /v1/alerts` by another tool.
 */
export const SourceKinds = ['k8s-audit', 'falco', 'logs', 'alertmanager', 'external'] as const;
export type SourceKind = (typeof SourceKinds)[number];
export const SourceKindSchema = z.enum(SourceKinds);

/** The source kinds whose rule alerts may start containment without a person unless a playbook says otherwise. */
export const DEFAULT_TRUSTED_SOURCES: readonly SourceKind[] = ['k8s-audit', 'falco'];

/** The field path of an event's provenance; payload keys under `bulwark` are never kept there. */
export const PROVENANCE_FIELD = 'bulwark.provenance';

/** Stamped by the collector on every event at `bulwark.provenance` (overwriting whatever the payload had). */
export const EventProvenanceSchema = z.strictObject({
  /** The route it came through, e.g. `/v1/ingest/k8s-audit`, `/_bulk`. */
  route: z.string().max(256),
  /** The decoder that read it: `k8s-audit`, `falco`, `es-bulk`, `es-doc`, `loki`, `container-logs`, `events`. */
  protocol: z.string().max(64),
  /** The source kind this event speaks for, decided by route, decoder and token — never by the payload. */
  source: SourceKindSchema,
  /**
   * The token that sent it; `credential: client-certificate` when the sender proved it with a verified client
   * certificate bound to the token (mTLS) rather than the token's secret (absent).
   */
  token: z.strictObject({ id: z.string().max(64), name: z.string().max(256), credential: z.literal('client-certificate').optional() }),
  /** The source kinds that token may speak for (`sources` on the token; every kind when unrestricted). */
  token_sources: z.array(SourceKindSchema).max(SourceKinds.length),
});
export type EventProvenance = z.infer<typeof EventProvenanceSchema>;

const isoTime = z
  .string()
  .max(64)
  .refine((v) => /^\d{4}-\d{2}-\d{2}T/.test(v) && !Number.isNaN(Date.parse(v)), 'must be an ISO 8601 date-time');

/**
 * On every alert, set by Bulwark (the correlator or the intake route), never taken from a caller: what produced the
 * alert, the source kinds of its evidence, and when Bulwark received it — the time grouping and suppression use.
 */
export const AlertProvenanceSchema = z.strictObject({
  /** `rule`: Bulwark's own detection over stored events; `external`: posted by another system. */
  origin: z.enum(['rule', 'external']),
  /** Source kinds of the evidence (every one must be trusted for an automatic run); external: `external`/`alertmanager`. */
  sources: z.array(SourceKindSchema).min(1).max(SourceKinds.length),
  /** When Bulwark received the evidence (the latest of it for a correlation): grouping and suppression use this. */
  received_at: isoTime,
  /** External alerts: the token that posted it, and the route. */
  token: z.strictObject({ id: z.string().max(64), name: z.string().max(256) }).optional(),
  route: z.string().max(256).optional(),
  /** Fields a caller chose that automation must not act on (`entity`, `annotations`, `labels`). */
  untrusted: z.array(z.string().max(64)).max(16).optional(),
  /** Fields cut to fit the alert model, so the alert could be recorded at all (detection never stalls). */
  truncated: z.array(z.string().max(256)).max(64).optional(),
});
export type AlertProvenance = z.infer<typeof AlertProvenanceSchema>;

/** True when every evidence source of the alert is in `trusted` and Bulwark's own rules produced it. */
export function isTrustedEvidence(provenance: AlertProvenance | undefined, trusted: readonly SourceKind[]): boolean {
  if (!provenance) return false;
  if (provenance.origin !== 'rule' && !provenance.sources.every((s) => s === 'external' || s === 'alertmanager')) return false;
  return provenance.sources.length > 0 && provenance.sources.every((s) => trusted.includes(s));
}
