/**
 * Value semantics of Sigma strings (rules spec v2, "Detection" › "General", "String Wildcard", "Escaping"):
 * case-insensitive by default, `*` (any run) and `?` (one character) wildcards, and backslash escapes.
 *
 * A value is parsed once, at rule load, into tokens and compiled to the cheapest test that implements it: equality,
 * prefix, suffix or substring for the common shapes, and a linear-time re2js pattern for the rest (so a value
 * with many wildcards cannot backtrack). Nothing here runs per event except the compiled test.
 */
import { RE2JS } from 're2js';

/** A literal run of characters, or a wildcard. */
export type Token = { lit: string } | '*' | '?';

/** A test of one scalar event value (after field resolution and array fan-out). */
export type ValueTest = (value: unknown) => boolean;

/**
 * Parses a Sigma string ("Escaping"): `\*` and `\?` are literal wildcards, `\\` is one backslash, and any other
 * backslash is literal (so `C:\Windows` needs no doubling). Thus `\\*` is a backslash then a wildcard and
 * `\\\*` a backslash then a literal star.
 */
export function parseSigmaString(raw: string): Token[] {
  const tokens: Token[] = [];
  let literal = '';
  for (let i = 0; i < raw.length; i++) {
    const ch = raw[i]!;
    if (ch === '\\') {
      const next = raw[i + 1];
      if (next === '*' || next === '?' || next === '\\') {
        literal += next;
        i++;
      } else literal += '\\';
    } else if (ch === '*' || ch === '?') {
      if (literal) tokens.push({ lit: literal });
      literal = '';
      tokens.push(ch);
    } else literal += ch;
  }
  if (literal) tokens.push({ lit: literal });
  return tokens;
}

/** The text a token list stands for when it has no wildcards, else undefined. */
export function plainText(tokens: Token[]): string | undefined {
  let text = '';
  for (const token of tokens) {
    if (typeof token === 'string') return undefined;
    text += token.lit;
  }
  return text;
}

/** `contains`, `startswith`, `endswith` (modifiers appendix, "Generic Modifiers"): wrap in `*` wildcards. */
export function wrapWildcards(tokens: Token[], start: boolean, end: boolean): Token[] {
  const out = [...tokens];
  if (start && out[0] !== '*') out.unshift('*');
  if (end && out[out.length - 1] !== '*') out.push('*');
  return out;
}

/** Event scalars compared as strings: strings as is, numbers and booleans as written; objects and null never. */
export function asString(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return undefined;
}

/** Compiles a token list to a test; `cased` is the `cased` modifier (default is case-insensitive). */
export function compileStringTest(tokens: Token[], cased: boolean): ValueTest {
  const fold = cased ? (s: string) => s : lowerCase;
  const shape = simpleShape(tokens);
  if (shape) {
    const needle = fold(shape.text);
    const test = SHAPE_TESTS[shape.kind];
    return (value) => {
      const s = asString(value);
      return s !== undefined && test(fold(s), needle);
    };
  }
  const source = tokens.map((t) => (t === '*' ? '.*' : t === '?' ? '.' : RE2JS.quote(t.lit))).join('');
  const flags = RE2JS.DOTALL | (cased ? 0 : RE2JS.CASE_INSENSITIVE);
  const pattern = RE2JS.compile(source, flags);
  return (value) => {
    const s = asString(value);
    return s !== undefined && pattern.testExact(s);
  };
}

/**
 * `toLowerCase` remembering its last argument: the value tests of a keyword list or a value list run one after
 * another on the same event string (a log line against eight keywords), which would otherwise be lower-cased
 * (a copy) once per keyword.
 */
let lastRaw: string | undefined;
let lastLower = '';
export function lowerCase(s: string): string {
  if (s !== lastRaw) {
    lastLower = s.toLowerCase();
    lastRaw = s;
  }
  return lastLower;
}

type ShapeKind = 'equals' | 'prefix' | 'suffix' | 'contains' | 'anything';

const SHAPE_TESTS: Record<ShapeKind, (s: string, needle: string) => boolean> = {
  equals: (s, n) => s === n,
  prefix: (s, n) => s.startsWith(n),
  suffix: (s, n) => s.endsWith(n),
  contains: (s, n) => s.includes(n),
  anything: () => true,
};

/** Recognises `lit`, `lit*`, `*lit`, `*lit*` and `*`; anything else needs a pattern. */
function simpleShape(tokens: Token[]): { kind: ShapeKind; text: string } | undefined {
  const lead = tokens[0] === '*';
  const trail = tokens.length > 1 && tokens[tokens.length - 1] === '*';
  const inner = tokens.slice(lead ? 1 : 0, trail ? -1 : undefined);
  if (inner.length === 0) return lead || trail ? { kind: 'anything', text: '' } : { kind: 'equals', text: '' };
  const text = plainText(inner);
  if (text === undefined) return undefined;
  const kind: ShapeKind = lead && trail ? 'contains' : lead ? 'suffix' : trail ? 'prefix' : 'equals';
  return { kind, text };
}

/**
 * A plain number in a rule (`responseStatus.code: 403`) matches the number, or a string holding that number,
 * so events that carry numbers as text still match ("Maps": values are strings or integers).
 */
export function numberEquals(expected: number): ValueTest {
  return (value) => {
    if (typeof value === 'number') return value === expected;
    if (typeof value === 'string' && value.trim() !== '') return Number(value) === expected;
    return false;
  };
}

/** A YAML boolean in a rule matches the boolean or its text, case-insensitively. */
export function booleanEquals(expected: boolean): ValueTest {
  const text = String(expected);
  return (value) =>
    typeof value === 'boolean' ? value === expected : typeof value === 'string' && value.toLowerCase() === text;
}

/** Numeric value of an event scalar for `lt`/`lte`/`gt`/`gte`, or undefined when it is not a number. */
export function asNumber(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isNaN(value) ? undefined : value;
  if (typeof value === 'string' && value.trim() !== '') {
    const n = Number(value);
    return Number.isNaN(n) ? undefined : n;
  }
  return undefined;
}
