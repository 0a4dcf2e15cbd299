/**
 * QueryNode to Elasticsearch/OpenSearch query DSL, with the meaning SEARCH.md gives and the SQLite adapter
 * (`sqlite/translate.ts`) implements. User text only ever becomes the value of a `term`, `prefix`, `range`,
 * `match_phrase`, `match_bool_prefix` or `match_phrase_prefix` clause; it never reaches `query_string` or
 * `simple_query_string`, so `a OR b`, `*` or `field:(x)` inside a value are plain text.
 *
 * - `message:` is a phrase match on `message` (analysed like FTS5, see `layout.ts`); a trailing `*` makes the last
 *   word a prefix: one word → `match_bool_prefix` (a plain prefix query, exact and unbounded); several words →
 *   `match_phrase_prefix`, whose last word expands to at most {@link MAX_EXPANSIONS} terms (the engine's bound on that
 *   query; SQLite has none). Free text with a trailing `*` is the same prefix match on `message`.
 * - free text without `*` is that phrase on `message` or any field whose whole value equals the text (SEARCH.md,
 *   "Free text"): see {@link anyField}.
 * - `field:value` depends on the field's type (`fields.ts`): keywords compare exactly; numbers only with a value
 *   that is a number; booleans with `true`/`false`; `@timestamp` as an instant; a map or object never equals a value.
 *   A clause that cannot match on a type becomes `match_none`, so `NOT` stays the exact complement, as in SQLite.
 * - ranges compare numbers when every bound is a number, otherwise strings (keywords) or instants (`@timestamp`).
 */
import { BulwarkError } from '@bulwark/schema';
import type { QueryNode } from '../query/ast.js';
import { parseTimestamp } from '../query/time.js';
import { enginePath, type FieldType, type FieldTypes } from './fields.js';
import type { FieldKind } from './mapping.js';

export type Dsl = Record<string, unknown>;

export const MATCH_ALL: Dsl = Object.freeze({ match_all: {} });
export const MATCH_NONE: Dsl = Object.freeze({ match_none: {} });

/** How many terms the last word of a multi-word prefix phrase may expand to. */
export const MAX_EXPANSIONS = 10_000;

const FIELD_RE = /^(?:[A-Za-z0-9_@/-]|\\\.)+(?:\.(?:[A-Za-z0-9_@/-]|\\\.)+)*$/;
const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
/** The analyzer's word boundaries (`layout.ts`): anything that is not a letter or digit. */
const NON_WORD = /[^\p{L}\p{N}]+/u;

/** Translate a query. `types` must hold every field of the query (`FieldResolver.resolve(fieldsOf(node))`). */
export function queryToDsl(node: QueryNode, types: FieldTypes): Dsl {
  switch (node.type) {
    case 'all':
      return MATCH_ALL;
    case 'and':
      return and(node.children.map((child) => queryToDsl(child, types)));
    case 'or':
      return or(node.children.map((child) => queryToDsl(child, types)));
    case 'not':
      return not(queryToDsl(node.child, types));
    case 'text':
      return node.prefix ? fullText('message', node.value, true) : anyField(node.value);
    case 'term':
      if (node.field === 'message') return fullText('message', node.value, node.prefix);
      return perType(node.field, types, (kind, path) =>
        node.prefix ? prefixClause(kind, path, node.value) : exactClause(kind, path, node.value),
      );
    case 'exists':
      if (node.field === '@timestamp') return MATCH_ALL; // every event has one
      return perType(node.field, types, existsClause);
    case 'range':
      return perType(node.field, types, (kind, path) => rangeClause(kind, path, node));
    default: {
      const unknown: never = node;
      throw new BulwarkError('BWK_BAD_PARAM', `unknown query node ${JSON.stringify(unknown)}`, { param: 'q' });
    }
  }
}

export function and(clauses: Dsl[]): Dsl {
  if (clauses.includes(MATCH_NONE)) return MATCH_NONE;
  const rest = clauses.filter((c) => c !== MATCH_ALL);
  if (rest.length === 0) return MATCH_ALL;
  return rest.length === 1 ? rest[0]! : { bool: { filter: rest } };
}

function or(clauses: Dsl[]): Dsl {
  if (clauses.includes(MATCH_ALL)) return MATCH_ALL;
  const rest = clauses.filter((c) => c !== MATCH_NONE);
  if (rest.length === 0) return MATCH_NONE;
  return rest.length === 1 ? rest[0]! : { bool: { should: rest, minimum_should_match: 1 } };
}

function not(clause: Dsl): Dsl {
  if (clause === MATCH_NONE) return MATCH_ALL;
  if (clause === MATCH_ALL) return MATCH_NONE;
  const bool = clause.bool as { must_not?: Dsl[] } | undefined;
  if (bool && Object.keys(bool).length === 1 && bool.must_not?.length === 1) return bool.must_not[0]!; // NOT NOT x
  return { bool: { must_not: [clause] } };
}

function checkField(field: string): true {
  if (!FIELD_RE.test(field)) throw new BulwarkError('BWK_BAD_PARAM', `invalid field name '${field}'`, { param: 'q', field });
  return true;
}

/** One clause per type of the field; when the type differs between indices, each clause is limited to its indices. */
function perType(field: string, types: FieldTypes, clause: (kind: FieldKind, path: string) => Dsl): Dsl {
  checkField(field);
  const path = enginePath(field);
  const list: FieldType[] = types.get(field) ?? [];
  if (list.length === 1 && !list[0]!.indices) return clause(list[0]!.kind, path);
  return or(
    list.map((type) => {
      const dsl = clause(type.kind, path);
      return type.indices && dsl !== MATCH_NONE ? { bool: { filter: [{ terms: { _index: type.indices } }, dsl] } } : dsl;
    }),
  );
}

/** Free text: a phrase of the words of `text`; with `prefix`, the last word is a prefix. */
function fullText(path: string, text: string, prefix: boolean): Dsl {
  const words = text.split(NON_WORD).filter(Boolean).length;
  if (words === 0) return MATCH_NONE; // punctuation only: no words, matches nothing (as FTS5)
  if (!prefix) return { match_phrase: { [path]: { query: text } } };
  if (words === 1) return { match_bool_prefix: { [path]: { query: text } } };
  return { match_phrase_prefix: { [path]: { query: text, max_expansions: MAX_EXPANSIONS } } };
}

/**
 * Unfielded text: a phrase on `message`, or any field at any depth whose whole value equals the text. One `multi_match`
 * of type `phrase` over every field (`*`) is both: the engine runs each field's own query for the text, so `message`
 * (our analyser) gets the phrase, a keyword (and a flat map's root, which holds every leaf of the map) an exact term,
 * a number field a term of the number when the text is one, and `lenient` drops the fields a text cannot be (`abc`
 * on a number). User text stays a value: `multi_match` never parses it as query syntax.
 *
 * It costs one clause per field of an index: OpenSearch refuses a query of more clauses than its
 * `indices.query.bool.max_clause_count` (1024 by default), which about ten free-text words reach; `query-filter.ts`
 * tells the caller.
 *
 * Where the engine's types show through (SEARCH.md, "Where answers can differ"): `source.ip` and the other `ip`
 * fields compare addresses (`10.0.0.0/8` finds the addresses inside the block, `::ffff:10.1.2.3` finds `10.1.2.3`),
 * beside their `.keyword` text; `@timestamp` compares instants (a date-time or epoch milliseconds finds the events
 * at that instant); unindexed paths are not searched.
 */
function anyField(text: string): Dsl {
  return { multi_match: { query: text, fields: ['*'], type: 'phrase', lenient: true } };
}

/** Whether a query has free text that searches every field (a prefix searches `message` only). */
export function hasAnyFieldText(node: QueryNode): boolean {
  switch (node.type) {
    case 'text':
      return !node.prefix;
    case 'and':
    case 'or':
      return node.children.some(hasAnyFieldText);
    case 'not':
      return hasAnyFieldText(node.child);
    default:
      return false;
  }
}

function isNumber(value: string): boolean {
  return NUMBER_RE.test(value) && Number.isFinite(Number(value));
}

function exactClause(kind: FieldKind, path: string, value: string): Dsl {
  switch (kind) {
    case 'keyword':
    case 'flat-leaf':
      return { term: { [path]: value } };
    case 'ip':
      return { term: { [`${path}.keyword`]: value } };
    case 'text':
      return fullText(path, value, false);
    case 'number':
      return isNumber(value) ? { term: { [path]: Number(value) } } : MATCH_NONE;
    case 'boolean':
      return value === 'true' || value === 'false' ? { term: { [path]: value === 'true' } } : MATCH_NONE;
    case 'date': {
      const ts = parseTimestamp(/^\d+$/.test(value) ? Number(value) : value);
      return ts === null ? MATCH_NONE : { range: { [path]: { gte: ts, lte: ts, format: 'epoch_millis' } } };
    }
    default:
      return MATCH_NONE; // maps, objects, unindexed and unmapped fields never equal a value
  }
}

function prefixClause(kind: FieldKind, path: string, value: string): Dsl {
  switch (kind) {
    case 'keyword':
    case 'flat-leaf':
      return { prefix: { [path]: value } };
    case 'ip':
      return { prefix: { [`${path}.keyword`]: value } };
    case 'text':
      return fullText(path, value, true);
    case 'date':
      return datePrefix(path, value);
    default:
      return MATCH_NONE; // numbers and booleans are not text: a prefix never matches them (as in SQLite)
  }
}

const DATE_PREFIX_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2})(?:T(\d{2})(?::(\d{2})(?::(\d{2}))?)?)?)?)?$/;

/**
 * `@timestamp:2024-05-01*`: the instants whose UTC ISO text starts so, when the prefix ends at a whole unit (year
 * to second). A prefix cut inside a unit (`2024-05-0*`) has no such range; it is refused with a hint.
 */
function datePrefix(path: string, value: string): Dsl {
  const m = DATE_PREFIX_RE.exec(value);
  if (!m) {
    throw new BulwarkError('BWK_BAD_PARAM', `a prefix on ${path} must end at a whole date or time unit, e.g. 2024-05-01* or 2024-05-01T10*; or use a range`, {
      param: 'q',
      field: path,
      value,
    });
  }
  const parts = m.slice(1).filter((p) => p !== undefined).map(Number);
  const [year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0] = parts;
  const start = new Date(0);
  start.setUTCFullYear(year, month - 1, day);
  start.setUTCHours(hour, minute, second, 0);
  const end = new Date(start.getTime());
  if (parts.length === 1) end.setUTCFullYear(year + 1);
  else if (parts.length === 2) end.setUTCMonth(month);
  else end.setTime(start.getTime() + [86_400_000, 3_600_000, 60_000, 1000][parts.length - 3]!);
  return { range: { [path]: { gte: start.getTime(), lt: end.getTime(), format: 'epoch_millis' } } };
}

function existsClause(kind: FieldKind, path: string): Dsl {
  if (kind === 'disabled' || kind === 'unmapped') return MATCH_NONE;
  return { exists: { field: kind === 'ip' ? `${path}.keyword` : path } };
}

type RangeNode = Extract<QueryNode, { type: 'range' }>;
const BOUNDS = ['gt', 'gte', 'lt', 'lte'] as const;

function rangeClause(kind: FieldKind, path: string, node: RangeNode): Dsl {
  const bounds = BOUNDS.filter((key) => node[key] !== undefined);
  if (bounds.length === 0) return existsClause(kind, path);
  if (kind === 'date') {
    const range: Record<string, unknown> = { format: 'epoch_millis' };
    for (const key of bounds) {
      const value = node[key]!;
      const ts = parseTimestamp(value);
      if (ts === null) {
        throw new BulwarkError('BWK_BAD_PARAM', `'${value}' is not an ISO 8601 date or epoch milliseconds for ${path}`, {
          param: 'q',
          field: path,
          value,
        });
      }
      range[key] = ts;
    }
    return { range: { [path]: range } };
  }
  const numeric = bounds.every((key) => typeof node[key] === 'number');
  const target = kind === 'ip' ? `${path}.keyword` : path;
  const textual = kind === 'keyword' || kind === 'flat-leaf' || kind === 'ip' || kind === 'text';
  if (numeric ? kind !== 'number' : !textual) return MATCH_NONE;
  return { range: { [target]: Object.fromEntries(bounds.map((key) => [key, numeric ? node[key] : String(node[key])])) } };
}
