/**
 * The Elasticsearch document APIs as shippers use them (Filebeat, Logstash, Vector, Fluent Bit, rsyslog, the
 * official clients' `helpers.bulk`):
 *
 * - `_bulk` — https://www.elastic.co/guide/en/elasticsearch/reference/8.15/docs-bulk.html: NDJSON, an action line
 *   (`{"index":{…}}`, `{"create":{…}}`, `{"delete":{…}}`, `{"update":{…}}`) followed, except for `delete`, by a
 *   source line. We store `index` and `create`; `delete`/`update` answer BAD_ACTION for that item only (a log store
 *   does not rewrite history). Action metadata `_index` and `_id` are used; everything else (`_type` from 6.x
 *   shippers, `pipeline`, `require_alias`, `routing`, `dynamic_templates`…) is accepted and ignored.
 * - `POST /{index}/_doc`, `PUT /{index}/_doc/{id}` — one JSON document.
 *
 * Robustness beyond Elasticsearch (which fails the whole request on a malformed action line): CRLF, blank lines and
 * a missing final newline are tolerated; an action line that is not JSON is an item error and the line after it is
 * consumed as its (skipped) source, so the rest of the batch stays aligned.
 */
import { BulwarkError, type Event, type RecordError } from '@bulwark/schema';
import { isObject, type JsonObject } from './fields.js';
import { parseJson } from './json-records.js';
import { normalizeDocument, type NormalizeContext } from './normalize.js';
import { resolveOptions, type DecodeOptions, type ResolvedOptions } from './options.js';
import { guardBody, jsonType, RecordProblem, toRecordError } from './problems.js';
import { assertSafeRecord } from './safety.js';
import { decodeWhole, isBlank, splitLines, type LineText } from './text.js';

export interface BulkItem {
  action: 'index' | 'create';
  /** `_index` of the action line, else the URL's index, else `logs-generic-default`. */
  index: string;
  /** `_id` of the action line (or the URL) when given. */
  id?: string;
  /**
   * Set when the item is good; `event.event.id === id` when an id was given, else the protocol's own id (a native
   * audit event's `${auditID}-${stage}`), else a content hash of the index and the source line (`textId`), so a
   * retried batch maps to the same ids.
   */
  event?: Event;
  /** Set when the item is bad; `error.index` is the item's ordinal in the request. */
  error?: RecordError;
  /**
   * The action line's verb when it was neither `index` nor `create` (`delete`, `update`, or an unknown one), so a
   * response can name the item the way Elasticsearch does (`{"delete":{…,"status":400}}`). Such items always carry
   * `error`, and `action` is then `index`.
   */
  requestedAction?: string;
}

export const DEFAULT_BULK_INDEX = 'logs-generic-default';

/** Elasticsearch limits `_id` to 512 bytes. */
const MAX_ID_BYTES = 512;

/** Index names Elasticsearch accepts: lowercase, none of `\ / * ? " < > | , # :` or space, not `.`/`..`, not -_+ first. */
function checkIndexName(name: string, field: string): void {
  const bad = !/^[^\\/*?"<>| ,#:A-Z]+$/.test(name) || /^[-_+]/.test(name) || name === '.' || name === '..';
  if (bad || Buffer.byteLength(name) > 255) {
    throw new RecordProblem('BWK_INGEST_BAD_ACTION', `invalid index name "${name}"`, field);
  }
}

interface ParsedAction {
  action: 'index' | 'create';
  index: string;
  id?: string;
}

/** What a failed action line tells us: enough to answer the item, and whether a source line follows it. */
class ActionProblem extends RecordProblem {
  constructor(
    problem: RecordProblem,
    readonly hasSource: boolean,
    readonly verb?: string,
    readonly index?: string,
    readonly id?: string,
  ) {
    super(problem.code, problem.message, problem.field);
  }
}

/** A document id as Elasticsearch accepts it (a number is taken as its text), or throws BAD_ACTION at `field`. */
function checkId(id: unknown, field: string): string {
  const text = typeof id === 'number' && Number.isFinite(id) ? String(id) : id;
  if (typeof text !== 'string' || text === '' || Buffer.byteLength(text) > MAX_ID_BYTES) {
    throw new RecordProblem('BWK_INGEST_BAD_ACTION', `_id must be a non-empty string of at most ${MAX_ID_BYTES} bytes`, field);
  }
  return text;
}

function actionMeta(meta: JsonObject, verb: string): { index?: string; id?: string } {
  const index = meta._index;
  if (index !== undefined && typeof index !== 'string') {
    throw new RecordProblem('BWK_INGEST_BAD_ACTION', `_index must be a string, got ${jsonType(index)}`, `${verb}._index`);
  }
  const id = meta._id === undefined ? undefined : checkId(meta._id, `${verb}._id`);
  return { ...(index !== undefined ? { index } : {}), ...(id !== undefined ? { id } : {}) };
}

/** Parses an action line, or throws an ActionProblem saying whether to skip a source line. */
function parseAction(line: LineText, opts: ResolvedOptions, defaultIndex: string): ParsedAction {
  if (line === null) {
    throw new ActionProblem(new RecordProblem('BWK_INGEST_BAD_ENCODING', `action line is not valid ${opts.encoding}`), true);
  }
  const parsed = parseJson(line);
  if (!parsed.ok) throw new ActionProblem(new RecordProblem('BWK_INGEST_BAD_JSON', `action line is not valid JSON: ${parsed.message}`), true);
  const value = parsed.value;
  const verbs = isObject(value) ? Object.keys(value) : [];
  const verb = verbs[0];
  if (verbs.length !== 1 || verb === undefined) {
    const problem = new RecordProblem('BWK_INGEST_BAD_ACTION', 'action line must be an object with exactly one action');
    throw new ActionProblem(problem, true);
  }
  const meta = (value as JsonObject)[verb];
  try {
    assertSafeRecord(value, opts.maxDepth);
    if (!isObject(meta)) throw new RecordProblem('BWK_INGEST_BAD_ACTION', `action metadata must be an object, got ${jsonType(meta)}`, verb);
    const { index = defaultIndex, id } = actionMeta(meta, verb);
    checkIndexName(index, `${verb}._index`);
    if (verb === 'index' || verb === 'create') return { action: verb, index, ...(id !== undefined ? { id } : {}) };
    const known = verb === 'delete' || verb === 'update';
    const why = known ? `the ${verb} action is not supported: Bulwark stores logs append-only` : `unknown action "${verb}"`;
    throw new ActionProblem(new RecordProblem('BWK_INGEST_BAD_ACTION', why), verb !== 'delete', verb, index, id);
  } catch (err) {
    if (err instanceof ActionProblem) throw err;
    const safe = isObject(meta) ? meta : {};
    const index = typeof safe._index === 'string' ? safe._index : defaultIndex;
    const id = typeof safe._id === 'string' ? safe._id : undefined;
    throw new ActionProblem(err as RecordProblem, verb !== 'delete', verb, index, id);
  }
}

/** Parses, checks and normalizes one source document. */
function decodeSource(line: LineText, action: ParsedAction, opts: ResolvedOptions): Event {
  if (line === null) throw new RecordProblem('BWK_INGEST_BAD_ENCODING', `source line is not valid ${opts.encoding}`);
  const value = parseOrThrow(line, 'BWK_INGEST_BAD_JSON', 'source line is not valid JSON: ');
  if (!isObject(value)) {
    throw new RecordProblem('BWK_INGEST_BAD_LINE', `source must be a JSON object, got ${jsonType(value)}`);
  }
  assertSafeRecord(value, opts.maxDepth);
  const ctx: NormalizeContext = {
    index: action.index,
    now: opts.now,
    nowIso: opts.nowIso,
    raw: line,
    keepOriginal: opts.keepOriginal,
    idFromRaw: true,
    nativeSources: opts.nativeSources,
  };
  if (action.id !== undefined) ctx.id = action.id;
  return normalizeDocument(value, ctx);
}

/** JSON.parse, a failure thrown as a RecordProblem with V8's message (which names the position) after `prefix`. */
function parseOrThrow(text: string, code: 'BWK_INGEST_BAD_JSON', prefix: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RecordProblem(code, prefix + (err as Error).message);
  }
}

function errorItem(ordinal: number, err: unknown, action: ParsedAction, requested?: string): BulkItem {
  return {
    action: action.action,
    index: action.index,
    ...(action.id !== undefined ? { id: action.id } : {}),
    error: toRecordError(ordinal, err),
    ...(requested !== undefined ? { requestedAction: requested } : {}),
  };
}

/** The item for an action line that failed: named after its verb when that was index/create, else `requestedAction`. */
function failedActionItem(ordinal: number, p: ActionProblem, defaultIndex: string): BulkItem {
  const storable = p.verb === 'index' || p.verb === 'create';
  const action: ParsedAction = {
    action: p.verb === 'create' ? 'create' : 'index',
    index: p.index ?? defaultIndex,
    ...(p.id !== undefined ? { id: p.id } : {}),
  };
  return errorItem(ordinal, p, action, storable ? undefined : p.verb);
}

/** A cursor over the non-blank lines of the body. */
function lineCursor(lines: LineText[]): () => LineText | undefined {
  let i = 0;
  return () => {
    while (i < lines.length) {
      const line = lines[i++]!;
      if (line === null || !isBlank(line)) return line;
    }
    return undefined;
  };
}

/** Decodes a `_bulk` body into one item per action, in request order. Throws BWK_INGEST_EMPTY for no actions. */
export function decodeBulk(body: Buffer, opts?: DecodeOptions & { defaultIndex?: string }): BulkItem[] {
  return guardBody(() => {
    const o = resolveOptions(opts);
    const defaultIndex = opts?.defaultIndex ?? DEFAULT_BULK_INDEX;
    const next = lineCursor(splitLines(body, o));
    const items: BulkItem[] = [];
    // Shippers repeat one action line through a request (`{"create":{"_index":"logs-app-default"}}`): the parse of
    // the last good one is reused when the next is the same text (its result depends on nothing else in the body).
    let lastActionLine: string | undefined;
    let lastAction: ParsedAction | undefined;
    for (let line = next(); line !== undefined; line = next()) {
      const ordinal = items.length;
      let action: ParsedAction;
      try {
        if (line !== null && line === lastActionLine) action = lastAction!;
        else {
          action = parseAction(line, o, defaultIndex);
          if (line !== null) {
            lastActionLine = line;
            lastAction = action;
          }
        }
      } catch (err) {
        const p = err as ActionProblem;
        if (p.hasSource) next();
        items.push(failedActionItem(ordinal, p, defaultIndex));
        continue;
      }
      const source = next();
      if (source === undefined) {
        items.push(errorItem(ordinal, new RecordProblem('BWK_INGEST_BAD_LINE', 'the action line has no source line after it'), action));
        break;
      }
      try {
        const event = decodeSource(source, action, o);
        const item: BulkItem = { action: action.action, index: action.index };
        if (action.id !== undefined) item.id = action.id;
        item.event = event;
        items.push(item);
      } catch (err) {
        items.push(errorItem(ordinal, err, action));
      }
    }
    if (items.length === 0) throw new BulwarkError('BWK_INGEST_EMPTY', 'the bulk body holds no actions');
    return items;
  });
}

/**
 * One document for `POST /{index}/_doc` or `PUT /{index}/_doc/{id}`. The body as a whole failing (empty, invalid
 * bytes, not JSON) throws; a document that is JSON but unusable (not an object, too deep, a reserved key, a field of
 * the wrong type) comes back as an item with `error`, like a bad bulk item.
 */
export function decodeSingleDoc(body: Buffer, index: string, id: string | undefined, opts?: DecodeOptions): BulkItem {
  return guardBody(() => {
    const o = resolveOptions(opts);
    const text = decodeWhole(body, o);
    if (isBlank(text)) throw new BulwarkError('BWK_INGEST_EMPTY', 'the request body is empty');
    const parsed = parseJson(text);
    if (!parsed.ok) throw new BulwarkError('BWK_INGEST_BAD_JSON', `the body is not valid JSON: ${parsed.message}`, { reason: parsed.message });
    const action: ParsedAction = { action: 'index', index, ...(id !== undefined ? { id } : {}) };
    try {
      checkIndexName(index, '_index');
      if (id !== undefined) checkId(id, '_id');
      if (!isObject(parsed.value)) throw new RecordProblem('BWK_INGEST_BAD_LINE', `the document must be a JSON object, got ${jsonType(parsed.value)}`);
      assertSafeRecord(parsed.value, o.maxDepth);
      const raw = text.trim();
      const event = normalizeDocument(parsed.value, { index, ...(id !== undefined ? { id } : {}), now: o.now, raw, keepOriginal: o.keepOriginal, idFromRaw: true, nativeSources: o.nativeSources });
      return { ...action, event };
    } catch (err) {
      return errorItem(0, err, action);
    }
  });
}
