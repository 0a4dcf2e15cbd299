/**
 * Generic events, `POST /v1/ingest/events`: one event, a JSON array of events, or NDJSON of events, already in
 * Bulwark's event model (packages/schema/src/event.ts). This is the one decoder that runs the zod schema on every
 * record — the senders are scripts and integrations, volumes are small, and a precise message beats speed here.
 *
 * Defaults are filled first: `event.id` ← contentId of the record as sent (before any default is added, so a retry
 * maps to the same id), `event.dataset` ← `generic`, `event.ingested` ← now, `@timestamp` ← now when absent (an
 * ISO string with any fractional precision or epoch millis is normalized to ISO milliseconds; one that is present
 * but unparseable is BAD_FIELD `@timestamp`), `data_stream` ← logs/<dataset>/default. Dotted top-level keys are
 * expanded as for shipper documents. Then `EventSchema` validates; the first issue becomes BAD_FIELD with its path.
 *
 * Trust (`trust.ts`): the sender is a script, not a detector, so a reserved dataset (`falco.alerts`,
 * `kubernetes.audit`…) becomes `claimed.<dataset>` with the claim at `bulwark.claimed.dataset`, and a record's own
 * `bulwark` key moves to `bulwark.claimed.payload`. There is no shipper metadata here: the record's identity fields are
 * all there is, and its provenance (`logs`) says who wrote them.
 */
import { EventSchema, type Event } from '@bulwark/schema';
import { contentId } from './content-id.js';
import { defineDecoder } from './decoder-descriptor.js';
import { expandDottedKeys, hasDottedKey, isObject, type JsonObject } from './fields.js';
import { decodeObjectRecords } from './json-records.js';
import { resolveOptions, type DecodeOptions, type DecodeResult, type ResolvedOptions } from './options.js';
import { badField, guardBody } from './problems.js';
import { toIsoTimestamp } from './timestamp.js';
import { attachClaims, claimDataset, claimedDataset, isReservedDataset, newClaims, takePayloadBulwark } from './trust.js';

export const GENERIC_DATASET = 'generic';

/** `a.b[2].c` from a zod issue path. */
function dottedPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) out += typeof seg === 'number' ? `[${seg}]` : out === '' ? String(seg) : `.${String(seg)}`;
  return out;
}

function fillDefaults(record: JsonObject, opts: ResolvedOptions, raw: string | undefined): void {
  const given = isObject(record.event) ? record.event.id : undefined;
  // Only an absent id is filled; one of the wrong type is left for the schema to report rather than replaced.
  const id = given === undefined || given === null || given === '' ? contentId(record) : undefined;
  if (hasDottedKey(record)) expandDottedKeys(record);
  const claims = newClaims();
  takePayloadBulwark(record, claims);
  const ts = record['@timestamp'];
  if (ts === undefined || ts === null) record['@timestamp'] = opts.nowIso;
  else {
    const iso = toIsoTimestamp(ts, 'ms');
    if (iso === undefined) throw badField('@timestamp', `is not an ISO 8601 timestamp or epoch milliseconds: ${JSON.stringify(ts)}`);
    record['@timestamp'] = iso;
  }
  if (record.event === undefined || record.event === null) record.event = {};
  if (!isObject(record.event)) return; // left for the schema to report
  const meta = record.event;
  if (id !== undefined) meta.id = id;
  if (meta.dataset === undefined || meta.dataset === null || meta.dataset === '') meta.dataset = GENERIC_DATASET;
  const ds = isObject(record.data_stream) ? record.data_stream.dataset : undefined;
  for (const claimed of [meta.dataset, ds]) {
    if (typeof claimed === 'string' && isReservedDataset(claimed)) claimDataset(claims, claimed);
  }
  if (typeof meta.dataset === 'string' && isReservedDataset(meta.dataset)) meta.dataset = claimedDataset(meta.dataset);
  if (typeof ds === 'string' && isReservedDataset(ds)) (record.data_stream as JsonObject).dataset = claimedDataset(ds);
  attachClaims(record, claims);
  meta.ingested = opts.nowIso;
  if (opts.keepOriginal && raw !== undefined && meta.original === undefined) meta.original = raw;
  if (record.data_stream === undefined && typeof meta.dataset === 'string') {
    record.data_stream = { type: 'logs', dataset: meta.dataset, namespace: 'default' };
  }
}

function validate(record: JsonObject): Event {
  const result = EventSchema.safeParse(record);
  if (result.success) return record as Event;
  const issue = result.error.issues[0]!;
  const field = dottedPath(issue.path);
  throw badField(field || '(record)', `is invalid: ${issue.message}`);
}

/** Decodes generic events; each record is checked against the event schema after defaults are filled. */
export function decodeGenericEvents(body: Buffer, opts?: DecodeOptions): DecodeResult {
  return guardBody(() => {
    const o = resolveOptions(opts);
    return decodeObjectRecords(body, o, 'an event', (value, raw) => {
      fillDefaults(value, o, raw);
      return validate(value);
    });
  });
}

export const genericEventsDecoder = defineDecoder({
  name: 'events',
  routes: [{ path: '/v1/ingest/events', methods: ['POST'] }],
  body: { mediaTypes: ['application/json', 'application/x-ndjson'], charsets: 'any' },
  source: 'logs',
  accepts: ['logs'],
  reply: 'summary',
  docs: {
    summary: "events in Bulwark's model: one, an array, or NDJSON",
    description:
      "Events already in Bulwark's event model (packages/schema/src/event.ts): one object, a JSON array, or NDJSON. Defaults are " +
      'filled (`event.id` from the record as sent, dataset `generic`, `@timestamp` now), then every record is checked against the ' +
      'event schema; the first problem names its field. A reserved dataset is recorded as a claim (`claimed.<dataset>`).',
  },
  decode: ({ body, options }) => decodeGenericEvents(body, options),
});
