/**
 * Container log lines as the runtime writes them to disk, one format detected per line:
 *
 * - Docker `json-file` driver: `{"log":"text\n","stream":"stdout","time":"2024-05-01T10:00:00.123456789Z"}`. Docker
 *   splits a long line into 16 KiB chunks; every chunk but the last lacks the trailing `\n`
 *   (moby daemon/logger/jsonfilelog). Optional `attrs` (from `--log-opt labels/env`) become `labels`.
 * - CRI (containerd, CRI-O), per the kubelet CRI logging proposal
 *   (kubernetes/design-proposals-archive node/kubelet-cri-logging.md): `<RFC3339Nano time> <stdout|stderr> <tag>
 *   <text>`, tag `P` for a partial line, `F` for the last part (further tags may follow after `:`).
 *
 * Partial lines are reassembled per stream: CRI `P` parts and Docker chunks without `\n` are joined with the
 * following parts of the same stream until the `F` / `\n`-terminated one; the event takes the first part's time.
 * A line still partial when the body ends is emitted as it is, tagged `partial`. The message is the text without
 * its line terminator and is never parsed further (a JSON app log stays a string: simple and predictable).
 *
 * Fields: `stream` (top level, as Filebeat, Fluent Bit and Vector name it, so `stream:stderr` finds errors from every
 * source), `log.file.path` ← the file path, and from the path (`container-path.ts`) kubernetes.pod.name,
 * .namespace, .container.name, .pod.uid and container.id. Dataset `kubernetes.container_logs` when the path names a
 * pod, else `container.logs`. `event.id` hashes path + stream + time as written + text.
 */
import { BulwarkError, type Event, type RecordError } from '@bulwark/schema';
import { contentId } from './content-id.js';
import { defineDecoder } from './decoder-descriptor.js';
import { isObject, toStringMap, type JsonObject } from './fields.js';
import { parseJson } from './json-records.js';
import { parseContainerLogPath, type ContainerPathInfo } from './container-path.js';
import { resolveOptions, type DecodeOptions, type DecodeResult, type ResolvedOptions } from './options.js';
import { badField, guardBody, jsonType, RecordProblem, toRecordError } from './problems.js';
import { assertSafeRecord } from './safety.js';
import { isBlank, splitLines } from './text.js';
import { toIsoTimestamp } from './timestamp.js';

export const PARTIAL_TAG = 'partial';

/** One physical line, parsed. */
interface LogLine {
  stream: string;
  time: string;
  text: string;
  partial: boolean;
  labels?: Record<string, string>;
}

/** A logical line being reassembled from its parts. */
interface Pending {
  index: number;
  time: string;
  iso: string;
  parts: string[];
  raws: string[];
  labels?: Record<string, string>;
}

const CRI_RE = /^(\S+) (stdout|stderr) ([PF])(?::\S*)?(?: (.*))?$/s;

function parseDockerLine(line: string, maxDepth: number): LogLine {
  const parsed = parseJson(line);
  if (!parsed.ok) throw new RecordProblem('BWK_INGEST_BAD_JSON', `Docker json-file line is not valid JSON: ${parsed.message}`);
  const rec = parsed.value;
  if (!isObject(rec)) throw new RecordProblem('BWK_INGEST_BAD_LINE', `Docker json-file line must be an object, got ${jsonType(rec)}`);
  assertSafeRecord(rec, maxDepth);
  if (typeof rec.log !== 'string') throw badField('log', `must be a string, got ${jsonType(rec.log)}`);
  if (rec.stream !== 'stdout' && rec.stream !== 'stderr') throw badField('stream', `must be "stdout" or "stderr", got ${JSON.stringify(rec.stream)}`);
  if (typeof rec.time !== 'string') throw badField('time', `must be a string, got ${jsonType(rec.time)}`);
  const complete = rec.log.endsWith('\n');
  return {
    stream: rec.stream,
    time: rec.time,
    text: complete ? rec.log.slice(0, -1) : rec.log,
    partial: !complete,
    ...(rec.attrs !== undefined && rec.attrs !== null ? { labels: toStringMap(rec.attrs, 'attrs') } : {}),
  };
}

function parseCriLine(line: string): LogLine {
  const m = CRI_RE.exec(line);
  if (!m) throw new RecordProblem('BWK_INGEST_BAD_LINE', 'line is neither a Docker json-file record nor a CRI log line ("<time> <stream> <P|F> <text>")');
  return { time: m[1]!, stream: m[2]!, partial: m[3] === 'P', text: m[4] ?? '' };
}

function parseLine(line: string, opts: ResolvedOptions): { parsed: LogLine; iso: string } {
  const parsed = line.charCodeAt(0) === 123 /* { */ ? parseDockerLine(line, opts.maxDepth) : parseCriLine(line);
  const iso = toIsoTimestamp(parsed.time);
  if (iso === undefined) throw badField('time', `is not an RFC 3339 timestamp: ${JSON.stringify(parsed.time)}`);
  return { parsed, iso };
}

function isPod(info: ContainerPathInfo): boolean {
  return info.pod !== undefined && info.namespace !== undefined;
}

/** Sets the fields the file path gives; fresh objects per event, so events never share (and never alias) state. */
function applyPath(event: JsonObject, path: string | undefined, info: ContainerPathInfo): void {
  if (path) event.log = { file: { path } };
  if (isPod(info)) {
    const pod: JsonObject = { name: info.pod };
    if (info.podUid) pod.uid = info.podUid;
    event.kubernetes = { namespace: info.namespace, pod, container: { name: info.container } };
    event.orchestrator = { type: 'kubernetes', namespace: info.namespace };
  }
  if (info.containerId) event.container = { id: info.containerId };
}

/** Builds the event of a complete (or, at body end, unfinished) logical line. */
function toEvent(p: Pending, stream: string, unfinished: boolean, ctx: EventContext): Event {
  const message = p.parts.length === 1 ? p.parts[0]! : p.parts.join('');
  const event: JsonObject = {
    '@timestamp': p.iso,
    message,
    event: {
      id: contentId([ctx.path ?? '', stream, p.time, message]),
      kind: 'event',
      dataset: ctx.dataset,
      ingested: ctx.opts.nowIso,
      ...(ctx.opts.keepOriginal ? { original: p.raws.join('\n') } : {}),
    },
    stream,
  };
  applyPath(event, ctx.path, ctx.info);
  if (p.labels) event.labels = p.labels;
  if (unfinished) event.tags = [PARTIAL_TAG];
  event.data_stream = { type: 'logs', dataset: ctx.dataset, namespace: 'default' };
  return event as Event;
}

interface EventContext {
  path: string | undefined;
  info: ContainerPathInfo;
  dataset: string;
  opts: ResolvedOptions;
}

/** Decodes Docker json-file and/or CRI lines; `opts.path` is the log file they were read from, when known. */
export function decodeContainerLogs(body: Buffer, opts?: DecodeOptions & { path?: string }): DecodeResult {
  return guardBody(() => {
    const o = resolveOptions(opts);
    const info = parseContainerLogPath(opts?.path);
    const dataset = isPod(info) ? 'kubernetes.container_logs' : 'container.logs';
    const ctx: EventContext = { path: opts?.path, info, dataset, opts: o };
    const events: Event[] = [];
    const errors: RecordError[] = [];
    const pending = new Map<string, Pending>();
    let index = 0;
    for (const line of splitLines(body, o)) {
      if (line !== null && isBlank(line)) continue;
      const ordinal = index++;
      try {
        if (line === null) throw new RecordProblem('BWK_INGEST_BAD_ENCODING', `line is not valid ${o.encoding}`);
        const { parsed, iso } = parseLine(line, o);
        let p = pending.get(parsed.stream);
        if (!p) p = { index: ordinal, time: parsed.time, iso, parts: [], raws: [], ...(parsed.labels ? { labels: parsed.labels } : {}) };
        p.parts.push(parsed.text);
        if (o.keepOriginal) p.raws.push(line);
        if (parsed.partial) pending.set(parsed.stream, p);
        else {
          pending.delete(parsed.stream);
          events.push(toEvent(p, parsed.stream, false, ctx));
        }
      } catch (err) {
        errors.push(toRecordError(ordinal, err));
      }
    }
    for (const [stream, p] of [...pending].sort((a, b) => a[1].index - b[1].index)) events.push(toEvent(p, stream, true, ctx));
    if (index === 0) throw new BulwarkError('BWK_INGEST_EMPTY', 'the body holds no log lines');
    return { events, errors };
  });
}

export const containerLogsDecoder = defineDecoder({
  name: 'container-logs',
  routes: [{ path: '/v1/ingest/container-logs', methods: ['POST'] }],
  body: { mediaTypes: ['text/plain', 'application/x-ndjson'], charsets: 'any' },
  requestParams: { path: ['query:path', 'header:x-bulwark-log-path'] },
  source: 'logs',
  accepts: ['logs'],
  reply: 'summary',
  docs: {
    summary: 'Docker json-file or CRI lines (`?path=` names the log file); partial lines reassembled',
    description:
      'Container log lines as the runtime writes them: Docker `json-file` lines and CRI lines (containerd, CRI-O), detected per ' +
      'line. Partial lines (CRI `P`, Docker 16 KiB chunks) are joined per stream. The log file path (`?path=` or the ' +
      '`X-Bulwark-Log-Path` header, e.g. `/var/log/pods/<ns>_<pod>_<uid>/<container>/0.log`) names the pod, namespace and ' +
      'container. The message is never parsed further.',
  },
  decode: ({ body, options, params }) => decodeContainerLogs(body, { ...options, ...(params.path ? { path: params.path } : {}) }),
});
