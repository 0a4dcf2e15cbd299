/**
 * `CaseStore.query` in the engines' query DSL: a `bool` of `term`/`terms` filters (exact, no scoring), a sort with
 * `id` as tie-breaker, and `search_after` paging. The semantics match the SQLite adapter, which the contract checks.
 *
 * Records missing the sort field come last in both orders (`missing: _last`). The engines mark them with sentinel
 * sort values that do not survive JSON in JavaScript (a missing date sorts as ±2^63, which `JSON.parse` rounds, and
 * the rounded number is then refused as a date), so such a position is never sent back as `search_after`. A cursor
 * that ends among the records without the field is `[null, id]` instead — the same cursor the SQLite adapter makes —
 * and the next page asks for exactly those records (`must_not exists`), ordered by id.
 */
import { BulwarkError } from '@bulwark/schema';
import type { CaseRecord, CheckedQuery } from '../case-port.js';

/** What `_search` returns per hit with `seq_no_primary_term: true`. */
export interface CaseHit {
  _id: string;
  _source: CaseRecord;
  _seq_no: number;
  _primary_term: number;
  sort?: unknown[];
}

export function caseSearchBody(q: CheckedQuery): Record<string, unknown> {
  const filter = [...q.filter.map(([field, value]) => filterClause(field, value)), ...q.range.map(([field, bounds]) => rangeClause(field, bounds))];
  const mustNot: unknown[] = [];
  const idSort = { id: { order: q.sort.order } };
  let sort: unknown[];
  let searchAfter: unknown[] | undefined;
  const after = q.after ? checkedAfter(q) : null;
  if (q.sort.field === 'id') {
    sort = [idSort];
    searchAfter = after ?? undefined;
  } else if (after && after[0] === null) {
    mustNot.push({ exists: { field: q.sort.field } });
    sort = [idSort];
    searchAfter = [after[1]];
  } else {
    sort = [{ [q.sort.field]: { order: q.sort.order, missing: '_last', unmapped_type: 'keyword' } }, idSort];
    searchAfter = after ?? undefined;
  }
  return {
    size: q.size + 1,
    query: { bool: { filter, must_not: mustNot } },
    sort,
    ...(searchAfter ? { search_after: searchAfter } : {}),
    seq_no_primary_term: true,
    track_total_hits: false,
  };
}

/** A range: the engines compare a string bound with a keyword as text, with a date as a date (see `CaseRange`). */
function rangeClause(field: string, bounds: CheckedQuery['range'][number][1]): unknown {
  return { range: { [field]: { ...bounds } } };
}

function filterClause(field: string, value: CheckedQuery['filter'][number][1]): unknown {
  if (typeof value !== 'object') return { term: { [field]: value } };
  return value.length === 0 ? { match_none: {} } : { terms: { [field]: [...value] } };
}

/** The cursor of a page that ended with `last`, given the query that produced the page. */
export function cursorPosition(q: CheckedQuery, last: CaseHit): unknown[] {
  const id = last._source.id;
  if (q.sort.field === 'id') return [id];
  const inMissingZone = q.after !== null && q.after[0] === null;
  const value = last.sort?.[0];
  if (inMissingZone || isMissing(last._source, q.sort.field, value)) return [null, id];
  return [value, id];
}

/** True when the engine sorted this hit as missing the field: absent, null or empty, or given a sentinel value. */
function isMissing(record: CaseRecord, field: string, sortValue: unknown): boolean {
  const values = valuesAt(record, field.split('.'));
  if (values.length === 0) return true;
  // Present in the record yet sorted as missing: a value the engine did not index (ignore_above, ignore_malformed).
  return (
    sortValue === null ||
    sortValue === undefined ||
    sortValue === 'Infinity' ||
    sortValue === '-Infinity' ||
    (typeof sortValue === 'number' && Math.abs(sortValue) > Number.MAX_SAFE_INTEGER)
  );
}

/** The non-null values at a dotted path, looking through arrays as the engines do. */
function valuesAt(value: unknown, path: readonly string[]): unknown[] {
  if (value === null || value === undefined) return [];
  if (Array.isArray(value)) return value.flatMap((item) => valuesAt(item, path));
  if (path.length === 0) return [value];
  if (typeof value !== 'object') return [];
  return valuesAt((value as Record<string, unknown>)[path[0]!], path.slice(1));
}

/** A decoded cursor has the shape this adapter makes: `[id]` when sorting by id, else `[value | null, id]`. */
function checkedAfter(q: CheckedQuery): unknown[] {
  const after = q.after!;
  const byId = q.sort.field === 'id';
  const [value, id] = byId ? [null, after[0]] : after;
  const valueOk = value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
  if (after.length !== (byId ? 1 : 2) || typeof id !== 'string' || !valueOk) {
    throw new BulwarkError('BWK_BAD_PARAM', 'invalid cursor; start again without a cursor', { param: 'cursor' });
  }
  return after;
}
