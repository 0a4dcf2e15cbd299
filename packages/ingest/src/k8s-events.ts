/**
 * Kubernetes Events (`events.k8s.io/v1`, what `kubectl get events` shows: scheduling, image pulls, BackOff, OOM kills,
 * evictions, NodeNotReady) as Bulwark events, dataset `kubernetes.events`. They come from the collector's own watch of
 * the API server (`services/collector`, `ingest.kubernetes_events`), never from a sender, so the dataset is reserved:
 * a shipper's document claiming it is stored as `claimed.kubernetes.events` (`trust.ts`). What an Event *says* is still
 * written by whoever may create Events — any controller, and any workload granted `events: create` — so rules over it
 * are not evidence that moves the responder by itself (its source kind is `logs`).
 *
 * Mapping: `@timestamp` ← the last time it was observed (series, else eventTime, else the deprecated timestamps, else
 * creation); `message` ← `note`; `event.action` ← `reason`; `log.level` ← `type` (Normal → info, Warning → warning);
 * `kubernetes.namespace`, `kubernetes.pod.{name,uid}` or `kubernetes.node.name` ← `regarding`; the object itself at
 * `kubernetes.event`. The id hashes the cluster, the Event's uid and its resourceVersion: every observation (a
 * series count going up) is stored once, however often a watch replays it.
 */
import { severityFromLevel, type Event } from '@bulwark/schema';
import { contentId } from './content-id.js';
import { isObject, type JsonObject } from './fields.js';
import { parseIsoMillis } from './timestamp.js';

export const K8S_EVENTS_DATASET = 'kubernetes.events';

const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown): JsonObject => (isObject(v) ? v : {});

/** The first of the candidate times that parses, as ISO; else `fallback`. */
function observedAt(e: JsonObject, fallback: string): string {
  const meta = obj(e.metadata);
  for (const candidate of [obj(e.series).lastObservedTime, e.eventTime, e.deprecatedLastTimestamp, e.deprecatedFirstTimestamp, meta.creationTimestamp]) {
    const text = str(candidate);
    const ms = text === undefined ? undefined : parseIsoMillis(text);
    if (ms !== undefined) return new Date(ms).toISOString();
  }
  return fallback;
}

/** An events.k8s.io/v1 Event (as the API serves it) to an event; `undefined` for an object that is not one. */
export function kubernetesEvent(raw: unknown, cluster: string, nowIso: string): Event | undefined {
  if (!isObject(raw)) return undefined;
  const meta = obj(raw.metadata);
  const uid = str(meta.uid);
  const rv = str(meta.resourceVersion);
  if (!uid || !rv) return undefined;
  const regarding = obj(raw.regarding);
  const type = str(raw.type) ?? 'Normal';
  const level = type === 'Warning' ? 'warning' : type === 'Normal' ? 'info' : type.toLowerCase();
  const namespace = str(regarding.namespace) ?? str(meta.namespace);
  const event: JsonObject = {
    '@timestamp': observedAt(raw, nowIso),
    message: str(raw.note) ?? '',
    event: {
      id: contentId(['k8s-event', cluster, uid, rv]),
      kind: 'event',
      dataset: K8S_EVENTS_DATASET,
      module: 'kubernetes',
      ingested: nowIso,
      ...(str(raw.reason) ? { action: raw.reason } : {}),
    },
    log: { level },
    orchestrator: {
      type: 'kubernetes',
      cluster: { name: cluster },
      ...(namespace ? { namespace } : {}),
      ...(str(regarding.kind) ? { resource: { type: String(regarding.kind).toLowerCase(), ...(str(regarding.name) ? { name: regarding.name } : {}) } } : {}),
    },
    kubernetes: { ...(namespace ? { namespace } : {}), event: raw },
  };
  const severity = severityFromLevel(level);
  if (severity !== undefined) (event.event as JsonObject).severity = severity;
  const k8s = event.kubernetes as JsonObject;
  if (regarding.kind === 'Pod' && str(regarding.name)) k8s.pod = { name: regarding.name, ...(str(regarding.uid) ? { uid: regarding.uid } : {}) };
  if (regarding.kind === 'Node' && str(regarding.name)) k8s.node = { name: regarding.name };
  const reporter = str(raw.reportingController) ?? str(obj(raw.deprecatedSource).component);
  if (reporter) (event.event as JsonObject).provider = reporter;
  event.data_stream = { type: 'logs', dataset: K8S_EVENTS_DATASET, namespace: 'default' };
  return event as Event;
}
