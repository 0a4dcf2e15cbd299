/**
 * Falco alerts: Falco's own JSON output (`json_output: true`, posted by `http_output` or read from a file as NDJSON)
 * and the Falcosidekick webhook payload, which is the same object plus a `uuid`
 * (https://falco.org/docs/concepts/outputs/formatting/, https://github.com/falcosecurity/falcosidekick).
 *
 * `{"hostname","output","priority","rule","source","tags","time","output_fields":{…}}` maps to:
 * `@timestamp` ← time (nanosecond RFC 3339, kept to the millisecond), `message` ← output, `rule.name` ← rule,
 * `event.kind` alert, `event.module` falco, `log.level` ← priority lowercased, `event.severity` ← the priority on the
 * syslog scale (Emergency … Debug), `tags`, `host.name` ← hostname, and from `output_fields`:
 * k8s.ns.name, k8s.pod.name/uid → kubernetes.*; container.id/name, container.image.repository[:tag] → container.*;
 * proc.name/exepath/cmdline/pid/args → process.*; user.name/uid → user.*; fd.sip/fd.cip → destination/source.ip;
 * evt.type → event.action. Falco prints `<NA>` or null for fields it could not resolve, and `host` as the container
 * id of processes outside containers: those map to nothing. The raw fields stay under `falco.output_fields`
 * (flat, dotted keys as Falco names them), with `falco.priority` and `falco.source`.
 * `event.id` ← uuid (Falcosidekick) else a content hash of the alert.
 */
import { severityFromLevel, type Event } from '@bulwark/schema';
import { contentId } from './content-id.js';
import { defineDecoder } from './decoder-descriptor.js';
import { isObject, optObject, optString, putDefined, toStringList, type JsonObject } from './fields.js';
import { decodeObjectRecords } from './json-records.js';
import { resolveOptions, type DecodeOptions, type DecodeResult, type ResolvedOptions } from './options.js';
import { badField, guardBody } from './problems.js';
import { toIsoTimestamp } from './timestamp.js';

export const FALCO_DATASET = 'falco.alerts';

/** An output field's value as text; Falco's "could not resolve" markers count as absent. */
function fieldText(fields: JsonObject, key: string): string | undefined {
  const v = Object.hasOwn(fields, key) ? fields[key] : undefined;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  if (typeof v !== 'string' || v === '' || v === '<NA>' || v === 'N/A') return undefined;
  return v;
}

function fieldInt(fields: JsonObject, key: string): number | undefined {
  const text = fieldText(fields, key);
  const n = text === undefined ? Number.NaN : Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function nonEmpty(obj: JsonObject): JsonObject | undefined {
  return Object.keys(obj).length > 0 ? obj : undefined;
}

function mapContainer(fields: JsonObject): JsonObject | undefined {
  const id = fieldText(fields, 'container.id');
  if (id === undefined || id === 'host') return undefined; // `host`: the process runs outside any container
  const repo = fieldText(fields, 'container.image.repository');
  const tag = fieldText(fields, 'container.image.tag');
  const image = repo ?? fieldText(fields, 'container.image');
  const container: JsonObject = { id };
  putDefined(container, 'name', fieldText(fields, 'container.name'));
  if (image) container.image = { name: repo && tag ? `${repo}:${tag}` : image };
  return container;
}

function mapProcess(fields: JsonObject): JsonObject | undefined {
  const proc: JsonObject = {};
  putDefined(proc, 'pid', fieldInt(fields, 'proc.pid'));
  putDefined(proc, 'name', fieldText(fields, 'proc.name'));
  putDefined(proc, 'executable', fieldText(fields, 'proc.exepath'));
  putDefined(proc, 'command_line', fieldText(fields, 'proc.cmdline'));
  const args = fieldText(fields, 'proc.args');
  if (args !== undefined) proc.args = args.split(/\s+/).filter(Boolean); // Falco joins argv with spaces
  return nonEmpty(proc);
}

/** ECS fields from `output_fields` (see the module comment). */
function mapOutputFields(event: JsonObject, fields: JsonObject): void {
  const ns = fieldText(fields, 'k8s.ns.name');
  const pod = fieldText(fields, 'k8s.pod.name');
  const podUid = fieldText(fields, 'k8s.pod.uid');
  if (ns || pod) {
    const k8s: JsonObject = {};
    putDefined(k8s, 'namespace', ns);
    if (pod || podUid) k8s.pod = { ...(pod ? { name: pod } : {}), ...(podUid ? { uid: podUid } : {}) };
    event.kubernetes = k8s;
    event.orchestrator = { type: 'kubernetes', ...(ns ? { namespace: ns } : {}) };
  }
  putDefined(event, 'container', mapContainer(fields));
  putDefined(event, 'process', mapProcess(fields));
  const user: JsonObject = {};
  putDefined(user, 'name', fieldText(fields, 'user.name'));
  putDefined(user, 'id', fieldText(fields, 'user.uid'));
  putDefined(event, 'user', nonEmpty(user));
  const sip = fieldText(fields, 'fd.sip');
  const cip = fieldText(fields, 'fd.cip');
  if (sip) event.destination = { ip: sip };
  if (cip) event.source = { ip: cip };
  putDefined(event.event as JsonObject, 'action', fieldText(fields, 'evt.type'));
}

/**
 * A Falco alert as Falco writes it (`rule`, `priority` and `output` strings, and `output_fields` or `time`): how a
 * `_bulk` document is recognised as one — mapped natively only for a token granted `falco` (see `trust.ts`).
 */
export function isFalcoAlertShape(doc: JsonObject): boolean {
  return (
    typeof doc.rule === 'string' &&
    typeof doc.priority === 'string' &&
    typeof doc.output === 'string' &&
    (isObject(doc.output_fields) || doc.time !== undefined)
  );
}

/** One Falco alert to an Event; exported for `normalizeDocument` (a granted `_bulk` sender's Falco file output). */
export function mapFalcoAlert(alert: JsonObject, opts: Pick<ResolvedOptions, 'nowIso' | 'keepOriginal'>, raw: string | undefined): Event {
  const rule = optString(alert, 'rule', 'rule');
  if (!rule) throw badField('rule', 'is required (is this a Falco alert?)');
  const output = optString(alert, 'output', 'output');
  const priority = optString(alert, 'priority', 'priority');
  const source = optString(alert, 'source', 'source');
  const hostname = optString(alert, 'hostname', 'hostname');
  const uuid = optString(alert, 'uuid', 'uuid');
  const time = alert.time;
  const timestamp = time === undefined || time === null ? opts.nowIso : toIsoTimestamp(time, 'auto');
  if (timestamp === undefined) throw badField('time', `is not a timestamp: ${JSON.stringify(time)}`);
  const fields = optObject(alert, 'output_fields', 'output_fields') ?? {};
  const severity = severityFromLevel(priority);

  const event: JsonObject = {
    '@timestamp': timestamp,
    event: {
      id: uuid || contentId(alert),
      kind: 'alert',
      dataset: FALCO_DATASET,
      module: 'falco',
      ingested: opts.nowIso,
      ...(severity !== undefined ? { severity } : {}),
      ...(opts.keepOriginal && raw !== undefined ? { original: raw } : {}),
    },
    rule: { name: rule },
  };
  putDefined(event, 'message', output);
  if (priority) event.log = { level: priority.toLowerCase() };
  if (alert.tags !== undefined && alert.tags !== null) event.tags = toStringList(alert.tags, 'tags');
  if (hostname) event.host = { name: hostname };
  mapOutputFields(event, fields);
  event.falco = { output_fields: fields, ...(priority ? { priority } : {}), ...(source ? { source } : {}) };
  event.data_stream = { type: 'logs', dataset: FALCO_DATASET, namespace: 'default' };
  return event as Event;
}

/** Decodes a Falco / Falcosidekick body: one alert, an array of alerts, or NDJSON of alerts. */
export function decodeFalco(body: Buffer, opts?: DecodeOptions): DecodeResult {
  return guardBody(() => {
    const o = resolveOptions(opts);
    return decodeObjectRecords(body, o, 'a Falco alert', (value, raw) => mapFalcoAlert(value, o, raw));
  });
}

export const falcoDecoder = defineDecoder({
  name: 'falco',
  routes: [{ path: '/v1/ingest/falco', methods: ['POST'] }],
  body: { mediaTypes: ['application/json', 'application/x-ndjson'], charsets: 'any' },
  source: 'falco',
  accepts: ['falco'],
  reply: 'summary',
  docs: {
    summary: 'Falco JSON output and Falcosidekick webhook payloads',
    description:
      "Falco's JSON output (`json_output: true`, from `http_output` or a file) and the Falcosidekick webhook payload: one alert, " +
      'an array, or NDJSON. Each alert is an `event.kind: alert` event in `falco.alerts`: rule, priority as `log.level` and ' +
      '`event.severity`, and the output fields mapped to kubernetes.*, container.*, process.*, user.*; the raw fields stay under ' +
      '`falco.output_fields`. `event.id` is the Falcosidekick uuid, else a content hash.',
  },
  decode: ({ body, options }) => decodeFalco(body, options),
});
