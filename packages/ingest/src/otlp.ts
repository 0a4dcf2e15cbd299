/**
 * OpenTelemetry logs over OTLP/HTTP, `POST /v1/logs`, protobuf (`application/x-protobuf`) or JSON, as the OTel SDKs'
 * log exporters and the OpenTelemetry Collector's `otlphttp` exporter send them (gzip is undone by the collector).
 *
 * Each log record is an event, mapped as Elastic's OTel-native mode does, plus the ECS fields Bulwark's rules and
 * timeline read: `message` ← the body (a structured body also kept whole at `body`), `@timestamp` ← the record's time
 * (else its observed time, else arrival), `log.level` ← severity text (else the severity number's name), `trace.id` /
 * `span.id`, `attributes` and `resource.attributes` kept as sent (flat keys), `scope.name`/`scope.version`. Identity
 * fields come from **resource** attributes only — `k8s.namespace.name`, `k8s.pod.name`, `k8s.pod.uid`,
 * `k8s.container.name`, `k8s.node.name`, `container.id`, `service.name`, `host.name` — which the SDK or the
 * Collector's k8sattributes processor sets; a record attribute naming another pod is kept as a claim (`trust.ts`).
 * `event.dataset` is `otel.logs` unless a `data_stream.dataset` attribute (record, then resource) names one; a
 * reserved dataset becomes `claimed.<dataset>`. The content id hashes the resource, scope and record, so an exporter's
 * retry of a batch stores nothing twice.
 *
 * Record index = the record's ordinal across all resources and scopes.
 */
import { BulwarkError, severityFromLevel, type Event, type RecordError } from '@bulwark/schema';
import { contentId } from './content-id.js';
import { defineDecoder } from './decoder-descriptor.js';
import { isObject, type JsonObject } from './fields.js';
import { parseJson } from './json-records.js';
import { decodeProtoRequest, encodeResponse, hexId, text, type OtlpRequest, type OtlpValue } from './otlp-proto.js';
import { resolveOptions, type DecodeOptions, type DecodeResult, type ResolvedOptions } from './options.js';
import { badField, guardBody, jsonType, RecordProblem, toRecordError } from './problems.js';
import { isForbiddenKey } from './safety.js';
import { decodeWhole } from './text.js';
import { attachClaims, claimDataset, claimedDataset, claimIdentity, isReservedDataset, newClaims } from './trust.js';
import { isoFromNanosString } from './timestamp.js';

export const OTLP_DATASET = 'otel.logs';
export { encodeResponse as encodeOtlpResponse };

/** Resource attributes that name what emitted the record, and where the ECS copy goes. */
const IDENTITY: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['k8s.namespace.name', ['kubernetes', 'namespace']],
  ['k8s.pod.name', ['kubernetes', 'pod', 'name']],
  ['k8s.pod.uid', ['kubernetes', 'pod', 'uid']],
  ['k8s.container.name', ['kubernetes', 'container', 'name']],
  ['k8s.node.name', ['kubernetes', 'node', 'name']],
  ['container.id', ['container', 'id']],
  ['container.name', ['container', 'name']],
  ['container.image.name', ['container', 'image', 'name']],
  ['service.name', ['service', 'name']],
  ['service.version', ['service', 'version']],
  ['host.name', ['host', 'name']],
];

/** Severity number ranges of the OTel log data model, as level names. */
const SEVERITY_NAMES = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'];

function setPath(root: JsonObject, path: readonly string[], value: unknown): void {
  let node = root;
  for (const seg of path.slice(0, -1)) node = (node[seg] ??= {}) as JsonObject;
  node[path[path.length - 1]!] = value;
}

/** An AnyValue to a plain value; `depth` bounds kvlist/array nesting as `ingest.max_depth` does for JSON records. */
function plain(value: unknown, field: string, depth: number, opts: ResolvedOptions): OtlpValue {
  if (depth > opts.maxDepth) throw new RecordProblem('BWK_INGEST_TOO_DEEP', `${field} nests deeper than ${opts.maxDepth}`, field);
  if (value === undefined || value === null) return null;
  if (!isObject(value)) throw badField(field, `must be an AnyValue object, got ${jsonType(value)}`);
  const v = value as Record<string, unknown>;
  if (v.stringValue !== undefined) return text(v.stringValue, `${field}.stringValue`)!;
  if (v.boolValue !== undefined) return v.boolValue === true;
  if (v.intValue !== undefined) {
    const n = Number(v.intValue);
    if (!Number.isFinite(n) || !/^-?\d+$/.test(String(v.intValue))) throw badField(`${field}.intValue`, 'must be an integer');
    return Number.isSafeInteger(n) ? n : String(v.intValue);
  }
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.bytesValue !== undefined) return v.bytesValue instanceof Uint8Array ? Buffer.from(v.bytesValue).toString('base64') : String(v.bytesValue);
  if (v.arrayValue !== undefined) {
    return list((v.arrayValue as { values?: unknown[] })?.values, `${field}.arrayValue.values`).map((x, i) => plain(x, `${field}.arrayValue.values[${i}]`, depth + 1, opts));
  }
  if (v.kvlistValue !== undefined) return attributes((v.kvlistValue as { values?: unknown[] })?.values, `${field}.kvlistValue.values`, depth + 1, opts);
  return null;
}

function list(value: unknown, field: string): unknown[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badField(field, `must be an array, got ${jsonType(value)}`);
  return value;
}

/** KeyValue pairs to an object with the keys as sent (`k8s.pod.name` stays one key); the first of a repeated key wins. */
function attributes(pairs: unknown, field: string, depth: number, opts: ResolvedOptions): { [key: string]: OtlpValue } {
  const out: { [key: string]: OtlpValue } = {};
  list(pairs, field).forEach((pair, i) => {
    if (!isObject(pair)) throw badField(`${field}[${i}]`, `must be a KeyValue object, got ${jsonType(pair)}`);
    const key = text(pair.key, `${field}[${i}].key`) ?? '';
    if (isForbiddenKey(key)) throw new RecordProblem('BWK_INGEST_FORBIDDEN_KEY', `attribute "${key}" is reserved and not allowed`, `${field}[${i}].key`);
    if (!Object.hasOwn(out, key)) out[key] = plain(pair.value, `${field}[${i}].value`, depth + 1, opts);
  });
  return out;
}

interface Scope {
  resource: { [key: string]: OtlpValue };
  scope: { name?: string; version?: string };
}

function recordEvent(record: unknown, ctx: Scope, field: string, opts: ResolvedOptions): Event {
  if (!isObject(record)) throw badField(field, `must be a LogRecord object, got ${jsonType(record)}`);
  const attrs = attributes(record.attributes, `${field}.attributes`, 0, opts);
  const body = plain(record.body, `${field}.body`, 0, opts);
  const time = nanos(record.timeUnixNano, `${field}.timeUnixNano`) ?? nanos(record.observedTimeUnixNano, `${field}.observedTimeUnixNano`);
  const traceId = hexId(record.traceId, 16, `${field}.traceId`);
  const spanId = hexId(record.spanId, 8, `${field}.spanId`);
  const severityNumber = Number(record.severityNumber ?? 0);
  const level = text(record.severityText, `${field}.severityText`) || (severityNumber >= 1 && severityNumber <= 24 ? SEVERITY_NAMES[Math.floor((severityNumber - 1) / 4)] : undefined);
  const claims = newClaims();
  const named = attrs['data_stream.dataset'] ?? ctx.resource['data_stream.dataset'];
  let dataset = typeof named === 'string' && named !== '' ? named : OTLP_DATASET;
  if (isReservedDataset(dataset)) {
    claimDataset(claims, dataset);
    dataset = claimedDataset(dataset);
  }
  const message = typeof body === 'string' ? body : body === null ? '' : JSON.stringify(body);
  const event: JsonObject = {
    '@timestamp': time?.iso ?? opts.nowIso,
    message,
    event: {
      id: contentId([ctx.resource, ctx.scope, time?.raw ?? null, record.observedTimeUnixNano ?? null, severityNumber, level ?? null, body, attrs, traceId ?? null, spanId ?? null]),
      kind: 'event',
      dataset,
      ingested: opts.nowIso,
    },
    attributes: attrs,
    resource: { attributes: ctx.resource },
  };
  if (typeof body !== 'string' && body !== null) event.body = body;
  if (ctx.scope.name) event.scope = ctx.scope;
  if (level) setPath(event, ['log', 'level'], level);
  const severity = severityFromLevel(level);
  if (severity !== undefined) (event.event as JsonObject).severity = severity;
  if (traceId) event.trace = { id: traceId };
  if (spanId) event.span = { id: spanId };
  for (const [key, path] of IDENTITY) {
    const value = ctx.resource[key];
    if (typeof value === 'string' && value !== '') {
      setPath(event, path, value);
      const claimed = attrs[key];
      if (path[0] === 'kubernetes' && typeof claimed === 'string' && claimed !== '' && claimed !== value) claimIdentity(claims, path, claimed);
    }
  }
  if (isObject(event.kubernetes)) event.orchestrator = { type: 'kubernetes', ...(event.kubernetes.namespace ? { namespace: event.kubernetes.namespace } : {}) };
  event.data_stream = { type: 'logs', dataset, namespace: 'default' };
  attachClaims(event, claims);
  return event as Event;
}

function nanos(value: unknown, field: string): { iso: string; raw: string } | undefined {
  if (value === undefined || value === null || value === '0' || value === 0) return undefined;
  const raw = String(value);
  const iso = /^\d+$/.test(raw) ? isoFromNanosString(raw) : undefined;
  if (iso === undefined) throw badField(field, `is not Unix nanoseconds: ${JSON.stringify(value)}`);
  return { iso, raw };
}

/** The request's records to events and per-record errors, in record order across resources and scopes. */
export function mapOtlpRequest(request: OtlpRequest, opts: ResolvedOptions): DecodeResult {
  const events: Event[] = [];
  const errors: RecordError[] = [];
  let index = 0;
  list(request.resourceLogs, 'resourceLogs').forEach((rl, r) => {
    const scopes = isObject(rl) ? list((rl as JsonObject).scopeLogs, `resourceLogs[${r}].scopeLogs`) : [];
    const count = scopes.reduce<number>((n, s) => n + (isObject(s) && Array.isArray(s.logRecords) ? s.logRecords.length : 0), 0);
    let resource: Scope['resource'];
    try {
      if (!isObject(rl)) throw badField(`resourceLogs[${r}]`, `must be an object, got ${jsonType(rl)}`);
      const res = (rl as JsonObject).resource;
      resource = attributes(isObject(res) ? res.attributes : undefined, `resourceLogs[${r}].resource.attributes`, 0, opts);
    } catch (err) {
      // A resource that cannot be read costs its own records only, counted at the first one's index.
      errors.push(toRecordError(index, err));
      index += Math.max(count, 1);
      return;
    }
    scopes.forEach((sl, s) => {
      const path = `resourceLogs[${r}].scopeLogs[${s}]`;
      const scopeObj = isObject(sl) && isObject(sl.scope) ? sl.scope : {};
      const records = isObject(sl) ? list(sl.logRecords, `${path}.logRecords`) : [];
      let scope: Scope['scope'];
      try {
        scope = { name: text(scopeObj.name, `${path}.scope.name`), version: text(scopeObj.version, `${path}.scope.version`) };
        if (scope.version === undefined) delete scope.version;
        if (scope.name === undefined) delete scope.name;
      } catch (err) {
        errors.push(toRecordError(index, err));
        index += records.length;
        return;
      }
      records.forEach((record, i) => {
        try {
          events.push(recordEvent(record, { resource, scope }, `${path}.logRecords[${i}]`, opts));
        } catch (err) {
          errors.push(toRecordError(index, err));
        }
        index++;
      });
    });
  });
  return { events, errors };
}

export function decodeOtlpLogs(body: Buffer, mediaType: string, options?: DecodeOptions): DecodeResult {
  const opts = resolveOptions(options);
  return guardBody(() => {
    if (mediaType === 'application/x-protobuf') {
      let request: OtlpRequest;
      try {
        request = decodeProtoRequest(body);
      } catch (err) {
        throw new BulwarkError('BWK_INGEST_BAD_PROTOBUF', `the body is not an OTLP ExportLogsServiceRequest: ${(err as Error).message}`);
      }
      return mapOtlpRequest(request, opts);
    }
    if (mediaType !== 'application/json') {
      throw new BulwarkError('BWK_INGEST_UNSUPPORTED_MEDIA_TYPE', `OTLP logs are application/x-protobuf or application/json, not ${mediaType}`, { media_type: mediaType });
    }
    const parsed = parseJson(decodeWhole(body, opts));
    if (!parsed.ok) throw new BulwarkError('BWK_INGEST_BAD_JSON', `the body is not valid JSON: ${parsed.message}`, { reason: parsed.message });
    if (!isObject(parsed.value)) throw new BulwarkError('BWK_INGEST_BAD_FIELD', 'the body must be {"resourceLogs":[…]}', { field: 'resourceLogs' });
    return mapOtlpRequest(parsed.value as OtlpRequest, opts);
  });
}

export const otlpLogsDecoder = defineDecoder({
  name: 'otlp-logs',
  routes: [{ path: '/v1/logs', methods: ['POST'] }],
  body: { mediaTypes: ['application/x-protobuf', 'application/json'], charsets: 'utf-8' },
  source: 'logs',
  accepts: ['logs'],
  reply: 'otlp',
  docs: {
    summary: 'OpenTelemetry logs (OTLP/HTTP), protobuf or JSON',
    description:
      'OTLP/HTTP logs as the OpenTelemetry SDKs and Collector export them (`application/x-protobuf` or `application/json`, gzip ' +
      'allowed). Each log record is an event: the body as `message` (a structured body also at `body`), severity as `log.level`, ' +
      '`trace.id`/`span.id`, `attributes` and `resource.attributes` as sent; Kubernetes, container, service and host identity from ' +
      'resource attributes only. Dataset `otel.logs` unless a `data_stream.dataset` attribute names another. Answered as OTLP ' +
      'does: 200 with an empty response, or `partialSuccess` naming the rejected records; 400 when none was good.',
  },
  decode: ({ body, options, mediaType }) => decodeOtlpLogs(body, mediaType, options),
});
