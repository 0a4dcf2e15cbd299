/**
 * Brings the typed fields of the event model (packages/schema/src/event.ts) into shape on the hot path, without zod:
 * every field the schema types is checked here, so a document that passes is a valid Event. The policy, per field:
 *
 * - coerce when nothing is lost: numbers/booleans to strings where a string is expected; a single string to a
 *   one-element list where a list is expected (`tags`, `host.ip`, `user.roles`, `process.args`,
 *   `event.category`); a scalar where an object is expected to that object's primary field (`host: "web-1"` →
 *   `host.name`, the Logstash shape; `user` → `user.name`; `source`/`destination` → `.address`; `container` →
 *   `container.name`; `process` → `process.name`; `rule` → `rule.name`; `container.image` → `.image.name`;
 *   `kubernetes.pod` / `.container` / `.node` and `orchestrator.cluster` → `.name`); nested label objects are
 *   flattened with dotted keys; `null` means absent and is removed;
 * - otherwise (an object where a string is expected, an unknown `event.kind`, a fractional `process.pid`…)
 *   throw BAD_FIELD naming the field, and the record is rejected.
 */
import { EventKinds, EventOutcomes, severityFromLevel } from '@bulwark/schema';
import { isObject, scalarText, toStringList, toStringMap, type JsonObject } from './fields.js';
import { badField, jsonType } from './problems.js';

/** The object at `parent[key]` (`key` is one of ours, never a sender's), coercing a scalar to `{[primary]: text}`. */
export function objectField(parent: JsonObject, key: string, path: string, primary?: string): JsonObject | undefined {
  const v = parent[key];
  if (v === undefined) return undefined;
  if (v === null) {
    delete parent[key];
    return undefined;
  }
  if (isObject(v)) return v;
  const text = scalarText(v);
  if (text !== undefined && primary !== undefined) {
    const wrapped: JsonObject = { [primary]: text };
    parent[key] = wrapped;
    return wrapped;
  }
  throw badField(path, `must be an object, got ${jsonType(v)}`);
}

function stringProps(obj: JsonObject, keys: readonly string[], path: string): void {
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined || typeof v === 'string') continue;
    if (v === null) {
      delete obj[key];
      continue;
    }
    const text = scalarText(v);
    if (text === undefined) throw badField(`${path}.${key}`, `must be a string, got ${jsonType(v)}`);
    obj[key] = text;
  }
}

function listProps(obj: JsonObject, keys: readonly string[], path: string): void {
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined) continue;
    if (v === null) delete obj[key];
    else obj[key] = toStringList(v, `${path}.${key}`);
  }
}

function integerProp(obj: JsonObject, key: string, path: string, min: number, max: number): void {
  const v = obj[key];
  if (v === undefined) return;
  if (v === null) {
    delete obj[key];
    return;
  }
  const n = typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw badField(`${path}.${key}`, `must be an integer between ${min} and ${max}, got ${JSON.stringify(v)}`);
  }
  obj[key] = n;
}

function enumProp(obj: JsonObject, key: string, path: string, allowed: readonly string[]): void {
  const v = obj[key];
  if (v === undefined) return;
  if (v === null) delete obj[key];
  else if (typeof v !== 'string' || !allowed.includes(v)) {
    throw badField(`${path}.${key}`, `must be one of ${allowed.join(', ')}, got ${JSON.stringify(v)}`);
  }
}

// The key lists below are constants rather than literals at each call: these run for every document, and a literal
// array is a fresh allocation each time it is evaluated.
const NAME = ['name'];
const NAMESPACE = ['namespace'];
/** `kubernetes.<key>` objects whose scalar form is their `name`, with their string fields and their paths. */
const KUBERNETES_PARTS: ReadonlyArray<{ key: string; path: string; strings: readonly string[] }> = [
  { key: 'pod', path: 'kubernetes.pod', strings: ['name', 'uid'] },
  { key: 'container', path: 'kubernetes.container', strings: NAME },
  { key: 'node', path: 'kubernetes.node', strings: NAME },
];
const CONTAINER_STRINGS = ['id', 'name', 'runtime'];
const ORCHESTRATOR_STRINGS = ['type', 'namespace'];
const RESOURCE_STRINGS = ['type', 'name'];
const HOST_STRINGS = ['name', 'hostname'];
const HOST_LISTS = ['ip'];
const USER_STRINGS = ['name', 'id'];
const USER_LISTS = ['roles'];
const PEERS = ['source', 'destination'];
const PEER_STRINGS = ['ip'];
const PROCESS_STRINGS = ['name', 'executable', 'command_line'];
const PROCESS_LISTS = ['args'];
const LOG_STRINGS = ['level'];
const EVENT_LISTS = ['category', 'type'];
const EVENT_STRINGS = ['action', 'module', 'original', 'dataset'];

function coerceKubernetes(doc: JsonObject): void {
  const k8s = objectField(doc, 'kubernetes', 'kubernetes');
  if (!k8s) return;
  stringProps(k8s, NAMESPACE, 'kubernetes');
  for (const { key, path, strings } of KUBERNETES_PARTS) {
    const sub = objectField(k8s, key, path, 'name');
    if (sub) stringProps(sub, strings, path);
  }
  if (k8s.labels === null) delete k8s.labels;
  else if (k8s.labels !== undefined) k8s.labels = toStringMap(k8s.labels, 'kubernetes.labels');
  objectField(k8s, 'audit', 'kubernetes.audit');
}

function coerceContainerAndOrchestrator(doc: JsonObject): void {
  const container = objectField(doc, 'container', 'container', 'name');
  if (container) {
    stringProps(container, CONTAINER_STRINGS, 'container');
    const image = objectField(container, 'image', 'container.image', 'name');
    if (image) stringProps(image, NAME, 'container.image');
  }
  const orch = objectField(doc, 'orchestrator', 'orchestrator');
  if (orch) {
    stringProps(orch, ORCHESTRATOR_STRINGS, 'orchestrator');
    const cluster = objectField(orch, 'cluster', 'orchestrator.cluster', 'name');
    if (cluster) stringProps(cluster, NAME, 'orchestrator.cluster');
    const resource = objectField(orch, 'resource', 'orchestrator.resource');
    if (resource) stringProps(resource, RESOURCE_STRINGS, 'orchestrator.resource');
  }
}

function coercePeople(doc: JsonObject): void {
  const host = objectField(doc, 'host', 'host', 'name');
  if (host) {
    stringProps(host, HOST_STRINGS, 'host');
    listProps(host, HOST_LISTS, 'host');
  }
  const user = objectField(doc, 'user', 'user', 'name');
  if (user) {
    stringProps(user, USER_STRINGS, 'user');
    listProps(user, USER_LISTS, 'user');
  }
  for (const key of PEERS) {
    const peer = objectField(doc, key, key, 'address');
    if (peer) stringProps(peer, PEER_STRINGS, key);
  }
  const proc = objectField(doc, 'process', 'process', 'name');
  if (proc) {
    integerProp(proc, 'pid', 'process', 0, Number.MAX_SAFE_INTEGER);
    stringProps(proc, PROCESS_STRINGS, 'process');
    listProps(proc, PROCESS_LISTS, 'process');
  }
}

/** `event.*` except the fields the decoder sets itself (id, dataset, ingested). Returns the event object. */
export function coerceEventMeta(doc: JsonObject): JsonObject {
  let meta = objectField(doc, 'event', 'event');
  if (!meta) {
    meta = {};
    doc.event = meta;
  }
  enumProp(meta, 'kind', 'event', EventKinds);
  enumProp(meta, 'outcome', 'event', EventOutcomes);
  listProps(meta, EVENT_LISTS, 'event');
  stringProps(meta, EVENT_STRINGS, 'event');
  integerProp(meta, 'severity', 'event', 0, 100);
  return meta;
}

/** Type-checks and coerces every typed field but `event` and `@timestamp` (see the module comment for the policy). */
export function coerceEcsFields(doc: JsonObject): void {
  coercePeople(doc);
  coerceContainerAndOrchestrator(doc);
  coerceKubernetes(doc);
  const log = objectField(doc, 'log', 'log');
  if (log) stringProps(log, LOG_STRINGS, 'log');
  objectField(doc, 'rule', 'rule', 'name');
  if (doc.labels === null) delete doc.labels;
  else if (doc.labels !== undefined) doc.labels = toStringMap(doc.labels, 'labels');
  if (doc.tags === null) delete doc.tags;
  else if (doc.tags !== undefined) doc.tags = toStringList(doc.tags, 'tags');
}

/** `event.severity` from `log.level` when the sender gave a level but no severity. */
export function defaultSeverity(doc: JsonObject, meta: JsonObject): void {
  if (meta.severity !== undefined) return;
  const log = doc.log;
  const level = isObject(log) && typeof log.level === 'string' ? log.level : undefined;
  const severity = severityFromLevel(level);
  if (severity !== undefined) meta.severity = severity;
}
