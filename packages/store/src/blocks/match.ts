/**
 * What one value means to the search language, the same rules the search engines apply (SEARCH.md): `field:value` is
 * exact and case-sensitive on a string, equal by value on a number or a boolean, true for any element of an array,
 * never true of an object; ranges compare numbers when every bound is a number, else strings; a path continues
 * into arrays of objects element by element, as the engines index them.
 */
import type { QueryNode } from '../query/ast.js';

const NUMBER_RE = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;

/** A term's value prepared once: its number (if it is one) and boolean (if it is one). */
export interface TermValue {
  text: string;
  number: number | null;
  boolean: boolean | null;
  prefix: boolean;
}

export function termValue(text: string, prefix: boolean): TermValue {
  const number = !prefix && NUMBER_RE.test(text) && Number.isFinite(Number(text)) ? Number(text) : null;
  const boolean = !prefix && (text === 'true' || text === 'false') ? text === 'true' : null;
  return { text, number, boolean, prefix };
}

/** Every value at `rest` inside `value` (arrays walked element by element), passed to `visit` until it says stop. */
export function walk(value: unknown, rest: readonly string[], at: number, visit: (leaf: unknown) => boolean): boolean {
  if (value === undefined || value === null) return at === rest.length && value === null ? visit(null) : false;
  if (at === rest.length) return visit(value);
  if (Array.isArray(value)) {
    for (const item of value) if (walk(item, rest, at, visit)) return true;
    return false;
  }
  if (typeof value === 'object' && Object.prototype.hasOwnProperty.call(value, rest[at]!)) {
    return walk((value as Record<string, unknown>)[rest[at]!], rest, at + 1, visit);
  }
  return false;
}

/** `field:value` against one value found at the field (a scalar, or an array whose elements are tested). */
export function termMatches(leaf: unknown, term: TermValue): boolean {
  if (Array.isArray(leaf)) {
    for (const item of leaf) if (!Array.isArray(item) && termMatches(item, term)) return true;
    return false;
  }
  if (typeof leaf === 'string') return term.prefix ? leaf.startsWith(term.text) : leaf === term.text;
  if (typeof leaf === 'number') return term.number !== null && leaf === term.number;
  if (typeof leaf === 'boolean') return term.boolean !== null && leaf === term.boolean;
  return false;
}

/** Any value at any depth equal to the term (unfielded text against every field). */
export function anyLeafMatches(value: unknown, term: TermValue, depth = 0): boolean {
  if (value === null || value === undefined || depth > 64) return false;
  if (typeof value !== 'object') return termMatches(value, term);
  if (Array.isArray(value)) {
    for (const item of value) if (anyLeafMatches(item, term, depth + 1)) return true;
    return false;
  }
  for (const key in value) if (anyLeafMatches((value as Record<string, unknown>)[key], term, depth + 1)) return true;
  return false;
}

/** `field:*`: present and not null; an empty array counts as absent (as in Elasticsearch). */
export function present(leaf: unknown): boolean {
  if (leaf === null || leaf === undefined) return false;
  if (Array.isArray(leaf)) return leaf.some((item) => item !== null && item !== undefined);
  return true;
}

type RangeNode = Extract<QueryNode, { type: 'range' }>;
export type Bound = { op: 'gt' | 'gte' | 'lt' | 'lte'; value: string | number };

export function boundsOf(node: RangeNode): { bounds: Bound[]; numeric: boolean } {
  const bounds: Bound[] = [];
  for (const op of ['gt', 'gte', 'lt', 'lte'] as const) if (node[op] !== undefined) bounds.push({ op, value: node[op]! });
  return { bounds, numeric: bounds.every((b) => typeof b.value === 'number') };
}

function holds(value: number | string, bound: Bound): boolean {
  switch (bound.op) {
    case 'gt':
      return value > bound.value;
    case 'gte':
      return value >= bound.value;
    case 'lt':
      return value < bound.value;
    case 'lte':
      return value <= bound.value;
  }
}

/** Every bound holds for the same scalar (or the same element of an array). */
export function rangeMatches(leaf: unknown, bounds: readonly Bound[], numeric: boolean): boolean {
  if (Array.isArray(leaf)) return leaf.some((item) => !Array.isArray(item) && rangeMatches(item, bounds, numeric));
  if (numeric ? typeof leaf !== 'number' : typeof leaf !== 'string') return false;
  const bound = numeric ? bounds : bounds.map((b) => ({ ...b, value: String(b.value) }));
  return bound.every((b) => holds(leaf as number | string, b));
}
