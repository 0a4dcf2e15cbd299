/**
 * A query compiled for the block store: checked once (field names, dates), with its values' hashes and words
 * prepared, then asked three questions per block, each cheaper than the next one's answer:
 * 1. `verdict` from the catalog alone (time range, stream, which columns the block has): all rows, none, or some;
 * 2. `mayMatch` from the block's filter (needles: an id, a uid, an address, a word);
 * 3. `matches` per row, decompressing only the columns the query reads (match.ts has the language's value rules).
 */
import { BulwarkError } from '@bulwark/schema';
import { FIELD_NAME_RE } from '../explore-request.js';
import type { QueryNode } from '../query/ast.js';
import { splitFieldPath } from '../query/scanner.js';
import { parseTimestamp } from '../query/time.js';
import { valueHash, wordProbe, type Probe } from './bloom.js';
import { MAX_FILTERED_VALUE } from './build.js';
import { boundsOf, termValue, type Bound, type TermValue } from './match.js';
import { wordsOf } from './words.js';

/** A needle's hashes: the text's, and the number's when the text is a number written another way (`4.0`). */
export interface Needle {
  hashes: number[];
}

export type Compiled =
  | { kind: 'all' }
  | { kind: 'none' }
  | { kind: 'and' | 'or'; children: Compiled[] }
  | { kind: 'not'; child: Compiled }
  /** Unfielded text: words in `message`, or (not a prefix) a whole value of any field. */
  | { kind: 'text'; words: string[]; probes: Probe[]; prefix: boolean; value: TermValue | null; needle: Needle | null }
  /** `message:…`: words only. */
  | { kind: 'words'; words: string[]; probes: Probe[]; prefix: boolean }
  | { kind: 'term'; keys: string[]; value: TermValue; needle: Needle | null }
  | { kind: 'dataset'; value: string }
  | { kind: 'exists'; keys: string[] }
  | { kind: 'range'; keys: string[]; bounds: Bound[]; numeric: boolean }
  | { kind: 'time'; from: number; to: number };

export function checkField(field: string): string[] {
  if (!FIELD_NAME_RE.test(field)) throw new BulwarkError('BWK_BAD_PARAM', `invalid field name '${field}'`, { param: 'q', field });
  return splitFieldPath(field);
}

function needleOf(value: TermValue): Needle | null {
  if (value.prefix || value.text.length > MAX_FILTERED_VALUE) return null;
  const hashes = [valueHash(value.text)];
  if (value.number !== null && String(value.number) !== value.text) hashes.push(valueHash(String(value.number)));
  return { hashes };
}

function wordsNode(text: string, prefix: boolean): { words: string[]; probes: Probe[]; prefix: boolean } {
  const words = wordsOf(text);
  // A prefix's last word cannot be probed (the filter holds whole words).
  const probed = prefix ? words.slice(0, -1) : words;
  return { words, probes: probed.map(wordProbe), prefix };
}

export function compile(node: QueryNode): Compiled {
  switch (node.type) {
    case 'all':
      return { kind: 'all' };
    case 'and':
    case 'or':
      if (node.children.length === 0) return { kind: node.type === 'and' ? 'all' : 'none' };
      return { kind: node.type, children: node.children.map(compile) };
    case 'not':
      return { kind: 'not', child: compile(node.child) };
    case 'text': {
      const value = node.prefix ? null : termValue(node.value, false);
      return { kind: 'text', ...wordsNode(node.value, node.prefix), value, needle: value ? needleOf(value) : null };
    }
    case 'term': {
      if (node.field === 'message') return { kind: 'words', ...wordsNode(node.value, node.prefix) };
      const keys = checkField(node.field);
      if (!node.prefix && node.field === 'event.dataset') return { kind: 'dataset', value: node.value };
      if (!node.prefix && node.field === '@timestamp') {
        const ts = parseTimestamp(/^\d+$/.test(node.value) ? Number(node.value) : node.value);
        if (ts !== null) return { kind: 'time', from: ts, to: ts + 1 };
      }
      const value = termValue(node.value, node.prefix);
      return { kind: 'term', keys, value, needle: needleOf(value) };
    }
    case 'exists':
      if (node.field === '@timestamp') return { kind: 'all' };
      return { kind: 'exists', keys: checkField(node.field) };
    case 'range': {
      const keys = checkField(node.field);
      const { bounds, numeric } = boundsOf(node);
      if (bounds.length === 0) return { kind: 'exists', keys };
      if (node.field !== '@timestamp') return { kind: 'range', keys, bounds, numeric };
      let from = -Infinity;
      let to = Infinity;
      for (const { op, value } of bounds) {
        const ts = parseTimestamp(value);
        if (ts === null) {
          throw new BulwarkError('BWK_BAD_PARAM', `'${value}' is not an ISO 8601 date or epoch milliseconds for @timestamp`, {
            param: 'q',
            field: '@timestamp',
            value,
          });
        }
        if (op === 'gt') from = Math.max(from, ts + 1);
        else if (op === 'gte') from = Math.max(from, ts);
        else if (op === 'lt') to = Math.min(to, ts);
        else to = Math.min(to, ts + 1);
      }
      return { kind: 'time', from, to };
    }
    default: {
      const unknown: never = node;
      throw new BulwarkError('BWK_BAD_PARAM', `unknown query node ${JSON.stringify(unknown)}`, { param: 'q' });
    }
  }
}

/** True when the query needs nothing but the catalog's stream and time for any block (a count needs no column). */
export function usesFilter(node: Compiled): boolean {
  switch (node.kind) {
    case 'and':
    case 'or':
      return node.children.some(usesFilter);
    case 'text':
      return node.probes.length > 0 || node.needle !== null;
    case 'words':
      return node.probes.length > 0;
    case 'term':
      return node.needle !== null;
    default:
      return false;
  }
}
