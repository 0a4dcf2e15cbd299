/**
 * Reads bodies that are "one JSON value, a JSON array of them, or NDJSON" (Falco, generic events) into records with
 * their ordinal, so the decoders only map. Falco's `http_output` posts one object per request; `json_output` files
 * piped to us are NDJSON; some senders batch into an array. NDJSON is newline-delimited JSON
 * (https://github.com/ndjson/ndjson-spec): one value per line, blank lines ignored.
 */
import { BulwarkError } from '@bulwark/schema';
import type { ResolvedOptions } from './options.js';
import { jsonType, RecordProblem, toRecordError } from './problems.js';
import { assertSafeRecord } from './safety.js';
import type { Event, RecordError } from '@bulwark/schema';
import { decodeWhole, isBlank, splitLines } from './text.js';

/** One record: its ordinal in the body, the parsed value (or the problem), and its text for `event.original`. */
export interface JsonRecord {
  index: number;
  value?: unknown;
  problem?: RecordProblem;
  /** Raw text of the record; for array elements re-serialized, and only when `keepOriginal` asks for it. */
  raw?: string;
}

/** JSON.parse that reports instead of throwing; V8 message includes the position. */
export function parseJson(text: string): { ok: true; value: unknown } | { ok: false; message: string } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, message: (err as Error).message };
  }
}

function fromWholeValue(value: unknown, text: string, opts: ResolvedOptions): JsonRecord[] {
  if (!Array.isArray(value)) return [{ index: 0, value, raw: text }];
  if (value.length === 0) throw new BulwarkError('BWK_INGEST_EMPTY', 'the body is an empty JSON array');
  return value.map((element, index) => ({ index, value: element, ...(opts.keepOriginal ? { raw: JSON.stringify(element) } : {}) }));
}

function fromLines(body: Buffer, opts: ResolvedOptions): JsonRecord[] {
  const records: JsonRecord[] = [];
  for (const line of splitLines(body, opts)) {
    if (line !== null && isBlank(line)) continue;
    const index = records.length;
    if (line === null) {
      records.push({ index, problem: new RecordProblem('BWK_INGEST_BAD_ENCODING', `line is not valid ${opts.encoding}`) });
      continue;
    }
    const parsed = parseJson(line);
    records.push(
      parsed.ok
        ? { index, value: parsed.value, raw: line }
        : { index, raw: line, problem: new RecordProblem('BWK_INGEST_BAD_JSON', `line is not valid JSON: ${parsed.message}`) },
    );
  }
  return records;
}

/**
 * Splits a body into JSON records. The whole body is tried as one JSON value first (an object, or an array whose
 * elements are the records); if that fails it is NDJSON, one record per non-blank line, and a bad line is one record
 * error. A body in which no line is JSON at all (or a broken array) is not a batch with bad records but a bad body,
 * and throws BWK_INGEST_BAD_JSON.
 */
export function readJsonRecords(body: Buffer, opts: ResolvedOptions): JsonRecord[] {
  let text: string | undefined;
  try {
    text = decodeWhole(body, opts);
  } catch {
    text = undefined; // invalid bytes somewhere: read line by line so only the bad lines fail
  }
  if (text !== undefined) {
    const trimmed = text.trim();
    if (trimmed === '') throw new BulwarkError('BWK_INGEST_EMPTY', 'the body holds no records');
    const whole = parseJson(trimmed);
    if (whole.ok) return fromWholeValue(whole.value, trimmed, opts);
    if (trimmed.startsWith('[')) {
      throw new BulwarkError('BWK_INGEST_BAD_JSON', `the body is not valid JSON: ${whole.message}`, { reason: whole.message });
    }
  }
  const records = fromLines(body, opts);
  if (records.length === 0) throw new BulwarkError('BWK_INGEST_EMPTY', 'the body holds no records');
  if (records.every((r) => r.problem?.code === 'BWK_INGEST_BAD_JSON')) {
    const reason = records[0]!.problem!.message;
    throw new BulwarkError('BWK_INGEST_BAD_JSON', `the body is neither JSON nor NDJSON: ${reason}`, { reason });
  }
  return records;
}

/**
 * The record loop of the JSON-object protocols (Falco, generic events): each record must be a safe JSON object, which
 * `map` turns into an event; a record that fails becomes a record error and the others go on.
 */
export function decodeObjectRecords(
  body: Buffer,
  o: ResolvedOptions,
  noun: string,
  map: (value: Record<string, unknown>, raw: string | undefined) => Event,
): { events: Event[]; errors: RecordError[] } {
  const events: Event[] = [];
  const errors: RecordError[] = [];
  for (const record of readJsonRecords(body, o)) {
    try {
      if (record.problem) throw record.problem;
      const value = record.value;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) {
        throw new RecordProblem('BWK_INGEST_BAD_FIELD', `${noun} must be a JSON object, got ${jsonType(value)}`);
      }
      assertSafeRecord(value, o.maxDepth);
      events.push(map(value as Record<string, unknown>, record.raw));
    } catch (err) {
      errors.push(toRecordError(record.index, err));
    }
  }
  return { events, errors };
}
