/**
 * Loki push API, `POST /loki/api/v1/push` (https://grafana.com/docs/loki/latest/reference/loki-http-api/#ingest-logs),
 * in both encodings: JSON `{"streams":[{"stream":{labels},"values":[["<unix ns>","line"],["<unix ns>","line",
 * {structured metadata}]]}]}` and snappy-compressed protobuf (`loki-proto.ts`).
 *
 * Each entry is an event: `message` ← line, `@timestamp` ← the entry time (nanoseconds, kept to the millisecond),
 * `labels` ← stream labels plus structured metadata (a stream label wins a name clash), and from well-known label
 * names: namespace|k8s_namespace_name|kubernetes_namespace → kubernetes.namespace, pod|k8s_pod_name|pod_name →
 * kubernetes.pod.name, container|k8s_container_name|container_name → kubernetes.container.name,
 * node_name|host|hostname → host.name, level|severity|detected_level → log.level (and event.severity).
 * Identity fields (namespace, pod, container, node) come from stream labels only (see `lokiEvent`).
 * `event.dataset` is `loki.logs` unless a `dataset` label names one. `event.id` hashes labels + time + line, so a
 * JSON and a protobuf push of the same entry get the same id.
 *
 * Record index = the entry's ordinal across all streams. A stream that is malformed as a whole (labels that do not
 * parse, `values` not an array) is one error at the ordinal of its first entry.
 */
import { BulwarkError, severityFromLevel, type Event, type RecordError } from '@bulwark/schema';
import { isUtf8 } from 'node:buffer';
import { contentId } from './content-id.js';
import { defineDecoder } from './decoder-descriptor.js';
import { isObject, scalarText, type JsonObject } from './fields.js';
import { parseJson } from './json-records.js';
import { decodePushRequest, int64ToNumber, type ProtoStream } from './loki-proto.js';
import { resolveOptions, type DecodeOptions, type DecodeResult, type ResolvedOptions } from './options.js';
import { parseLabelSet } from './prom-labels.js';
import { badField, guardBody, jsonType, RecordProblem, toRecordError } from './problems.js';
import { assertSafeRecord, isForbiddenKey } from './safety.js';
import { decodeWhole } from './text.js';
import { attachClaims, claimDataset, claimedDataset, claimIdentity, isReservedDataset, newClaims } from './trust.js';
import { isoFromNanosString, isoFromSecondsNanos } from './timestamp.js';

export const LOKI_DATASET = 'loki.logs';
/** Default ceiling on an uncompressed protobuf body. */
export const DEFAULT_MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

export type LokiOptions = DecodeOptions & { maxDecompressedBytes?: number };

const LABEL_TARGETS: ReadonlyArray<readonly [readonly string[], readonly string[]]> = [
  [['namespace', 'k8s_namespace_name', 'kubernetes_namespace'], ['kubernetes', 'namespace']],
  [['pod', 'k8s_pod_name', 'pod_name'], ['kubernetes', 'pod', 'name']],
  [['container', 'k8s_container_name', 'container_name'], ['kubernetes', 'container', 'name']],
  [['node_name', 'host', 'hostname'], ['host', 'name']],
  [['level', 'severity', 'detected_level'], ['log', 'level']],
];

type Labels = Record<string, string>;

/** Label pairs to a map; reserved names (`__proto__`…) are a record problem, like any other reserved key. */
function labelMap(pairs: Iterable<readonly [string, string]>, field: string, into: Labels = {}): Labels {
  for (const [name, value] of pairs) {
    if (isForbiddenKey(name)) throw new RecordProblem('BWK_INGEST_FORBIDDEN_KEY', `label "${name}" is reserved and not allowed`, field);
    if (!Object.hasOwn(into, name)) into[name] = value;
  }
  return into;
}

function setPath(root: JsonObject, path: readonly string[], value: string): void {
  let node = root;
  for (const seg of path.slice(0, -1)) node = (node[seg] ??= {}) as JsonObject;
  node[path[path.length - 1]!] = value;
}

/** The label names that set identity fields (pod, namespace, container, node): read from stream labels only. */
const IDENTITY_TARGETS = LABEL_TARGETS.slice(0, 4);

/**
 * One entry to an Event; `idKey` is the entry time as sent (full nanosecond precision) for the content id. `labels` is
 * the stream labels merged with the entry's structured metadata (a stream label wins); `metadata` is the latter alone.
 * Identity fields come from stream labels only — the shipper's service discovery — because structured metadata is
 * often extracted from the line itself; a metadata value that contradicts a stream identity label is claimed
 * (`trust.ts`). A reserved `dataset` label (`falco.alerts`…) becomes `claimed.<dataset>`.
 */
function lokiEvent(stream: Labels, labels: Labels, metadata: Labels | undefined, iso: string, idKey: string, line: string, opts: ResolvedOptions): Event {
  const claims = newClaims();
  let dataset = labels.dataset || LOKI_DATASET;
  if (isReservedDataset(dataset)) {
    claimDataset(claims, dataset);
    dataset = claimedDataset(dataset);
  }
  const event: JsonObject = {
    '@timestamp': iso,
    message: line,
    event: { id: contentId([labels, idKey, line]), kind: 'event', dataset, ingested: opts.nowIso },
    labels,
  };
  for (const [names, target] of LABEL_TARGETS) {
    const identity = IDENTITY_TARGETS.some(([, t]) => t === target);
    const source = identity ? stream : labels;
    const name = names.find((n) => Object.hasOwn(source, n) && source[n] !== '');
    const winner = name === undefined ? undefined : source[name]!;
    if (winner !== undefined) setPath(event, target, winner);
    if (identity && metadata && winner !== undefined) {
      const claimed = names.map((n) => (Object.hasOwn(metadata, n) ? metadata[n] : undefined)).find((v) => v !== undefined && v !== '');
      if (claimed !== undefined && claimed !== winner) claimIdentity(claims, target, claimed);
    }
  }
  if (isObject(event.kubernetes)) {
    const ns = event.kubernetes.namespace as string | undefined;
    event.orchestrator = { type: 'kubernetes', ...(ns ? { namespace: ns } : {}) };
  }
  const severity = severityFromLevel((event.log as JsonObject | undefined)?.level as string | undefined);
  if (severity !== undefined) (event.event as JsonObject).severity = severity;
  if (opts.keepOriginal) (event.event as JsonObject).original = line;
  event.data_stream = { type: 'logs', dataset, namespace: 'default' };
  attachClaims(event, claims);
  return event as Event;
}

interface Sink {
  events: Event[];
  errors: RecordError[];
  next: number;
}

function decodeJsonEntry(entry: unknown, streamLabels: Labels, path: string, opts: ResolvedOptions): Event {
  if (!Array.isArray(entry) || entry.length < 2 || entry.length > 3) throw badField(path, 'must be ["<unix ns>", "<line>"] or with a third structured-metadata object');
  const [ts, line, meta] = entry as [unknown, unknown, unknown];
  if (typeof ts !== 'string') throw badField(`${path}[0]`, `must be a string of Unix nanoseconds, got ${jsonType(ts)}`);
  const iso = isoFromNanosString(ts);
  if (iso === undefined) throw badField(`${path}[0]`, `is not a Unix nanosecond timestamp: ${JSON.stringify(ts)}`);
  if (typeof line !== 'string') throw badField(`${path}[1]`, `must be a string, got ${jsonType(line)}`);
  const labels = labelMap(Object.entries(streamLabels), path); // each event owns its labels object
  let metadata: Labels | undefined;
  if (meta !== undefined && meta !== null) {
    if (!isObject(meta)) throw badField(`${path}[2]`, `must be an object of strings, got ${jsonType(meta)}`);
    metadata = labelMap(Object.entries(meta).map(([k, v]) => [k, stringLabel(v, `${path}[2].${k}`)] as const), `${path}[2]`);
    labelMap(Object.entries(metadata), `${path}[2]`, labels);
  }
  return lokiEvent(streamLabels, labels, metadata, iso, ts, line, opts);
}

function stringLabel(value: unknown, field: string): string {
  const text = scalarText(value);
  if (text === undefined) throw badField(field, `must be a string, got ${jsonType(value)}`);
  return text;
}

function decodeJsonStream(stream: unknown, s: number, sink: Sink, opts: ResolvedOptions): void {
  const path = `streams[${s}]`;
  const first = sink.next;
  const values = isObject(stream) && Array.isArray(stream.values) ? (stream.values as unknown[]) : undefined;
  let labels: Labels;
  try {
    if (!isObject(stream)) throw badField(path, `must be an object, got ${jsonType(stream)}`);
    if (!values) throw badField(`${path}.values`, 'must be an array of entries');
    assertSafeRecord(stream, opts.maxDepth, path);
    const given = stream.stream ?? {};
    if (!isObject(given)) throw badField(`${path}.stream`, `must be an object of label strings, got ${jsonType(given)}`);
    labels = labelMap(Object.entries(given).map(([k, v]) => [k, stringLabel(v, `${path}.stream.${k}`)] as const), `${path}.stream`);
  } catch (err) {
    sink.errors.push(toRecordError(first, err));
    sink.next += values?.length ?? 0;
    return;
  }
  values.forEach((entry, e) => {
    const index = sink.next++;
    try {
      sink.events.push(decodeJsonEntry(entry, labels, `${path}.values[${e}]`, opts));
    } catch (err) {
      sink.errors.push(toRecordError(index, err));
    }
  });
}

function decodeJsonPush(body: Buffer, opts: ResolvedOptions, sink: Sink): void {
  const parsed = parseJson(decodeWhole(body, opts));
  if (!parsed.ok) throw new BulwarkError('BWK_INGEST_BAD_JSON', `the body is not valid JSON: ${parsed.message}`, { reason: parsed.message });
  const streams = isObject(parsed.value) ? parsed.value.streams : undefined;
  if (!Array.isArray(streams)) throw new BulwarkError('BWK_INGEST_BAD_FIELD', 'the body must be {"streams":[…]}', { field: 'streams' });
  streams.forEach((stream, s) => decodeJsonStream(stream, s, sink, opts));
}

function utf8Text(bytes: Uint8Array | undefined, field: string): string {
  if (!bytes || bytes.length === 0) return '';
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (!isUtf8(buf)) throw new RecordProblem('BWK_INGEST_BAD_ENCODING', `${field} is not valid UTF-8`, field);
  return buf.toString('utf8');
}

function decodeProtoStream(stream: ProtoStream, s: number, sink: Sink, opts: ResolvedOptions): void {
  const path = `streams[${s}]`;
  const entries = stream.entries ?? [];
  let labels: Labels;
  try {
    const text = utf8Text(stream.labels, `${path}.labels`);
    try {
      labels = labelMap(parseLabelSet(text), `${path}.labels`);
    } catch (err) {
      if (err instanceof RecordProblem) throw err;
      throw badField(`${path}.labels`, `is not a label set: ${(err as Error).message}`);
    }
  } catch (err) {
    sink.errors.push(toRecordError(sink.next, err));
    sink.next += entries.length;
    return;
  }
  entries.forEach((entry, e) => {
    const index = sink.next++;
    const field = `${path}.entries[${e}]`;
    try {
      const seconds = int64ToNumber(entry.timestamp?.seconds);
      const nanos = entry.timestamp?.nanos ?? 0;
      const iso = isoFromSecondsNanos(seconds, nanos);
      if (iso === undefined) throw badField(`${field}.timestamp`, 'is out of range');
      const line = utf8Text(entry.line, `${field}.line`);
      const meta = (entry.structuredMetadata ?? []).map(
        (p, m) => [utf8Text(p.name, `${field}.structuredMetadata[${m}].name`), utf8Text(p.value, `${field}.structuredMetadata[${m}].value`)] as const,
      );
      const metadata = meta.length > 0 ? labelMap(meta, `${field}.structuredMetadata`) : undefined;
      const merged = labelMap(Object.entries(metadata ?? {}), `${field}.structuredMetadata`, labelMap(Object.entries(labels), field));
      const idKey = `${seconds}${String(nanos).padStart(9, '0')}`;
      sink.events.push(lokiEvent(labels, merged, metadata, iso, idKey, line, opts));
    } catch (err) {
      sink.errors.push(toRecordError(index, err));
    }
  });
}

function isProtobuf(contentType: string): boolean {
  const type = contentType.split(';')[0]!.trim().toLowerCase();
  if (type === 'application/json' || type.endsWith('+json')) return false;
  // Loki itself treats anything that is not JSON as protobuf; we accept the types senders actually use.
  if (type === 'application/x-protobuf' || type === 'application/protobuf' || type === '') return true;
  throw new BulwarkError('BWK_INGEST_UNSUPPORTED_MEDIA_TYPE', `Loki push takes application/json or application/x-protobuf, not "${type}"`, {
    contentType: type,
  });
}

/** Decodes a Loki push body; `contentType` is the request's media type (parameters allowed). */
export function decodeLokiPush(body: Buffer, contentType: string, opts?: LokiOptions): DecodeResult {
  return guardBody(() => {
    const o = resolveOptions(opts);
    const sink: Sink = { events: [], errors: [], next: 0 };
    const protobufBody = isProtobuf(contentType);
    if (body.length === 0) throw new BulwarkError('BWK_INGEST_EMPTY', 'the request body is empty');
    if (protobufBody) {
      const streams = decodePushRequest(body, opts?.maxDecompressedBytes ?? DEFAULT_MAX_DECOMPRESSED_BYTES);
      streams.forEach((stream, s) => decodeProtoStream(stream, s, sink, o));
    } else {
      decodeJsonPush(body, o, sink);
    }
    if (sink.next === 0 && sink.errors.length === 0) throw new BulwarkError('BWK_INGEST_EMPTY', 'the push holds no log entries');
    return { events: sink.events, errors: sink.errors };
  });
}

export const lokiDecoder = defineDecoder({
  name: 'loki',
  routes: [{ path: '/loki/api/v1/push', methods: ['POST'] }],
  body: { mediaTypes: ['application/json', 'application/x-protobuf'], charsets: 'utf-8', compression: 'snappy (protobuf bodies)' },
  source: 'logs',
  accepts: ['logs'],
  reply: 'summary',
  // Loki answers 204 on success; Promtail, Grafana Alloy and the Docker driver expect any 2xx.
  successStatus: 204,
  docs: {
    summary: 'Loki push, JSON or protobuf+snappy',
    description:
      'The Loki push API as Promtail, Grafana Alloy and the Docker driver send it: JSON streams, or snappy-compressed protobuf ' +
      '(`application/x-protobuf`; other media types answer 415). Each entry is an event: the line as ' +
      '`message`, stream labels and structured metadata as `labels`, well-known label names mapped to kubernetes.*, host.name and ' +
      'log.level (identity fields from stream labels only). A JSON and a protobuf push of one entry get the same `event.id`.',
  },
  decode: ({ body, options, mediaType }) => decodeLokiPush(body, mediaType, options),
});
