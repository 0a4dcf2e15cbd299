/**
 * Running a compiled query (compile.ts) on blocks: the catalog verdict, the filter check, and the per-row mask.
 */
import { ANY_COLUMN, valueProbe, type Bloom } from './bloom.js';
import { columnsBelow, pathColumns, type BlockRow, type Directory } from './catalog.js';
import { MESSAGE_COLUMN } from './build.js';
import type { Compiled, Needle } from './compile.js';
import { anyLeafMatches, present, rangeMatches, termMatches, walk, type TermValue } from './match.js';
import type { BlockView } from './view.js';
import { containsPhrase, wordsOf } from './words.js';

export type Verdict = 'all' | 'none' | 'some';

const ASCII = /^[\x00-\x7f]*$/;

/** Does the block have a column a path could be read from (the path itself, a shorter opaque one, or one below it)? */
function hasPath(directory: Directory, keys: readonly string[], below: boolean): boolean {
  return pathColumns(directory, keys).length > 0 || (below && columnsBelow(directory, keys).length > 0);
}

/** What the catalog alone says about the block. */
export function verdict(node: Compiled, block: BlockRow, directory: Directory): Verdict {
  switch (node.kind) {
    case 'all':
      return 'all';
    case 'none':
      return 'none';
    case 'and': {
      let all = true;
      for (const child of node.children) {
        const v = verdict(child, block, directory);
        if (v === 'none') return 'none';
        if (v === 'some') all = false;
      }
      return all ? 'all' : 'some';
    }
    case 'or': {
      let none = true;
      for (const child of node.children) {
        const v = verdict(child, block, directory);
        if (v === 'all') return 'all';
        if (v === 'some') none = false;
      }
      return none ? 'none' : 'some';
    }
    case 'not': {
      const v = verdict(node.child, block, directory);
      return v === 'all' ? 'none' : v === 'none' ? 'all' : 'some';
    }
    case 'dataset':
      // A block holds one stream, the events' `event.dataset` ('' for none).
      return block.stream === node.value ? 'all' : 'none';
    case 'time':
      if (block.min_ts >= node.from && block.max_ts < node.to) return 'all';
      return block.max_ts < node.from || block.min_ts >= node.to ? 'none' : 'some';
    case 'words':
      return node.words.length === 0 || !directory.has(MESSAGE_COLUMN) ? 'none' : 'some';
    case 'term':
    case 'range':
      return hasPath(directory, node.keys, false) ? 'some' : 'none';
    case 'exists':
      return hasPath(directory, node.keys, true) ? 'some' : 'none';
    case 'text':
      return 'some';
  }
}

function needleIn(bloom: Bloom, needle: Needle, dataIndex: number): boolean {
  for (const hash of needle.hashes) if (bloom.has(valueProbe(hash, dataIndex))) return true;
  return false;
}

function wordsIn(bloom: Bloom, directory: Directory, node: { words: string[]; probes: { h1: number; h2: number }[] }): boolean {
  if (node.words.length === 0 || !directory.has(MESSAGE_COLUMN)) return false;
  for (const probe of node.probes) if (!bloom.has(probe)) return false;
  return true;
}

/** False when the filter proves that no row matches. */
export function mayMatch(node: Compiled, bloom: Bloom, directory: Directory): boolean {
  switch (node.kind) {
    case 'and':
      return node.children.every((child) => mayMatch(child, bloom, directory));
    case 'or':
      return node.children.some((child) => mayMatch(child, bloom, directory));
    case 'words':
      return wordsIn(bloom, directory, node);
    case 'term':
      return node.needle === null || pathColumns(directory, node.keys).some(({ index }) => needleIn(bloom, node.needle!, index));
    case 'text': {
      if (wordsIn(bloom, directory, node)) return true;
      if (node.value === null) return false;
      return node.needle === null || needleIn(bloom, node.needle, ANY_COLUMN);
    }
    default:
      return true;
  }
}

/** 1 for each row of the block the query matches. `bloom` (when read) narrows the columns free text reads. */
export function matches(node: Compiled, view: BlockView, bloom: Bloom | null): Uint8Array {
  const rows = view.rows;
  const mask = new Uint8Array(rows);
  switch (node.kind) {
    case 'all':
      return mask.fill(1);
    case 'none':
      return mask;
    case 'and': {
      mask.fill(1);
      for (const child of node.children) {
        const m = matches(child, view, bloom);
        let any = 0;
        for (let r = 0; r < rows; r++) any |= mask[r]! &= m[r]!;
        if (!any) break;
      }
      return mask;
    }
    case 'or':
      for (const child of node.children) {
        const m = matches(child, view, bloom);
        for (let r = 0; r < rows; r++) mask[r]! |= m[r]!;
      }
      return mask;
    case 'not': {
      const m = matches(node.child, view, bloom);
      for (let r = 0; r < rows; r++) mask[r] = m[r]! ^ 1;
      return mask;
    }
    case 'dataset':
      return view.block.stream === node.value ? mask.fill(1) : mask;
    case 'time': {
      const ts = view.ts();
      for (let r = 0; r < rows; r++) mask[r] = ts[r]! >= node.from && ts[r]! < node.to ? 1 : 0;
      return mask;
    }
    case 'words':
      markWords(node, view, mask);
      return mask;
    case 'text':
      markWords(node, view, mask);
      if (node.value) markAnyField(node.value, node.needle, view, bloom, mask);
      return mask;
    case 'term': {
      const value = node.value;
      for (const { cells, rest } of view.sources(node.keys)) {
        for (let r = 0; r < rows; r++) if (!mask[r] && walk(cells[r], rest, 0, (leaf) => termMatches(leaf, value))) mask[r] = 1;
      }
      return mask;
    }
    case 'range':
      for (const { cells, rest } of view.sources(node.keys)) {
        for (let r = 0; r < rows; r++) {
          if (!mask[r] && walk(cells[r], rest, 0, (leaf) => rangeMatches(leaf, node.bounds, node.numeric))) mask[r] = 1;
        }
      }
      return mask;
    case 'exists': {
      const columns = [...view.sources(node.keys), ...view.descendants(node.keys).map((cells) => ({ cells, rest: [] as string[] }))];
      for (const { cells, rest } of columns) {
        for (let r = 0; r < rows; r++) if (!mask[r] && walk(cells[r], rest, 0, (leaf) => present(leaf) || isObject(leaf))) mask[r] = 1;
      }
      return mask;
    }
  }
}

function isObject(leaf: unknown): boolean {
  return leaf !== null && typeof leaf === 'object' && !Array.isArray(leaf);
}

/** Rows whose message holds the words as a phrase. */
function markWords(node: { words: string[]; prefix: boolean }, view: BlockView, mask: Uint8Array): void {
  if (node.words.length === 0) return;
  const messages = view.column(MESSAGE_COLUMN);
  if (!messages) return;
  const first = node.words[0]!;
  for (let r = 0; r < view.rows; r++) {
    const text = messages[r];
    if (mask[r] || typeof text !== 'string') continue;
    // Splitting a message into words costs far more than a substring test: an ASCII message whose lowercase text
    // lacks the first word cannot hold the phrase (other text may fold accents, so it is always split).
    if (ASCII.test(text) && !text.toLowerCase().includes(first)) continue;
    if (containsPhrase(wordsOf(text), node.words, node.prefix)) mask[r] = 1;
  }
}

/** Rows where some field, at any depth, equals the text: only columns the filter says may hold it are read. */
function markAnyField(value: TermValue, needle: Needle | null, view: BlockView, bloom: Bloom | null, mask: Uint8Array): void {
  if (bloom && needle && !needleIn(bloom, needle, ANY_COLUMN)) return;
  for (const index of view.dataIndexes()) {
    if (bloom && needle && !needleIn(bloom, needle, index)) continue;
    const cells = view.data(index);
    for (let r = 0; r < view.rows; r++) if (!mask[r] && anyLeafMatches(cells[r], value)) mask[r] = 1;
  }
}
