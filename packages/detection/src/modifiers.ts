/**
 * Value modifiers (rules spec v2, "Value Modifiers"; modifiers appendix v2.1.0). `field|mod1|mod2` applies the
 * modifiers in the order written. This file checks a chain once at load and splits it into what it does:
 * value transformations (expand, windash, utf16*, base64, base64offset), one comparison (equality, contains,
 * startswith, endswith, re, cidr, lt/lte/gt/gte, exists, fieldref) and flags (all, cased, neq, re's i/m/s).
 * Anything unknown or not supported is an error; nothing is silently ignored.
 */
import type { ProblemSink } from './problems.js';

export type Comparison =
  | 'equals' | 'contains' | 'startswith' | 'endswith' | 're' | 'cidr'
  | 'lt' | 'lte' | 'gt' | 'gte' | 'exists' | 'fieldref';

/** Time modifiers (appendix v2.1.0, "Time Modifiers"): a number extracted from a date value. */
export type TimePart = 'minute' | 'hour' | 'day' | 'week' | 'month' | 'year';

export type Transform = 'expand' | 'windash' | 'utf16le' | 'utf16be' | 'utf16' | 'base64' | 'base64offset';

/** A checked modifier chain. */
export interface ModifierChain {
  comparison: Comparison;
  /** Transformations, in the order written. */
  transforms: Transform[];
  /** `all`: list values are ANDed instead of ORed ("Generic Modifiers"). */
  all: boolean;
  cased: boolean;
  /** `neq`: the field is different from the values. */
  neq: boolean;
  /** re sub-modifiers `i`, `m`, `s` ("Regular Expression"). */
  reFlags: { i: boolean; m: boolean; s: boolean };
  /** A time modifier: compare this part of the event's date instead of the value itself. */
  timePart?: TimePart;
}

const COMPARISONS = new Set<string>([
  'contains', 'startswith', 'endswith', 're', 'cidr', 'lt', 'lte', 'gt', 'gte', 'exists', 'fieldref',
]);
const TRANSFORMS = new Set<string>(['expand', 'windash', 'utf16le', 'utf16be', 'utf16', 'wide', 'base64', 'base64offset']);
const RE_FLAGS = new Set(['i', 'm', 's']);
const TIME_PARTS = new Set<string>(['minute', 'hour', 'day', 'week', 'month', 'year']);

/**
 * Checks a modifier chain; every problem goes to `sink` at `path` (the detection key, modifiers included).
 * Returns undefined when the chain is unusable.
 */
export function parseModifierChain(names: string[], sink: ProblemSink, path: string): ModifierChain | undefined {
  const chain: ModifierChain = {
    comparison: 'equals', transforms: [], all: false, cased: false, neq: false,
    reFlags: { i: false, m: false, s: false },
  };
  const before = sink.problems.length;
  const seen = new Set<string>();
  for (const raw of names) {
    const name = raw === 'wide' ? 'utf16le' : raw; // "wide: an alias for the utf16le modifier"
    if (seen.has(name)) {
      sink.add(path, `modifier '${raw}' is repeated`);
      continue;
    }
    seen.add(name);
    if (name === 'all') chain.all = true;
    else if (name === 'cased') chain.cased = true;
    else if (name === 'neq') chain.neq = true;
    else if (RE_FLAGS.has(name)) {
      if (chain.comparison !== 're') sink.add(path, `modifier '${name}' is a sub-modifier of 're' and must follow it`);
      chain.reFlags[name as 'i' | 'm' | 's'] = true;
    } else if (COMPARISONS.has(name)) {
      if (chain.comparison !== 'equals') {
        sink.add(path, `modifiers '${chain.comparison}' and '${name}' cannot be combined`);
      }
      chain.comparison = name as Comparison;
    } else if (TRANSFORMS.has(raw)) {
      if (chain.comparison !== 'equals') sink.add(path, `transformation '${raw}' must come before '${chain.comparison}'`);
      chain.transforms.push(name as Transform);
    } else if (TIME_PARTS.has(name)) {
      if (chain.timePart) sink.add(path, `modifiers '${chain.timePart}' and '${name}' cannot be combined`);
      if (chain.comparison !== 'equals') sink.add(path, `time modifier '${name}' must come before '${chain.comparison}'`);
      chain.timePart = name as TimePart;
    }
    else sink.add(path, `unknown modifier '${raw}'`);
  }
  checkCombinations(chain, sink, path);
  return sink.problems.length === before ? chain : undefined;
}

/** Combinations the appendix rules out or that would silently mean nothing. */
function checkCombinations(chain: ModifierChain, sink: ProblemSink, path: string): void {
  const { comparison, transforms } = chain;
  const encodes = transforms.some((t) => t === 'base64' || t === 'base64offset');
  transforms.forEach((t, i) => {
    const isUtf16 = t === 'utf16le' || t === 'utf16be' || t === 'utf16';
    const laterBase64 = transforms.slice(i + 1).some((u) => u === 'base64' || u === 'base64offset');
    if (isUtf16 && !laterBase64) sink.add(path, `'${t}' only makes sense followed by 'base64' or 'base64offset'`);
    if (t === 'expand' && i > 0) sink.add(path, `'expand' must be the first transformation`);
  });
  if (transforms.includes('base64offset') && comparison !== 'contains') {
    sink.add(path, `'base64offset' yields fragments of an encoding and must be followed by 'contains'`);
  }
  const stringOnly = comparison === 're' || comparison === 'cidr' || comparison === 'fieldref';
  const numeric = ['lt', 'lte', 'gt', 'gte'].includes(comparison);
  if ((stringOnly || numeric || comparison === 'exists') && transforms.length > 0) {
    sink.add(path, `transformations cannot be combined with '${comparison}'`);
  }
  if (chain.cased && (numeric || comparison === 'cidr' || comparison === 're' || comparison === 'exists' || encodes)) {
    sink.add(path, `'cased' does not apply to '${encodes ? 'base64' : comparison}' (it is already exact)`);
  }
  if (comparison === 'exists' && (chain.all || chain.neq)) sink.add(path, `'exists' takes no other modifiers`);
  if (chain.neq && numeric) sink.add(path, `'neq' cannot be combined with '${comparison}'`);
  if (chain.timePart && ((comparison !== 'equals' && !numeric) || transforms.length > 0 || chain.cased)) {
    sink.add(path, `time modifier '${chain.timePart}' takes only 'lt', 'lte', 'gt', 'gte', 'neq' or 'all' after it`);
  }
}

/** One candidate after transformation: text in Sigma syntax, or literal text (encodings have no wildcards). */
export interface Variant {
  text: string;
  literal: boolean;
}

/** Every `-`-like character `windash` treats as interchangeable (appendix v2.1.0, "String Modifiers"). */
export const WINDASH_CHARS = ['-', '/', '\u2013', '\u2014', '\u2015'];
/** Five dashes already give 3,125 permutations; beyond that a rule is rejected rather than blown up. */
const WINDASH_MAX_DASHES = 5;

/** `windash`: every permutation of the dash characters at each dash position. */
export function windashVariants(text: string): string[] | undefined {
  const positions = [...text].flatMap((ch, i) => (WINDASH_CHARS.includes(ch) ? [i] : []));
  if (positions.length > WINDASH_MAX_DASHES) return undefined;
  let out = [[...text]];
  for (const pos of positions) {
    out = out.flatMap((chars) => WINDASH_CHARS.map((dash) => chars.map((c, i) => (i === pos ? dash : c))));
  }
  return out.map((chars) => chars.join(''));
}

export type TextEncoding = 'utf8' | 'utf16le' | 'utf16be' | 'utf16';

/** The bytes the encoding modifiers put under base64 (`utf16` prepends the FF FE byte order mark). */
export function encodeText(text: string, encoding: TextEncoding): Buffer {
  if (encoding === 'utf8') return Buffer.from(text, 'utf8');
  const le = Buffer.from(text, 'utf16le');
  if (encoding === 'utf16le') return le;
  if (encoding === 'utf16') return Buffer.concat([Buffer.from([0xff, 0xfe]), le]);
  return Buffer.from(le).swap16();
}

/**
 * `base64offset`: the value may sit at any byte offset of a longer encoded string. For shifts of 0, 1 and 2 bytes,
 * encode and keep only the characters that depend on the value alone: drop the leading characters that mix in
 * the bytes before it and the trailing ones that mix in the bytes after it.
 */
export function base64OffsetVariants(bytes: Buffer): string[] {
  const dropStart = [0, 2, 3];
  const dropEndByRemainder = [0, 3, 2];
  return [0, 1, 2].map((shift) => {
    const encoded = Buffer.concat([Buffer.alloc(shift), bytes]).toString('base64');
    const dropEnd = dropEndByRemainder[(shift + bytes.length) % 3]!;
    return encoded.slice(dropStart[shift]!, encoded.length - dropEnd);
  });
}
