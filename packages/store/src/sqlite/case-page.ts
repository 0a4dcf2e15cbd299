/**
 * The SQL of `SqliteCaseStore.query`: one page of a checked query. A filter on a field declared in case-index.ts
 * drives the lookup through the `case_index` side table; every other filter reads the record's JSON.
 */
import { BulwarkError } from '@bulwark/schema';
import type { CaseCollection, CheckedQuery } from '../case-port.js';
import { drivingFilter, jsonPath } from './case-index.js';

/**
 * The SELECT for one page: size + 1 rows, so a next page is announced only when it exists. Field paths were checked
 * by `checkQuery` (letters, digits, `_@-` and dots only), so they are embedded as quoted JSON paths — the statement
 * cache then holds one statement per query shape — while every value is a bound parameter. Missing values sort last
 * in both orders and ties are broken by id, as in the search engines.
 */
export function pageSql(collection: CaseCollection, q: CheckedQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [collection];
  const where = ['r.collection = ?'];
  const driving = drivingFilter(collection, q.filter);
  if (driving) {
    // Only the records holding one of the values: an IN over the side table, which SQLite runs as index lookups.
    if (driving.values.length === 0) where.push('0');
    else {
      where.push(`r.id IN (SELECT x.id FROM case_index x WHERE x.collection = ? AND x.field = ? AND x.value IN (${driving.values.map(() => '?').join(', ')}))`);
      params.push(collection, driving.field, ...driving.values);
    }
  }
  for (const [field, value] of q.filter) if (field !== driving?.field) where.push(filterSql(field, value, params));
  for (const [field, bounds] of q.range) where.push(rangeSql(field, bounds, params));
  const [cmp, dir] = q.sort.order === 'asc' ? ['>', 'ASC'] : ['<', 'DESC'];
  const byId = q.sort.field === 'id';
  const sortValue = byId ? 'r.id' : `json_extract(r.doc, '${jsonPath(q.sort.field)}')`;
  if (q.after) {
    const [value, id] = byId ? [null, q.after[0]] : q.after;
    const valueOk = value === null || typeof value === 'string' || typeof value === 'number';
    if (q.after.length !== (byId ? 1 : 2) || typeof id !== 'string' || !valueOk) {
      throw new BulwarkError('BWK_BAD_PARAM', 'invalid cursor; start again without a cursor', { param: 'cursor' });
    }
    if (byId) where.push(`r.id ${cmp} ?`);
    else if (value === null) where.push(`(${sortValue} IS NULL AND r.id ${cmp} ?)`);
    else where.push(`(${sortValue} ${cmp} ? OR (${sortValue} = ? AND r.id ${cmp} ?) OR ${sortValue} IS NULL)`);
    params.push(...(byId || value === null ? [id] : [value, value, id]));
  }
  const order = byId ? `r.id ${dir}` : `sort_value ${dir} NULLS LAST, r.id ${dir}`;
  params.push(q.size + 1);
  const sql = `SELECT r.id, r.version, r.doc, ${sortValue} AS sort_value FROM case_records r WHERE ${where.join(' AND ')} ORDER BY ${order} LIMIT ?`;
  return { sql, params };
}

/** The WHERE of a checked query's filter and range (no cursor, no driving index): for the aggregate reads. */
export function matchSql(collection: CaseCollection, q: CheckedQuery): { where: string; params: unknown[] } {
  const params: unknown[] = [collection];
  const where = ['r.collection = ?'];
  const driving = drivingFilter(collection, q.filter);
  if (driving && driving.values.length > 0) {
    where.push(`r.id IN (SELECT x.id FROM case_index x WHERE x.collection = ? AND x.field = ? AND x.value IN (${driving.values.map(() => '?').join(', ')}))`);
    params.push(collection, driving.field, ...driving.values);
  }
  for (const [name, value] of q.filter) where.push(filterSql(name, value, params));
  for (const [name, bounds] of q.range) where.push(rangeSql(name, bounds, params));
  return { where: where.join(' AND '), params };
}

/** The SQL of `SqliteCaseStore.countBy`: the filter of a checked query, grouped by the string values of `field`. */
export function countSql(collection: CaseCollection, q: CheckedQuery, field: string): { sql: string; params: unknown[] } {
  const { where: matched, params } = matchSql(collection, q);
  const where = [matched];
  const value = `json_extract(r.doc, '${jsonPath(field)}')`;
  const sql = `SELECT ${value} AS value, count(*) AS n FROM case_records r WHERE ${where.join(' AND ')} AND json_type(r.doc, '${jsonPath(field)}') = 'text' GROUP BY value`;
  return { sql, params };
}

const RANGE_OPERATORS = { gte: '>=', gt: '>', lte: '<=', lt: '<' } as const;

/**
 * One range entry: some value at the path (each element of a list) of the bounds' type satisfies every bound. Text
 * compares as text (BINARY), so ISO times in one form compare as times (see `CaseRange`).
 */
function rangeSql(field: string, bounds: CheckedQuery['range'][number][1], params: unknown[]): string {
  const entries = Object.entries(bounds) as Array<[keyof typeof RANGE_OPERATORS, string | number]>;
  const type = typeof entries[0]![1] === 'number' ? "type IN ('integer', 'real')" : "type = 'text'";
  const conditions = entries.map(([bound, value]) => {
    params.push(value);
    return `atom ${RANGE_OPERATORS[bound]} ?`;
  });
  return `EXISTS (SELECT 1 FROM json_each(r.doc, '${jsonPath(field)}') WHERE ${type} AND ${conditions.join(' AND ')})`;
}

/**
 * One filter entry. `json_each` yields a scalar itself or each element of an array, so a field holding a list
 * (tags) matches when any element does, as a search engine's `term` does. Types must match: "5" does not match 5.
 */
function filterSql(field: string, value: CheckedQuery['filter'][number][1], params: unknown[]): string {
  const values = typeof value === 'object' ? [...value] : [value];
  if (values.length === 0) return '0';
  if (field === 'id' && typeof values[0] === 'string') {
    params.push(...values);
    return `r.id IN (${values.map(() => '?').join(', ')})`;
  }
  const each = `SELECT 1 FROM json_each(r.doc, '${jsonPath(field)}') WHERE`;
  if (typeof value === 'boolean') return `EXISTS (${each} type = '${value}')`;
  params.push(...values);
  const type = typeof value === 'number' ? "type IN ('integer', 'real')" : "type = 'text'";
  return `EXISTS (${each} ${type} AND atom IN (${values.map(() => '?').join(', ')}))`;
}
