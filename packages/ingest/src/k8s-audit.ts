/**
 * Kubernetes audit webhook (`--audit-webhook-config-file`): the API server POSTs an `audit.k8s.io/v1` EventList
 * (batched mode, the default) or, with batching off, one Event. Field reference:
 * https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/#audit-k8s-io-v1-Event
 *
 * Mapping (ECS names, https://www.elastic.co/guide/en/ecs/current/):
 * - `@timestamp` ← requestReceivedTimestamp (else stageTimestamp); `event.id` ← `${auditID}-${stage}`: one request
 *   produces an event per stage (RequestReceived, ResponseStarted, ResponseComplete, Panic), each its own event;
 * - `event.action` ← verb; `event.outcome` ← responseStatus.code (< 400 success, else failure, none → unknown),
 *   forced to failure by the `authorization.k8s.io/decision: forbid` annotation; `event.reason` ← the
 *   `authorization.k8s.io/reason` annotation;
 * - `user.{name,id,roles}` ← user.{username,uid,groups}; `user.effective.*` ← impersonatedUser;
 *   `source.ip` ← sourceIPs[0]; `user_agent.original`; `url.original` ← requestURI;
 *   `http.response.status_code` ← responseStatus.code (verbs are not HTTP methods, so no http.request.method);
 * - `orchestrator.{type, namespace, resource.{type,name}, api_version}` from objectRef, `resource.type` being
 *   `pods/exec` for subresources; `kubernetes.namespace`, and `kubernetes.pod.name` for pods;
 * - `kubernetes.audit` ← the native event, whole, so rules written against audit paths
 *   (`kubernetes.audit.objectRef.resource`) match.
 */
import { BulwarkError, type Event, type RecordError } from '@bulwark/schema';
import { defineDecoder } from './decoder-descriptor.js';
import { isObject, optNumber, optObject, optString, optStringList, putDefined, type JsonObject } from './fields.js';
import { parseJson } from './json-records.js';
import { resolveOptions, type DecodeOptions, type DecodeResult, type ResolvedOptions } from './options.js';
import { badField, guardBody, jsonType, RecordProblem, toRecordError } from './problems.js';
import { assertSafeRecord } from './safety.js';
import { decodeWhole } from './text.js';
import { toIsoTimestamp } from './timestamp.js';

export const AUDIT_DATASET = 'kubernetes.audit';

/** The API server's decision annotations (k8s.io/apiserver/pkg/authorization/authorizer). */
const DECISION_ANNOTATION = 'authorization.k8s.io/decision';
const REASON_ANNOTATION = 'authorization.k8s.io/reason';

/** What the body holds: the audit events, and the path prefix that names them in errors. */
function auditItems(body: unknown, maxDepth: number): { items: unknown[]; prefix: (i: number) => string } {
  if (!isObject(body)) throw new BulwarkError('BWK_INGEST_BAD_FIELD', `the body must be an audit Event or EventList, got ${jsonType(body)}`);
  if (body.kind === 'EventList' || Array.isArray(body.items)) {
    if (!Array.isArray(body.items)) throw new BulwarkError('BWK_INGEST_BAD_FIELD', 'EventList.items must be an array', { field: 'items' });
    // The list wrapper is checked too, although only `items` is read from it; a problem there fails the body
    // (guardBody turns the RecordProblem into a BulwarkError naming the field).
    for (const key of Object.keys(body)) {
      if (key !== 'items') assertSafeRecord({ [key]: body[key] }, maxDepth);
    }
    return { items: body.items, prefix: (i) => `items[${i}].` };
  }
  if (body.kind === 'Event' || 'auditID' in body) return { items: [body], prefix: () => '' };
  throw new BulwarkError('BWK_INGEST_BAD_FIELD', `the body is not an audit Event or EventList (kind: ${JSON.stringify(body.kind)})`, {
    field: 'kind',
  });
}

function outcomeOf(code: number | undefined, decision: string | undefined): 'success' | 'failure' | 'unknown' {
  if (decision === 'forbid') return 'failure';
  if (code === undefined) return 'unknown';
  return code < 400 ? 'success' : 'failure';
}

/** `alice create pods/exec default/web-1 -> 403`: who did what to which object, and how it ended. */
function summary(user: string, verb: string, resource: string | undefined, ns: string | undefined, name: string | undefined, uri: string | undefined, code: number | undefined): string {
  const target = resource
    ? `${resource}${ns || name ? ' ' : ''}${[ns, name].filter(Boolean).join('/')}`
    : (uri ?? '');
  return `${user} ${verb} ${target} -> ${code ?? 'no response'}`;
}

function timestampOf(item: JsonObject, nowIso: string): string {
  for (const key of ['requestReceivedTimestamp', 'stageTimestamp']) {
    const raw = optString(item, key, key);
    if (raw === undefined) continue;
    const iso = toIsoTimestamp(raw);
    if (iso === undefined) throw badField(key, `is not an RFC 3339 timestamp: ${JSON.stringify(raw)}`);
    return iso;
  }
  return nowIso;
}

interface AuditTarget {
  resource?: string;
  ns?: string;
  name?: string;
}

/** orchestrator.* and kubernetes.* from objectRef; returns what the summary line names. */
function objectRefFields(event: JsonObject, ref: JsonObject | undefined): AuditTarget {
  const target: AuditTarget = {};
  if (!ref) return target;
  const resource = optString(ref, 'resource', 'objectRef.resource');
  const sub = optString(ref, 'subresource', 'objectRef.subresource');
  const ns = optString(ref, 'namespace', 'objectRef.namespace') || undefined;
  const name = optString(ref, 'name', 'objectRef.name') || undefined;
  const group = optString(ref, 'apiGroup', 'objectRef.apiGroup');
  const version = optString(ref, 'apiVersion', 'objectRef.apiVersion');
  const type = resource && sub ? `${resource}/${sub}` : resource || undefined;
  const orch = event.orchestrator as JsonObject;
  putDefined(orch, 'namespace', ns);
  if (type || name) {
    const res: JsonObject = {};
    putDefined(res, 'type', type);
    putDefined(res, 'name', name);
    orch.resource = res;
  }
  if (version) orch.api_version = group ? `${group}/${version}` : version;
  const podName = resource === 'pods' ? name : undefined;
  if (ns || podName) {
    const k8s: JsonObject = {};
    putDefined(k8s, 'namespace', ns);
    if (podName) k8s.pod = { name: podName };
    event.kubernetes = k8s;
  }
  putDefined(target, 'resource', type);
  putDefined(target, 'ns', ns);
  putDefined(target, 'name', name);
  return target;
}

/** user.* from user and impersonatedUser; returns the name the summary line starts with. */
function userFields(event: JsonObject, item: JsonObject): string {
  const user = optObject(item, 'user', 'user');
  const out: JsonObject = {};
  const name = user && optString(user, 'username', 'user.username');
  if (user) {
    putDefined(out, 'name', name || undefined);
    putDefined(out, 'id', optString(user, 'uid', 'user.uid') || undefined);
    putDefined(out, 'roles', optStringList(user, 'groups', 'user.groups'));
  }
  const effective = optObject(item, 'impersonatedUser', 'impersonatedUser');
  if (effective) {
    const eff: JsonObject = {};
    putDefined(eff, 'name', optString(effective, 'username', 'impersonatedUser.username') || undefined);
    putDefined(eff, 'roles', optStringList(effective, 'groups', 'impersonatedUser.groups'));
    if (eff.name !== undefined || eff.roles !== undefined) out.effective = eff;
  }
  if (out.name !== undefined || out.id !== undefined || out.roles !== undefined || out.effective !== undefined) event.user = out;
  return name || 'unknown-user';
}

/** A native `audit.k8s.io` Event, however it arrived (webhook, or an audit log line shipped through `_bulk`). */
export function isNativeAuditEvent(doc: JsonObject): boolean {
  return doc.kind === 'Event' && typeof doc.apiVersion === 'string' && doc.apiVersion.startsWith('audit.k8s.io/') && typeof doc.auditID === 'string';
}

/**
 * One audit event to an Event; wrong types throw a RecordProblem naming the field. Exported for `normalizeDocument`,
 * so an audit log line shipped through `_bulk` maps exactly as the webhook maps it (same id, same rule paths).
 */
export function mapAuditEvent(item: JsonObject, opts: Pick<ResolvedOptions, 'nowIso' | 'keepOriginal'>, raw: string | undefined): Event {
  const auditID = optString(item, 'auditID', 'auditID');
  if (!auditID) throw badField('auditID', 'is required');
  const verb = optString(item, 'verb', 'verb');
  if (!verb) throw badField('verb', 'is required');
  const stage = optString(item, 'stage', 'stage');
  const status = optObject(item, 'responseStatus', 'responseStatus');
  const code = status && optNumber(status, 'code', 'responseStatus.code');
  const annotations = optObject(item, 'annotations', 'annotations');
  const decision = annotations && typeof annotations[DECISION_ANNOTATION] === 'string' ? (annotations[DECISION_ANNOTATION] as string) : undefined;
  const reason = annotations && typeof annotations[REASON_ANNOTATION] === 'string' ? (annotations[REASON_ANNOTATION] as string) : undefined;
  const ips = optStringList(item, 'sourceIPs', 'sourceIPs');
  const userAgent = optString(item, 'userAgent', 'userAgent');
  const uri = optString(item, 'requestURI', 'requestURI');

  const meta: JsonObject = {
    id: stage ? `${auditID}-${stage}` : auditID,
    kind: 'event',
    action: verb,
    outcome: outcomeOf(code, decision),
    dataset: AUDIT_DATASET,
    module: 'kubernetes',
    ingested: opts.nowIso,
  };
  if (reason) meta.reason = reason;
  if (opts.keepOriginal && raw !== undefined) meta.original = raw;
  const event: JsonObject = { '@timestamp': timestampOf(item, opts.nowIso), event: meta, orchestrator: { type: 'kubernetes' } };
  const who = userFields(event, item);
  const ref = objectRefFields(event, optObject(item, 'objectRef', 'objectRef'));
  if (ips?.[0]) event.source = { ip: ips[0] };
  if (userAgent) event.user_agent = { original: userAgent };
  if (uri) event.url = { original: uri };
  if (code !== undefined) event.http = { response: { status_code: code } };
  event.message = summary(who, verb, ref.resource, ref.ns, ref.name, uri, code);
  const k8s = (event.kubernetes ??= {}) as JsonObject;
  k8s.audit = item;
  event.data_stream = { type: 'logs', dataset: AUDIT_DATASET, namespace: 'default' };
  return event as Event;
}

/** Decodes an audit webhook body. Throws when the body is not JSON, not an Event/EventList, or has no events. */
export function decodeK8sAudit(body: Buffer, opts?: DecodeOptions): DecodeResult {
  return guardBody(() => {
    const o = resolveOptions(opts);
    const text = decodeWhole(body, o);
    const parsed = parseJson(text);
    if (!parsed.ok) throw new BulwarkError('BWK_INGEST_BAD_JSON', `the body is not valid JSON: ${parsed.message}`, { reason: parsed.message });
    const { items, prefix } = auditItems(parsed.value, o.maxDepth);
    if (items.length === 0) throw new BulwarkError('BWK_INGEST_EMPTY', 'the EventList has no items', { field: 'items' });
    const events: Event[] = [];
    const errors: RecordError[] = [];
    items.forEach((item, i) => {
      try {
        if (!isObject(item)) throw new RecordProblem('BWK_INGEST_BAD_FIELD', `an audit event must be an object, got ${jsonType(item)}`, '');
        assertSafeRecord(item, o.maxDepth);
        const raw = o.keepOriginal ? (items.length === 1 && prefix(0) === '' ? text.trim() : JSON.stringify(item)) : undefined;
        events.push(mapAuditEvent(item, o, raw));
      } catch (err) {
        errors.push(toRecordError(i, err, prefix(i)));
      }
    });
    return { events, errors };
  });
}

export const k8sAuditDecoder = defineDecoder({
  name: 'k8s-audit',
  routes: [{ path: '/v1/ingest/k8s-audit', methods: ['POST'] }],
  body: { mediaTypes: ['application/json'], charsets: 'any' },
  source: 'k8s-audit',
  accepts: ['k8s-audit'],
  reply: 'summary',
  docs: {
    summary: 'Kubernetes audit webhook (`audit.k8s.io/v1` EventList or Event)',
    description:
      "The API server's audit webhook (`--audit-webhook-config-file`): an `audit.k8s.io/v1` EventList (batched mode) or one Event. " +
      'Each stage of a request is its own event (`event.id` = `<auditID>-<stage>`), mapped to ECS (user, source.ip, verb as ' +
      '`event.action`, the object as `orchestrator.resource.*`), the native event kept whole under `kubernetes.audit`.',
  },
  decode: ({ body, options }) => decodeK8sAudit(body, options),
});
