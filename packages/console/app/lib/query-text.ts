/**
 * Query text helpers for the explorer: where a syntax error is (the API's `BWK_QUERY_SYNTAX` gives a 0-based
 * `details.position`, see packages/store/SEARCH.md), and field filters added to a query (filter in / filter out).
 * Pure, unit-tested in test/query-text.test.ts.
 */

export interface QueryErrorSpot {
  /** 0-based offset, clamped to the query (the end of the query when the parser wanted more). */
  position: number;
  /** The text before the error, the character at it ('' at the end), and the rest. */
  before: string;
  at: string;
  after: string;
  /** 1-based line and column, for a query written over several lines. */
  line: number;
  column: number;
}

export function locateQueryError(query: string, position: number): QueryErrorSpot {
  const pos = Number.isFinite(position) ? Math.min(Math.max(0, Math.trunc(position)), query.length) : query.length;
  const before = query.slice(0, pos);
  const lines = before.split('\n');
  return {
    position: pos,
    before,
    at: query.slice(pos, pos + 1),
    after: query.slice(pos + 1),
    line: lines.length,
    column: (lines[lines.length - 1]?.length ?? 0) + 1,
  };
}

/** A value as the query language writes it: bare when it is a plain word, else quoted with `"` and `\` escaped. */
export function quoteValue(value: string | number | boolean): string {
  const text = String(value);
  if (typeof value !== 'string') return text;
  if (/^[A-Za-z0-9_.@/-]+$/.test(text) && !/^(AND|OR|NOT|TO)$/i.test(text) && !/^-/.test(text)) return text;
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** A field name as the language accepts it (a name with spaces or reserved characters is escaped with `\`). */
export function quoteField(field: string): string {
  return field.replace(/[\s:()"\\<>=!{}[\]*]/g, (c) => `\\${c}`);
}

/** `q` narrowed to events whose `field` is (or, with `exclude`, is not) `value`. */
export function addFieldFilter(q: string, field: string, value: string | number | boolean, exclude = false): string {
  const clause = `${exclude ? 'NOT ' : ''}${quoteField(field)}:${quoteValue(value)}`;
  const base = q.trim();
  if (!base) return clause;
  // A query with a top-level OR must keep its meaning: wrap it before adding the clause.
  const wrapped = /\bOR\b|\|\|/.test(base) ? `(${base})` : base;
  return `${wrapped} AND ${clause}`;
}
