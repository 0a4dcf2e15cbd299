/**
 * `normalizeDocument`: a shipper's JSON document (Filebeat, Fluent Bit, Vector, Logstash, rsyslog, curl…) to an
 * Event. Used by the Elasticsearch bulk/doc API and usable by any decoder whose records are "a log document".
 *
 * A native Kubernetes audit event (`apiVersion: audit.k8s.io/v1`, `kind: Event` — an audit log line shipped by a
 * file tailer) is mapped exactly as the audit webhook maps it (`k8s-audit.ts`): same `${auditID}-${stage}` id, same
 * fields, the native event under `kubernetes.audit` — so rules and deduplication agree across transports (keys a
 * shipper added beside the audit keys stay inside `kubernetes.audit`); a Falco alert likewise as the Falco route maps
 * it — but only when `ctx.nativeSources` (the sending token's explicit grant) names that source. Otherwise the shape
 * is a claim and the document is an ordinary one (`trust.ts`). Any other document:
 *
 * 1. the id: `ctx.id` (a bulk `_id`), else `contentId({_index, _source})` of the document as received (or
 *    `textId` of the raw text, see `idFromRaw`);
 * 2. dotted top-level keys expanded (`"kubernetes.pod.name"` → nested), see `expandDottedKeys`;
 * 3. `@timestamp`: the document's `@timestamp` (ISO string or epoch millis, Elasticsearch's default
 *    `strict_date_optional_time||epoch_millis`), else the first parseable of `timestamp` (Vector), `time` (Docker,
 *    Fluent Bit), `date` (Fluent Bit, epoch seconds), else `now`. An `@timestamp` that is present but unparseable is
 *    replaced by `now`, its value kept in `_timestamp_unparsed` and the tag `_timestampparsefailure` added
 *    (Logstash's `_dateparsefailure` convention), so the record is stored and the problem is searchable;
 * 4. `message`: a string stays; Fluent Bit's `log` string becomes `message` (one trailing newline dropped); a
 *    number/boolean becomes its text, an object or array its JSON text (lossless, and still full-text searchable);
 * 5. Kubernetes metadata of Fluent Bit/Vector moved to ECS places (`shippers.ts`), typed fields coerced or rejected
 *    (`ecs-coerce.ts`), `orchestrator.{type,namespace}` set when Kubernetes fields are present;
 * 6. `event.{id,dataset,ingested}` and `data_stream` set; `event.original` ← the raw text when `keepOriginal` asks
 *    and the shipper did not already send one;
 * 7. trust (`trust.ts`): a payload `bulwark` key moved to `bulwark.claimed.payload`; identity fields decided by the
 *    shipper's metadata over the body; a reserved dataset rewritten to `claimed.<dataset>`.
 *
 * Dataset: the document's `event.dataset` > `data_stream.dataset` > the dataset of an index named
 * `logs-<dataset>-<namespace>` (the Elastic data stream naming scheme) > the index name itself > `generic`.
 *
 * Ownership: the document is *reused* as the event (mutated in place, no deep copy — this is the 25k docs/s path).
 * Pass a freshly parsed document that has passed `assertSafeRecord`. A field of the wrong type throws a
 * `RecordProblem` (BAD_FIELD) that the caller turns into that record's error.
 */
import type { Event } from '@bulwark/schema';
import { contentId, textId } from './content-id.js';
import { coerceEcsFields, coerceEventMeta, defaultSeverity, objectField } from './ecs-coerce.js';
import { expandDottedKeys, hasDottedKey, isObject, scalarText, type JsonObject } from './fields.js';
import { isFalcoAlertShape, mapFalcoAlert } from './falco.js';
import { isNativeAuditEvent, mapAuditEvent } from './k8s-audit.js';
import { mapShipperKubernetes, setIfEmpty } from './shippers.js';
import {
  attachClaims,
  claimDataset,
  claimedDataset,
  claimNativeShape,
  enforceIdentity,
  isReservedDataset,
  newClaims,
  readIdentityLayers,
  takePayloadBulwark,
  type Claims,
  type NativeShape,
} from './trust.js';
import { toIsoTimestamp } from './timestamp.js';

export interface NormalizeContext {
  index?: string;
  /** The id the protocol gave (a bulk `_id`); wins over any derived id. */
  id?: string;
  now: Date;
  /** `now.toISOString()` when the caller has it already (one request's documents share it). */
  nowIso?: string;
  /** The record's text as sent, for `event.original`. */
  raw?: string;
  keepOriginal?: boolean;
  /**
   * Derive a missing id from `raw` (`textId(index, raw)`) instead of canonical JSON of the document: four times
   * cheaper, for callers whose `raw` is exactly the record as sent (the bulk path).
   */
  idFromRaw?: boolean;
  /** Native shapes this document may be mapped as (the sending token's explicit grants); default none. */
  nativeSources?: readonly NativeShape[];
}

export const TIMESTAMP_FAILURE_TAG = '_timestampparsefailure';

/** Elastic data stream names: `<type>-<dataset>-<namespace>`; neither dataset nor namespace contains a hyphen. */
export function parseDataStreamName(index: string | undefined): { dataset: string; namespace: string } | undefined {
  const m = index === undefined ? null : /^logs-([^-]+)-([^-]+)$/.exec(index);
  return m ? { dataset: m[1]!, namespace: m[2]! } : undefined;
}

/** `parseDataStreamName` of the last index asked, remembered: a request's documents mostly share one index. */
let lastIndex: string | undefined;
let lastDataStream: { dataset: string; namespace: string } | undefined;

/** `parseDataStreamName`, for the readers here (which never change the object it returns). */
function dataStreamOf(index: string | undefined): { readonly dataset: string; readonly namespace: string } | undefined {
  if (index === undefined) return undefined;
  if (index !== lastIndex) {
    lastDataStream = parseDataStreamName(index);
    lastIndex = index;
  }
  return lastDataStream;
}

const FALLBACK_TIME_KEYS = ['timestamp', 'time', 'date'];

/**
 * Returns the event's `@timestamp`, or undefined when a given `@timestamp` did not parse: the caller then uses now
 * and tags the failure, and the value is kept here (as described in the module comment).
 */
function resolveTimestamp(doc: JsonObject, nowIso: string): string | undefined {
  const given = doc['@timestamp'];
  if (given !== undefined && given !== null) {
    const iso = toIsoTimestamp(given, 'ms');
    if (iso !== undefined) return iso;
    doc._timestamp_unparsed = given;
    return undefined;
  }
  for (const key of FALLBACK_TIME_KEYS) {
    const v = doc[key];
    if (v === undefined || v === null) continue;
    const iso = toIsoTimestamp(v, 'auto');
    if (iso !== undefined) return iso;
  }
  return nowIso;
}

function textOf(value: unknown): string {
  return scalarText(value) ?? JSON.stringify(value);
}

function normalizeMessage(doc: JsonObject): void {
  const log = doc.log;
  if (log !== undefined && log !== null && !isObject(log)) {
    let text = textOf(log);
    if (text.endsWith('\n')) text = text.slice(0, -1);
    if (doc.message === undefined || doc.message === null) {
      doc.message = text;
      doc.log = undefined; // dropped by `compact` below; `delete` here would slow every later step on this object
    } else {
      doc.log = { original: text };
    }
  }
  const message = doc.message;
  if (message === null) delete doc.message;
  else if (message !== undefined && typeof message !== 'string') doc.message = textOf(message);
}

/** orchestrator.type/namespace for documents that carry Kubernetes metadata (already type-checked). */
function markOrchestrator(doc: JsonObject): void {
  const k8s = doc.kubernetes;
  if (!isObject(k8s)) return;
  const namespace = typeof k8s.namespace === 'string' ? k8s.namespace : undefined;
  const pod = isObject(k8s.pod) ? k8s.pod : undefined;
  if (namespace === undefined && typeof pod?.name !== 'string') return;
  if (!isObject(doc.orchestrator)) doc.orchestrator = {};
  setIfEmpty(doc, ['orchestrator', 'type'], 'kubernetes');
  if (namespace !== undefined) setIfEmpty(doc, ['orchestrator', 'namespace'], namespace);
}

function setDataset(doc: JsonObject, meta: JsonObject, index: string | undefined, claims: Claims): void {
  const ds = objectField(doc, 'data_stream', 'data_stream');
  const fromIndex = dataStreamOf(index);
  let dataset =
    (typeof meta.dataset === 'string' && meta.dataset) ||
    scalarText(ds?.dataset) ||
    fromIndex?.dataset ||
    index ||
    'generic';
  if (isReservedDataset(dataset)) {
    claimDataset(claims, dataset);
    dataset = claimedDataset(dataset);
  }
  meta.dataset = dataset;
  doc.data_stream = {
    type: scalarText(ds?.type) || 'logs',
    dataset,
    namespace: scalarText(ds?.namespace) || fromIndex?.namespace || 'default',
  };
}

function derivedId(doc: JsonObject, ctx: NormalizeContext): string {
  if (ctx.idFromRaw && ctx.raw !== undefined) return textId(ctx.index ?? '', ctx.raw);
  return contentId(ctx.index === undefined ? doc : { _index: ctx.index, _source: doc });
}

/** A native audit event shipped as a document (an audit log file tailer): mapped as the webhook maps it. */
function normalizeAuditDocument(doc: JsonObject, ctx: NormalizeContext, nowIso: string): Event {
  const event = mapAuditEvent(doc, { nowIso, keepOriginal: ctx.keepOriginal ?? false }, ctx.raw);
  if (ctx.id !== undefined) event.event.id = ctx.id;
  const fromIndex = dataStreamOf(ctx.index);
  if (fromIndex && event.data_stream) event.data_stream.namespace = fromIndex.namespace;
  return event;
}

/** A Falco alert shipped as a document (Falco's file output, tailed) by a sender granted `falco`. */
function normalizeFalcoDocument(doc: JsonObject, ctx: NormalizeContext, nowIso: string): Event {
  const event = mapFalcoAlert(doc, { nowIso, keepOriginal: ctx.keepOriginal ?? false }, ctx.raw);
  if (ctx.id !== undefined) event.event.id = ctx.id;
  const fromIndex = dataStreamOf(ctx.index);
  if (fromIndex && event.data_stream) event.data_stream.namespace = fromIndex.namespace;
  return event;
}

function nativeShapeOf(doc: JsonObject): NativeShape | undefined {
  if (isNativeAuditEvent(doc)) return 'k8s-audit';
  if (isFalcoAlertShape(doc)) return 'falco';
  return undefined;
}

/** A shipper document to an Event; see the module comment for the mapping and the ownership rule. */
export function normalizeDocument(doc: Record<string, unknown>, ctx: NormalizeContext): Event {
  const nowIso = ctx.nowIso ?? ctx.now.toISOString();
  const shape = nativeShapeOf(doc);
  if (shape === 'k8s-audit' && ctx.nativeSources?.includes('k8s-audit')) return normalizeAuditDocument(doc, ctx, nowIso);
  if (shape === 'falco' && ctx.nativeSources?.includes('falco')) return normalizeFalcoDocument(doc, ctx, nowIso);
  const claims = newClaims();
  if (shape) claimNativeShape(claims, shape);
  const id = ctx.id ?? derivedId(doc, ctx);
  const dotted = hasDottedKey(doc);
  const identity = readIdentityLayers(doc, dotted);
  if (dotted) expandDottedKeys(doc);
  takePayloadBulwark(doc, claims);
  const timestamp = resolveTimestamp(doc, nowIso);
  normalizeMessage(doc);
  mapShipperKubernetes(doc);
  coerceEcsFields(doc);
  enforceIdentity(doc, identity, claims);
  markOrchestrator(doc);
  if (timestamp === undefined) doc.tags = [...((doc.tags as string[] | undefined) ?? []), TIMESTAMP_FAILURE_TAG];
  const meta = coerceEventMeta(doc);
  meta.id = id;
  meta.ingested = nowIso;
  // A shipper's own event.original (the raw log line, e.g. Filebeat's) is truer than our JSON text of the document.
  if (ctx.keepOriginal && ctx.raw !== undefined && meta.original === undefined) meta.original = ctx.raw;
  setDataset(doc, meta, ctx.index, claims);
  defaultSeverity(doc, meta);
  attachClaims(doc, claims);
  return compact(doc, timestamp ?? nowIso, meta);
}

/**
 * The stored document's object: an ordinary object (its prototype is `Object.prototype`, as a literal's), made by
 * `new` because V8 gives objects made by a constructor room for their properties inside the object (sized from the
 * first few made), where a literal's grow a separate property store step by step as `compact` adds ~20 keys.
 */
function StoredDocument(this: JsonObject, timestamp: string): void {
  this['@timestamp'] = timestamp;
}
StoredDocument.prototype = Object.prototype;
const newStoredDocument = StoredDocument as unknown as new (timestamp: string) => JsonObject;

/**
 * A fresh object with `@timestamp`, `message` and `event` first and undefined members dropped. Building it anew keeps
 * the stored document in V8's fast object layout (JSON.stringify of it is markedly cheaper than of an object that had
 * properties deleted) and gives every stored document the same leading keys.
 */
function compact(doc: JsonObject, timestamp: string, meta: unknown): Event {
  const out = new newStoredDocument(timestamp);
  if (doc.message !== undefined) out.message = doc.message;
  out.event = meta as JsonObject;
  // for…in reads the keys in Object.keys' order without building their array; the document is a JSON.parse object.
  for (const key in doc) {
    if (key === '@timestamp' || key === 'message' || key === 'event' || !Object.hasOwn(doc, key)) continue;
    const value = doc[key];
    if (value !== undefined) out[key] = value;
  }
  return out as Event;
}
