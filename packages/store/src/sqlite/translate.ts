/**
 * QueryNode to a SQLite boolean expression over `events e`. Every value (and every JSON path) is a bound parameter;
 * the only text spliced into SQL is fixed by this file. Every expression yields 0 or 1, never NULL, so that `NOT`
 * means "all other events" (SQL's three-valued NULL would otherwise drop events missing the field from both sides).
 *
 * Semantics (documented for users in SEARCH.md):
 * - free text and `message:` go to the FTS5 index as one quoted FTS5 string (a phrase of the tokens the tokenizer
 *   finds), optionally a prefix; FTS5 operators in user text (`AND`, `NEAR(`, `*`, `"`) are therefore inert.
 * - `field:value` is exact, case-sensitive equality on a scalar or on any element of an array (`json_each` yields
 *   one row for a scalar and one per element for an array); numbers and booleans compare as such.
 * - `@timestamp` ranges (and exact values) use the indexed `ts` column.
 */
import { BulwarkError } from '@bulwark/schema';
import type { QueryNode } from '../query/ast.js';
import { splitFieldPath } from '../query/scanner.js';
import { parseTimestamp } from '../query/time.js';
import { indexedFieldNumber, NON_TEXT_KEY } from './indexed-fields.js';

export interface SqlFragment {
  sql: string;
  params: unknown[];
}

const FIELD_RE = /^(?:[A-Za-z0-9_@/-]|\\\.)+(?:\.(?:[A-Za-z0-9_@/-]|\\\.)+)*$/;
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** Rows of `json_each(e.doc, path)` that are the value itself or an array element, not an object's members. */
const EACH = `SELECT 1 FROM json_each(e.doc, ?) j WHERE typeof(j.key) <> 'text' AND`;

/** Translate a query to a WHERE expression on `events e`. @throws BWK_BAD_PARAM for a bad field or date. */
export function queryToSql(node: QueryNode): SqlFragment {
  const params: unknown[] = [];
  const sql = translate(node, params);
  return { sql, params };
}

function translate(node: QueryNode, params: unknown[]): string {
  switch (node.type) {
    case 'all':
      return '1';
    case 'and':
    case 'or': {
      if (node.children.length === 0) return node.type === 'and' ? '1' : '0';
      const parts = node.children.map((child) => translate(child, params));
      return `(${parts.join(node.type === 'and' ? ' AND ' : ' OR ')})`;
    }
    case 'not':
      return `NOT (${translate(node.child, params)})`;
    case 'text':
      return fullText(node.value, node.prefix, params);
    case 'term':
      return term(node.field, node.value, node.prefix, params);
    case 'exists':
      return exists(node.field, params);
    case 'range':
      return range(node, params);
    default: {
      const unknown: never = node;
      throw new BulwarkError('BWK_BAD_PARAM', `unknown query node ${JSON.stringify(unknown)}`, { param: 'q' });
    }
  }
}

/** The JSON path `$."a"."b"` for field `a.b`, after checking the field against the language's character set. */
export function jsonPath(field: string): string {
  if (!FIELD_RE.test(field)) {
    throw new BulwarkError('BWK_BAD_PARAM', `invalid field name '${field}'`, { param: 'q', field });
  }
  return '$' + splitFieldPath(field).map((key) => `."${key}"`).join('');
}

/** User text as one FTS5 string: `"…"` with inner quotes doubled, `*` after it for a prefix (FTS5 §3.2, §3.3). */
export function ftsString(text: string, prefix: boolean): string {
  return `"${text.replaceAll('"', '""')}"${prefix ? '*' : ''}`;
}

function fullText(text: string, prefix: boolean, params: unknown[]): string {
  params.push(ftsString(text, prefix));
  // The unary `+` keeps SQLite from driving the query from the FTS rowids: it then walks the (ts, seq) index in the
  // requested order, probing the materialised match set, and stops after one page. Measured on 200k events: a
  // common word 7 ms instead of 160 ms (no sort of every match); a rare word 12 ms instead of 2 ms.
  return '+e.seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)';
}

function term(field: string, value: string, prefix: boolean, params: unknown[]): string {
  if (field === 'message') return fullText(value, prefix, params);
  if (!prefix) {
    if (field === 'event.id') {
      params.push(value);
      return 'e.id = ?';
    }
    if (field === 'event.dataset') {
      params.push(value);
      return 'e.dataset IS ?'; // IS: 0/1 even when the column is NULL, and still uses the index
    }
    const ts = field === '@timestamp' ? parseTimestamp(/^\d+$/.test(value) ? Number(value) : value) : null;
    if (ts !== null) {
      params.push(ts);
      return 'e.ts = ?';
    }
  }
  const fieldNumber = prefix ? undefined : indexedFieldNumber(field);
  const candidates = fieldNumber === undefined ? null : indexedCandidates(fieldNumber, value, params);
  params.push(jsonPath(field));
  if (prefix) {
    params.push([...value].length, value); // substr counts characters (code points), as the spread does
    return `EXISTS (${EACH} j.type = 'text' AND substr(j.value, 1, ?) = ?)`;
  }
  const alternatives = [`(j.type = 'text' AND j.value = ?)`];
  params.push(value);
  if (NUMBER_RE.test(value) && Number.isFinite(Number(value))) {
    alternatives.push(`(j.type IN ('integer', 'real') AND j.value = ?)`);
    params.push(Number(value));
  }
  if (value === 'true' || value === 'false') alternatives.push(`j.type = '${value}'`);
  const exact = `EXISTS (${EACH} (${alternatives.join(' OR ')}))`;
  return candidates ? `(${candidates} AND ${exact})` : exact;
}

/**
 * For an indexed field (`indexed-fields.ts`): the events that may match, from `event_keys` — those holding the value
 * as text at the field, and those holding a number or boolean there (one shared key), which the exact test that follows
 * decides. A superset of the matches, so the semantics are the exact test's. The unary `+`, as for full text, keeps
 * the page walking the (ts, seq) index in order, probing this set, instead of reading and sorting every candidate of
 * a common value.
 */
function indexedCandidates(fieldNumber: number, value: string, params: unknown[]): string {
  params.push(fieldNumber, value, NON_TEXT_KEY);
  return '+e.seq IN (SELECT seq FROM event_keys WHERE field = ? AND value IN (?, ?))';
}

/** Present and not null; an empty array counts as absent, as in Elasticsearch. */
function exists(field: string, params: unknown[]): string {
  if (field === '@timestamp') return '1';
  const path = jsonPath(field);
  params.push(path, path);
  return `coalesce(json_type(e.doc, ?) NOT IN ('null', 'array') OR json_array_length(e.doc, ?) > 0, 0)`;
}

type RangeNode = Extract<QueryNode, { type: 'range' }>;
const OPERATORS = [
  ['gt', '>'],
  ['gte', '>='],
  ['lt', '<'],
  ['lte', '<='],
] as const;

/**
 * `@timestamp` bounds on `ts`; other fields compare numbers with numbers when every bound is a number, else text
 * with text (binary order). All bounds must hold for the same array element.
 */
function range(node: RangeNode, params: unknown[]): string {
  const bounds = OPERATORS.filter(([key]) => node[key] !== undefined).map(([key, op]) => ({ op, value: node[key]! }));
  if (bounds.length === 0) return exists(node.field, params);
  if (node.field === '@timestamp') {
    const parts = bounds.map(({ op, value }) => {
      const ts = parseTimestamp(value);
      if (ts === null) {
        throw new BulwarkError('BWK_BAD_PARAM', `'${value}' is not an ISO 8601 date or epoch milliseconds for @timestamp`, {
          param: 'q',
          field: '@timestamp',
          value,
        });
      }
      params.push(ts);
      return `e.ts ${op} ?`;
    });
    return `(${parts.join(' AND ')})`;
  }
  params.push(jsonPath(node.field));
  const numeric = bounds.every(({ value }) => typeof value === 'number');
  const parts = bounds.map(({ op, value }) => {
    params.push(numeric ? value : String(value));
    return `j.value ${op} ?`;
  });
  const type = numeric ? `j.type IN ('integer', 'real')` : `j.type = 'text'`;
  return `EXISTS (${EACH} ${type} AND ${parts.join(' AND ')})`;
}
