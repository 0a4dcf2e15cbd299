/**
 * Validation every LogStore adapter applies to the explorer's two requests, `topValues` and `around`, before touching
 * its engine, so each refuses the same input with the same error (docs/ARCHITECTURE.md, "Ports, adapters and contract
 * suites"). Also the one order of top values every adapter answers in.
 */
import { BulwarkError } from '@bulwark/schema';
import type { AroundRequest, TopValue, TopValuesRequest } from './port.js';
import { validDate } from './histogram.js';

/** Most fields one `topValues` request may name. */
export const MAX_TOP_FIELDS = 50;
/** Most values listed per field. */
export const MAX_TOP_SIZE = 100;
export const DEFAULT_TOP_SIZE = 10;
/** Most events `around` returns on each side of its anchor. */
export const MAX_AROUND = 1000;

/** A field name of the search language (SEARCH.md, "Field names and values"): dotted keys, `\.` a dot inside a key. */
export const FIELD_NAME_RE = /^(?:[A-Za-z0-9_@/-]|\\\.)+(?:\.(?:[A-Za-z0-9_@/-]|\\\.)+)*$/;
/** Longest field name accepted (the API's own limit on field parameters). */
const MAX_FIELD_NAME = 512;

export interface CheckedTopValues {
  fields: string[];
  size: number;
  from?: number;
  to?: number;
}

/** @throws BulwarkError BWK_BAD_PARAM naming `fields`, `size`, `from` or `to`. */
export function checkTopValuesRequest(req: TopValuesRequest): CheckedTopValues {
  const fields = req.fields;
  if (!Array.isArray(fields) || fields.length < 1 || fields.length > MAX_TOP_FIELDS) {
    const got = Array.isArray(fields) ? fields.length : typeof fields;
    throw new BulwarkError('BWK_BAD_PARAM', `fields must list 1 to ${MAX_TOP_FIELDS} field names, got ${got}`, { param: 'fields' });
  }
  for (const field of fields) {
    if (typeof field !== 'string' || field.length > MAX_FIELD_NAME || !FIELD_NAME_RE.test(field)) {
      throw new BulwarkError('BWK_BAD_PARAM', `fields: '${String(field)}' is not a field name such as kubernetes.pod.name`, {
        param: 'fields',
        field: String(field),
      });
    }
  }
  const size = req.size ?? DEFAULT_TOP_SIZE;
  if (!Number.isInteger(size) || size < 1 || size > MAX_TOP_SIZE) {
    throw new BulwarkError('BWK_BAD_PARAM', `size must be an integer from 1 to ${MAX_TOP_SIZE}, got ${size}`, { param: 'size' });
  }
  return {
    fields: [...fields],
    size,
    ...(req.from !== undefined && req.from !== null ? { from: validDate(req.from, 'from') } : {}),
    ...(req.to !== undefined && req.to !== null ? { to: validDate(req.to, 'to') } : {}),
  };
}

/** @throws BulwarkError BWK_BAD_PARAM naming `id`, `before` or `after`. */
export function checkAroundRequest(req: AroundRequest): { before: number; after: number } {
  if (typeof req.id !== 'string' || req.id === '') throw new BulwarkError('BWK_BAD_PARAM', 'id must be a non-empty event id', { param: 'id' });
  for (const param of ['before', 'after'] as const) {
    const n = req[param];
    if (!Number.isInteger(n) || n < 0 || n > MAX_AROUND) {
      throw new BulwarkError('BWK_BAD_PARAM', `${param} must be an integer from 0 to ${MAX_AROUND}, got ${n}`, { param });
    }
  }
  return { before: req.before, after: req.after };
}

/**
 * Code point order of two texts (the order of their UTF-8 bytes, which is how the engines order keywords). `<` on
 * JavaScript strings compares UTF-16 units instead, which puts characters beyond U+FFFF before U+E000–U+FFFF.
 */
export function compareText(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i)!;
    const y = b.codePointAt(i)!;
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** The port's order of top values: most frequent first, equal counts by the value's text in code point order. */
export function compareTopValues(a: TopValue, b: TopValue): number {
  return b.count - a.count || compareText(String(a.value), String(b.value));
}
