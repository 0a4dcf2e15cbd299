/**
 * The CaseStore port: where alerts, incidents, playbook runs and the audit trail live. Unlike logs (append-only,
 * searched by text and time), these records are worked on by people and processes at once — an analyst assigns an
 * incident while the correlator bumps its alert count — so every write is guarded by optimistic concurrency: read a
 * record with its version, write back with `expectedVersion`, and a stale version is refused with `BWK_CONFLICT`
 * instead of silently overwriting someone else's change. The audit trail is append-only at the port itself.
 *
 * Adapters: `SqliteCaseStore` (embedded) and `SearchCaseStore` (Elasticsearch/OpenSearch); both pass
 * `test/contract/casestore-contract.ts`. The helpers below hold the rules both adapters must apply identically.
 */
import { createHash } from 'node:crypto';
import { BulwarkError } from '@bulwark/schema';
import type { SortOrder } from './port.js';

/**
 * The record families. `audit` is append-only: it can be appended to and read, never updated or deleted. `tokens`:
 * API tokens (hashes only) in scale mode, so every process accepts the same tokens (`CaseTokenStore`). `deadletter`:
 * events the correlator could not evaluate after its bounded retries, with the reason (docs/ARCHITECTURE.md, "Detection never stalls"), so one
 * poison event is set aside and visible instead of stalling detection for everything after it. `searches`: the
 * console's saved searches, each owned by one token. `sources`: ingest counters per route and token, flushed by each
 * collector process, so the console can show ingestion health across the processes of scale mode.
 */
export type CaseCollection = 'alerts' | 'incidents' | 'runs' | 'audit' | 'tokens' | 'deadletter' | 'searches' | 'sources';
/** The collections whose records may be updated or deleted. */
export type MutableCaseCollection = Exclude<CaseCollection, 'audit'>;
export const CASE_COLLECTIONS: readonly CaseCollection[] = ['alerts', 'incidents', 'runs', 'audit', 'tokens', 'deadletter', 'searches', 'sources'];

/**
 * What every stored record has: a string `id`, unique within its collection. The rest is the caller's JSON (the
 * detection and playbook issues define the shapes); it is stored and returned as JSON, so `Date`s come back as
 * strings. Keys must be non-empty and contain no `.` (dotted names address nested fields in filters), and top-level
 * keys must not start with `_` (the search engines reserve them). As the engines map each field to one type, a field
 * should keep one JSON type across the records of a collection and an array should hold values of one type; the
 * engine adapter refuses a record that breaks this with BWK_BAD_REQUEST.
 */
export interface CaseRecord {
  readonly id: string;
}

/** A record as stored, with the version to pass back as `expectedVersion`. */
export interface Versioned<T extends CaseRecord = CaseRecord> {
  record: T;
  /** Opaque: an integer counter in SQLite, `"<seq_no>:<primary_term>"` in the search engines. Compare, never parse. */
  version: string;
}

export interface CreateResult<T extends CaseRecord = CaseRecord> extends Versioned<T> {
  /** False when `ifAbsent` found the id already stored; `record` and `version` are then the stored ones. */
  created: boolean;
}

export interface CreateOptions {
  /** Return the stored record instead of failing when the id exists (deterministic ids: retries and replays). */
  ifAbsent?: boolean;
}

/** Exact match; an array matches any of its values. A document array field matches when any element matches. */
export type CaseFilterValue = string | number | boolean | readonly string[];

/**
 * Bounds on a field's value; every bound given must hold. All bounds are numbers or all are strings. Strings compare as
 * text in SQLite and as dates on the fields the engines map as dates (case-mappings.ts: `*_at`, `first_seen`,
 * `last_seen`, `@timestamp`), which agree for times written as `Date.toISOString()` does (UTC, milliseconds) — how
 * Bulwark writes them. Give bounds of the field's own type (a number field, numbers). A record without the field does
 * not match; a list field matches when one element satisfies every bound.
 */
export interface CaseRange {
  gte?: string | number;
  gt?: string | number;
  lte?: string | number;
  lt?: string | number;
}

export interface CaseQuery {
  /** Field path (top-level or dotted, e.g. `rule.id`) → value. All entries must match. */
  filter?: Readonly<Record<string, CaseFilterValue>>;
  /** Field path → bounds, e.g. `{ last_seen: { gte: '2024-05-01T00:00:00.000Z' } }`. All entries must hold. */
  range?: Readonly<Record<string, CaseRange>>;
  /** Default `{ field: 'id', order: 'asc' }`. Ties are broken by `id`; records missing the field come last. */
  sort?: { field: string; order: SortOrder };
  /** Page size, 1..{@link MAX_CASE_PAGE_SIZE}. */
  size: number;
  /** From the previous page of the same query. */
  cursor?: string;
}

export interface CasePage<T extends CaseRecord = CaseRecord> {
  items: Versioned<T>[];
  /** Pass back for the next page; null when there is none. */
  cursor: string | null;
}

export interface CaseStore {
  /** Create tables or indices; idempotent, safe when several processes start together. */
  init(): Promise<void>;
  /**
   * Store a new record. Resolves once a `get` or `query` can see it.
   * @throws BulwarkError BWK_CONFLICT (details `{collection, id}`) when the id exists, unless `ifAbsent`.
   */
  create<T extends CaseRecord>(collection: MutableCaseCollection, record: T, options?: CreateOptions): Promise<CreateResult<T>>;
  get<T extends CaseRecord = CaseRecord>(collection: CaseCollection, id: string): Promise<Versioned<T> | null>;
  /**
   * Replace a record whose stored version is still `expectedVersion`; returns the new version.
   * @throws BulwarkError BWK_CONFLICT (details `{collection, id, expected, actual}`) on a stale version;
   *   BWK_NOT_FOUND when there is no such record; BWK_BAD_REQUEST on `audit` or when `record.id !== id`.
   */
  update<T extends CaseRecord>(
    collection: MutableCaseCollection,
    id: string,
    record: T,
    options: { expectedVersion: string },
  ): Promise<string>;
  /**
   * Remove a record (if `expectedVersion` is given, only that version). False when there was none.
   * @throws BulwarkError BWK_CONFLICT on a stale version; BWK_BAD_REQUEST on `audit`.
   */
  delete(collection: MutableCaseCollection, id: string, options?: { expectedVersion?: string }): Promise<boolean>;
  /** Add an audit record. With `ifAbsent`, a replayed record (same id) is returned rather than refused. */
  append<T extends CaseRecord>(collection: 'audit', record: T, options?: CreateOptions): Promise<CreateResult<T>>;
  query<T extends CaseRecord = CaseRecord>(collection: CaseCollection, query: CaseQuery): Promise<CasePage<T>>;
  /**
   * How many records matching `filter` hold each string value of `field` (records without one are not counted), in
   * one aggregate read: what a metrics scrape asks (alerts and incidents by status), never a page walk.
   * @throws BulwarkError BWK_BAD_PARAM on a bad field path or filter, as `query`.
   */
  countBy(collection: CaseCollection, field: string, filter?: CaseQuery['filter'], range?: CaseQuery['range']): Promise<Record<string, number>>;
  /**
   * The records matching `filter` and `range` grouped by the string value of `group.field` (records without one are
   * left out), the largest groups first (ties by key), at most `group.size`: each with its count, its records counted
   * by the string values of `group.countBy`, and its record with the largest `group.latest` (ties: the largest id).
   * One aggregate read: the console's "group alerts by rule or entity".
   * @throws BulwarkError BWK_BAD_PARAM on a bad field path, filter, range or size.
   */
  groups<T extends CaseRecord = CaseRecord>(collection: CaseCollection, group: CaseGroupQuery): Promise<CaseGroup<T>[]>;
  /** True when the store can serve reads and writes (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface CaseGroupQuery {
  field: string;
  filter?: CaseQuery['filter'];
  range?: CaseQuery['range'];
  /** At most this many groups, 1..{@link MAX_CASE_PAGE_SIZE}. */
  size: number;
  /** The field whose largest value picks each group's `latest` record (e.g. `last_seen`). */
  latest: string;
  /** Also count each group's records by the string values of this field (e.g. `severity`). */
  countBy?: string;
}

export interface CaseGroup<T extends CaseRecord = CaseRecord> {
  key: string;
  count: number;
  /** By the values of `countBy` (empty without it). */
  counts: Record<string, number>;
  latest: T;
}

/** Largest page `query` serves: enough for a console table, small enough for one engine response. */
export const MAX_CASE_PAGE_SIZE = 1000;
/** The engines limit `_id` to 512 bytes; SQLite follows so both accept the same ids. */
export const MAX_CASE_ID_BYTES = 512;

const FIELD_PATH = /^[A-Za-z0-9_@-]+(?:\.[A-Za-z0-9_@-]+)*$/;

export function assertCollection(collection: string): asserts collection is CaseCollection {
  if (!(CASE_COLLECTIONS as readonly string[]).includes(collection)) {
    throw new BulwarkError('BWK_BAD_REQUEST', `unknown case collection ${JSON.stringify(collection)}`, { collection });
  }
}

/** Refuses writes other than appends to the audit trail, for callers that got past the types (casts, plain JS). */
export function assertMutable(collection: string, operation: 'update' | 'delete'): asserts collection is MutableCaseCollection {
  assertCollection(collection);
  if (collection === 'audit') {
    throw new BulwarkError('BWK_BAD_REQUEST', `the audit trail is append-only: ${operation} is refused`, { collection, operation });
  }
}

/** `create` serves every collection but the audit trail, whose records are added with `append`. */
export function assertCreatable(collection: string): asserts collection is MutableCaseCollection {
  assertCollection(collection);
  if (collection === 'audit') throw new BulwarkError('BWK_BAD_REQUEST', 'audit records are added with append', { collection });
}

/** `append` serves the audit trail only (a cast could send anything). */
export function assertAppendable(collection: string): asserts collection is 'audit' {
  if (collection !== 'audit') throw new BulwarkError('BWK_BAD_REQUEST', 'append is for the audit trail; use create', { collection });
}

/** The checks of `update`, shared by the adapters; returns the record's JSON. */
export function updateJson(collection: string, id: string, record: CaseRecord): string {
  assertMutable(collection, 'update');
  assertCaseId(id);
  const doc = recordJson(record);
  if (record.id !== id) throw new BulwarkError('BWK_BAD_REQUEST', 'the record id does not match the id updated', { id, recordId: record.id });
  return doc;
}

export function assertCaseId(id: unknown): asserts id is string {
  if (typeof id !== 'string' || id.length === 0 || Buffer.byteLength(id) > MAX_CASE_ID_BYTES) {
    throw new BulwarkError('BWK_BAD_REQUEST', `a case record id must be a non-empty string of at most ${MAX_CASE_ID_BYTES} bytes`, {
      field: 'id',
    });
  }
}

/** Checks the record rules of {@link CaseRecord} and returns its JSON, which both adapters store as is. */
export function recordJson(record: CaseRecord): string {
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new BulwarkError('BWK_BAD_REQUEST', 'a case record must be a JSON object');
  }
  assertCaseId(record.id);
  for (const key of Object.keys(record)) {
    if (key.startsWith('_')) throw badKey(key, 'top-level keys must not start with "_"');
  }
  checkKeys(record, '', 0);
  return JSON.stringify(record);
}

function checkKeys(value: unknown, path: string, depth: number): void {
  if (value === null || typeof value !== 'object') return;
  if (depth > 20) throw badKey(path, 'the record nests deeper than 20 levels');
  if (Array.isArray(value)) {
    for (const item of value) checkKeys(item, path, depth + 1);
    return;
  }
  for (const [key, child] of Object.entries(value)) {
    if (key === '' || key.includes('.')) throw badKey(`${path}${key}`, 'keys must be non-empty and contain no "."');
    checkKeys(child, `${path}${key}.`, depth + 1);
  }
}

function badKey(field: string, why: string): BulwarkError {
  return new BulwarkError('BWK_BAD_REQUEST', `invalid case record key ${JSON.stringify(field)}: ${why}`, { field });
}

export interface CheckedQuery {
  filter: Array<[field: string, value: CaseFilterValue]>;
  range: Array<[field: string, bounds: CaseRange]>;
  sort: { field: string; order: SortOrder };
  size: number;
  /** Decoded cursor position, adapter-specific (an array of sort values). */
  after: unknown[] | null;
  /** Identifies collection, filter and sort, so a cursor is only accepted by the query that made it. */
  fingerprint: string;
}

/** Validates a query once, the same way for every adapter; field paths are restricted so they are safe to embed. */
export function checkQuery(collection: CaseCollection, query: CaseQuery): CheckedQuery {
  const { size } = query;
  if (!Number.isInteger(size) || size < 1 || size > MAX_CASE_PAGE_SIZE) {
    throw new BulwarkError('BWK_BAD_PARAM', `size must be an integer from 1 to ${MAX_CASE_PAGE_SIZE}`, { param: 'size' });
  }
  const filter = Object.entries(query.filter ?? {});
  for (const [field, value] of filter) {
    checkField(field, 'filter');
    const values: unknown[] = Array.isArray(value) ? value : [value];
    const ok = Array.isArray(value)
      ? values.every((v) => typeof v === 'string')
      : typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value));
    if (!ok) throw new BulwarkError('BWK_BAD_PARAM', `filter ${field} must be a string, finite number, boolean or list of strings`, { param: 'filter', field });
  }
  const range = checkRange(query.range);
  const sort = query.sort ?? { field: 'id', order: 'asc' };
  checkField(sort.field, 'sort');
  if (sort.order !== 'asc' && sort.order !== 'desc') {
    throw new BulwarkError('BWK_BAD_PARAM', 'sort order must be asc or desc', { param: 'sort' });
  }
  const fingerprint = queryFingerprint(collection, filter, range, sort);
  const after = query.cursor === undefined ? null : decodeCaseCursor(query.cursor, fingerprint);
  return { filter, range, sort, size, after, fingerprint };
}

const RANGE_BOUNDS = ['gte', 'gt', 'lte', 'lt'] as const;

/** Each range names known bounds, at least one, all numbers (finite) or all strings. */
function checkRange(range: CaseQuery['range']): CheckedQuery['range'] {
  const entries = Object.entries(range ?? {});
  return entries.map(([field, bounds]) => {
    checkField(field, 'range');
    const bad = (why: string) => new BulwarkError('BWK_BAD_PARAM', `range ${field}: ${why}`, { param: 'range', field });
    if (bounds === null || typeof bounds !== 'object' || Array.isArray(bounds)) throw bad('must be an object of bounds');
    const keys = Object.keys(bounds);
    if (keys.length === 0) throw bad('give at least one of gte, gt, lte, lt');
    const unknown = keys.find((k) => !(RANGE_BOUNDS as readonly string[]).includes(k));
    if (unknown !== undefined) throw bad(`unknown bound ${JSON.stringify(unknown)}; use gte, gt, lte, lt`);
    const values = Object.values(bounds) as unknown[];
    const numbers = values.every((v) => typeof v === 'number' && Number.isFinite(v));
    const strings = values.every((v) => typeof v === 'string');
    if (!numbers && !strings) throw bad('bounds must all be finite numbers or all strings');
    const checked: CaseRange = {};
    for (const key of RANGE_BOUNDS) if (bounds[key] !== undefined) checked[key] = bounds[key];
    return [field, checked];
  });
}

/** Validates a group query the same way for every adapter; the filter and range go through {@link checkQuery}. */
export function checkGroupQuery(collection: CaseCollection, group: CaseGroupQuery): CheckedQuery {
  checkField(group.field, 'group');
  checkField(group.latest, 'latest');
  if (group.countBy !== undefined) checkField(group.countBy, 'countBy');
  return checkQuery(collection, {
    size: group.size,
    sort: { field: group.latest, order: 'desc' },
    ...(group.filter ? { filter: group.filter } : {}),
    ...(group.range ? { range: group.range } : {}),
  });
}

function checkField(field: string, what: string): void {
  if (typeof field !== 'string' || !FIELD_PATH.test(field)) {
    throw new BulwarkError('BWK_BAD_PARAM', `${what} field ${JSON.stringify(field)} is not a field path (letters, digits, _ @ - and dots)`, {
      param: what,
      field,
    });
  }
}

/** Ties a cursor to its query, so a cursor passed to a different query is refused rather than misread. */
function queryFingerprint(collection: string, filter: CheckedQuery['filter'], range: CheckedQuery['range'], sort: CheckedQuery['sort']): string {
  const byField = <E extends [string, unknown]>(entries: E[]) => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  // A query without ranges keeps the fingerprint it had before ranges existed, so cursors in hand stay valid.
  const canonical = JSON.stringify([collection, byField(filter), sort, ...(range.length ? [byField(range)] : [])]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 16);
}

/** Builds the cursor for the page after the one ending at sort position `after` (adapter-specific values). */
export function encodeCaseCursor(query: CheckedQuery, after: unknown[]): string {
  return Buffer.from(JSON.stringify({ f: query.fingerprint, a: after })).toString('base64url');
}

function decodeCaseCursor(cursor: string, fingerprint: string): unknown[] {
  let decoded: { f?: unknown; a?: unknown };
  try {
    decoded = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as typeof decoded;
  } catch {
    decoded = {};
  }
  if (decoded?.f !== fingerprint || !Array.isArray(decoded.a)) {
    throw new BulwarkError('BWK_BAD_PARAM', 'invalid cursor, or one from a different query; start again without a cursor', { param: 'cursor' });
  }
  return decoded.a;
}

export function conflictOnCreate(collection: CaseCollection, id: string): BulwarkError {
  return new BulwarkError('BWK_CONFLICT', `${collection} record ${JSON.stringify(id)} already exists`, { collection, id });
}

export function conflictOnVersion(collection: CaseCollection, id: string, expected: string, actual: string): BulwarkError {
  return new BulwarkError('BWK_CONFLICT', `${collection} record ${JSON.stringify(id)} changed since you read it`, {
    collection,
    id,
    expected,
    actual,
  });
}

export function caseNotFound(collection: CaseCollection, id: string): BulwarkError {
  return new BulwarkError('BWK_NOT_FOUND', `no ${collection} record ${JSON.stringify(id)}`, { collection, id });
}
