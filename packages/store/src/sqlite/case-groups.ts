/**
 * The SQL of `SqliteCaseStore.groups`: the records of a checked query grouped by the string value of a field, the
 * largest groups first. Three statements over the same matching records — the groups with their counts, the counts by
 * a second field within the chosen groups, and each chosen group's latest record (a window function) — rather than one
 * statement joining them, so each stays a plain GROUP BY or ROW_NUMBER that SQLite runs in one pass.
 */
import type { CaseCollection, CheckedQuery } from '../case-port.js';
import { jsonPath } from './case-index.js';
import { matchSql } from './case-page.js';

export interface GroupStatements {
  /** Rows `{ key, n }`: the largest groups, at most `size`. */
  groups: { sql: string; params: unknown[] };
  /** Rows `{ key, value, n }` for the given keys (appended to params), when a count field is asked for. */
  counts: ((keys: string[]) => { sql: string; params: unknown[] }) | null;
  /** Rows `{ key, doc }`: each given key's record with the largest `latest` (ties: the largest id). */
  latest: (keys: string[]) => { sql: string; params: unknown[] };
}

export function groupSql(collection: CaseCollection, q: CheckedQuery, field: string, latest: string, countBy?: string): GroupStatements {
  const { where, params } = matchSql(collection, q);
  const key = `json_extract(r.doc, '${jsonPath(field)}')`;
  const keyed = `${where} AND json_type(r.doc, '${jsonPath(field)}') = 'text'`;
  const inKeys = (keys: string[]) => `${key} IN (${keys.map(() => '?').join(', ')})`;
  return {
    groups: {
      sql: `SELECT ${key} AS key, count(*) AS n FROM case_records r WHERE ${keyed} GROUP BY key ORDER BY n DESC, key ASC LIMIT ?`,
      params: [...params, q.size],
    },
    counts:
      countBy === undefined
        ? null
        : (keys) => ({
            sql:
              `SELECT ${key} AS key, json_extract(r.doc, '${jsonPath(countBy)}') AS value, count(*) AS n FROM case_records r ` +
              `WHERE ${keyed} AND ${inKeys(keys)} AND json_type(r.doc, '${jsonPath(countBy)}') = 'text' GROUP BY key, value`,
            params: [...params, ...keys],
          }),
    latest: (keys) => ({
      sql:
        `SELECT key, doc FROM (SELECT ${key} AS key, r.doc AS doc, ROW_NUMBER() OVER (PARTITION BY ${key} ` +
        `ORDER BY json_extract(r.doc, '${jsonPath(latest)}') DESC NULLS LAST, r.id DESC) AS rn ` +
        `FROM case_records r WHERE ${keyed} AND ${inKeys(keys)}) WHERE rn = 1`,
      params: [...params, ...keys],
    }),
  };
}
