/**
 * Compiles one Sigma value under a checked modifier chain into a test of one event scalar. Runs once per value at
 * rule load; the tests it returns do no parsing. Semantics follow the rules spec v2 ("Detection") and the
 * modifiers appendix v2.1.0; see `match.ts` for wildcards and escapes and `modifiers.ts` for the chain itself.
 */
import { BlockList, isIP } from 'node:net';
import { RE2JS } from 're2js';
import {
  asNumber, asString, booleanEquals, compileStringTest, lowerCase, numberEquals, parseSigmaString, plainText, wrapWildcards,
  type Token, type ValueTest,
} from './match.js';
import {
  base64OffsetVariants, encodeText, windashVariants, type ModifierChain, type TextEncoding, type Variant,
} from './modifiers.js';
import type { ProblemSink } from './problems.js';
import { prefilterText, requiredLiterals } from './regex-literals.js';

/** Placeholder values for `expand` (rules spec v2, "Placeholders"): `%name%` → one value or several (ORed). */
export type Placeholders = Record<string, string | string[]>;

export interface ValueContext {
  sink: ProblemSink;
  path: string;
  placeholders: Placeholders;
}

/** Compiles a non-null scalar value; undefined (with problems recorded) when it cannot be used. */
export function compileValue(value: unknown, chain: ModifierChain, ctx: ValueContext): ValueTest | undefined {
  if (chain.timePart) return compileTimePart(value, chain, ctx);
  const { comparison } = chain;
  if (comparison === 'lt' || comparison === 'lte' || comparison === 'gt' || comparison === 'gte') {
    return compileNumeric(value, comparison, ctx);
  }
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    ctx.sink.add(ctx.path, `expected a string, number, boolean or null, got ${describe(value)}`);
    return undefined;
  }
  if (comparison === 'cidr') return compileCidr(value, ctx);
  if (comparison === 're') return compileRegex(value, chain, ctx);
  if (comparison === 'equals' && chain.transforms.length === 0 && typeof value !== 'string') {
    return typeof value === 'number' ? numberEquals(value) : booleanEquals(value);
  }
  const variants = applyTransforms(String(value), chain, ctx);
  if (!variants) return undefined;
  const tests = variants.map((variant) => compileVariant(variant, chain));
  return tests.length === 1 ? tests[0]! : (v) => tests.some((test) => test(v));
}

function compileVariant(variant: Variant, chain: ModifierChain): ValueTest {
  let tokens: Token[] = variant.literal ? [{ lit: variant.text }] : parseSigmaString(variant.text);
  const c = chain.comparison;
  tokens = wrapWildcards(tokens, c === 'contains' || c === 'endswith', c === 'contains' || c === 'startswith');
  // Encoded text is exact bytes: base64 is case-sensitive by nature.
  return compileStringTest(tokens, chain.cased || variant.literal);
}

function compileNumeric(value: unknown, op: 'lt' | 'lte' | 'gt' | 'gte', ctx: ValueContext): ValueTest | undefined {
  if (typeof value !== 'number') {
    ctx.sink.add(ctx.path, `'${op}' compares numbers ("Numeric Modifiers"), got ${describe(value)}`);
    return undefined;
  }
  const compare = {
    lt: (n: number) => n < value, lte: (n: number) => n <= value,
    gt: (n: number) => n > value, gte: (n: number) => n >= value,
  }[op];
  return (v) => {
    const n = asNumber(v);
    return n !== undefined && compare(n);
  };
}

/**
 * Time modifiers ("Time Modifiers"): the event value is a date (ISO 8601 text, or epoch milliseconds); the part
 * is taken in UTC — the spec does no time zone conversion — and compared as a number. `week` is the ISO week.
 */
function compileTimePart(value: unknown, chain: ModifierChain, ctx: ValueContext): ValueTest | undefined {
  const part = chain.timePart!;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    ctx.sink.add(ctx.path, `'${part}' compares a whole number, got ${describe(value)}`);
    return undefined;
  }
  const c = chain.comparison;
  const test = c === 'lt' || c === 'lte' || c === 'gt' || c === 'gte' ? compileNumeric(value, c, ctx)! : numberEquals(value);
  return (v) => {
    const date = typeof v === 'string' ? new Date(v) : typeof v === 'number' ? new Date(v) : undefined;
    const time = date?.getTime();
    return time !== undefined && !Number.isNaN(time) && test(TIME_PARTS[part](date!));
  };
}

const TIME_PARTS: Record<NonNullable<ModifierChain['timePart']>, (d: Date) => number> = {
  minute: (d) => d.getUTCMinutes(),
  hour: (d) => d.getUTCHours(),
  day: (d) => d.getUTCDate(),
  month: (d) => d.getUTCMonth() + 1,
  year: (d) => d.getUTCFullYear(),
  week: isoWeek,
};

/** ISO 8601 week number: the week (Monday first) holding the year's first Thursday is week 1. */
function isoWeek(date: Date): number {
  const d = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  d.setUTCDate(d.getUTCDate() + 4 - (d.getUTCDay() || 7));
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  return Math.ceil(((d.getTime() - yearStart) / 86_400_000 + 1) / 7);
}

/** `cidr` (appendix, "IP Modifiers"), IPv4 and IPv6, matched by Node's `net.BlockList`. */
function compileCidr(value: unknown, ctx: ValueContext): ValueTest | undefined {
  const [address = '', prefixText, extra] = String(value).split('/');
  const family = isIP(address);
  const max = family === 4 ? 32 : 128;
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (family === 0 || extra !== undefined || !Number.isInteger(prefix) || prefix < 0 || prefix > max) {
    ctx.sink.add(ctx.path, `'${String(value)}' is not a valid IPv4 or IPv6 CIDR`);
    return undefined;
  }
  const list = new BlockList();
  list.addSubnet(address, prefix, family === 4 ? 'ipv4' : 'ipv6');
  if (family === 4) {
    // IPv4 in an IPv4 subnet, by mask in JS: `BlockList.check` builds a native SocketAddress per call.
    const mask = prefix === 0 ? 0 : (~0 << (32 - prefix)) >>> 0;
    const network = (ipv4Number(address) & mask) >>> 0;
    return (v) => {
      const s = typeof v === 'string' ? v : undefined;
      const f = s === undefined ? 0 : isIP(s);
      if (f === 4) return ((ipv4Number(s!) & mask) >>> 0) === network;
      return f === 6 && list.check(s!, 'ipv6');
    };
  }
  return (v) => {
    const s = typeof v === 'string' ? v : undefined;
    const f = s === undefined ? 0 : isIP(s);
    return f !== 0 && list.check(s!, f === 4 ? 'ipv4' : 'ipv6');
  };
}

/** A dotted quad that `isIP` accepted, as an unsigned 32-bit number. */
function ipv4Number(address: string): number {
  let n = 0;
  for (const part of address.split('.')) n = n * 256 + Number(part);
  return n >>> 0;
}

/**
 * `re` with `i`, `m`, `s` ("Regular Expression"). Runs on re2js, a linear-time engine, so no pattern can
 * backtrack catastrophically and stall a worker. The pattern is searched for anywhere in the value (unanchored),
 * as in PCRE; a rule anchors with `^`/`$`. Case-sensitive unless `i`.
 */
function compileRegex(value: unknown, chain: ModifierChain, ctx: ValueContext): ValueTest | undefined {
  if (typeof value !== 'string') {
    ctx.sink.add(ctx.path, `'re' needs a string pattern, got ${describe(value)}`);
    return undefined;
  }
  const { i, m, s } = chain.reFlags;
  const flags = (i ? RE2JS.CASE_INSENSITIVE : 0) | (m ? RE2JS.MULTILINE : 0) | (s ? RE2JS.DOTALL : 0);
  try {
    const pattern = RE2JS.compile(value, flags);
    const literals = requiredLiterals(value);
    if (literals.length === 0) {
      return (v) => {
        const text = asString(v);
        return text !== undefined && pattern.test(text);
      };
    }
    return (v) => {
      const text = asString(v);
      if (text === undefined) return false;
      const folded = prefilterText(lowerCase(text));
      for (const literal of literals) if (!folded.includes(literal)) return false;
      return pattern.test(text);
    };
  } catch (error) {
    ctx.sink.add(ctx.path, `invalid or unsupported regular expression: ${(error as Error).message}`);
    return undefined;
  }
}

/** Applies expand, windash and the encodings in the order written ("Value Modifiers": applied in given order). */
function applyTransforms(text: string, chain: ModifierChain, ctx: ValueContext): Variant[] | undefined {
  let variants: Variant[] = [{ text, literal: false }];
  let encoding: TextEncoding = 'utf8';
  for (const transform of chain.transforms) {
    if (transform === 'expand') {
      const expanded = variants.map((v) => expandPlaceholders(v.text, ctx));
      if (expanded.some((e) => e === undefined)) return undefined;
      variants = expanded.flatMap((list) => list!.map((t) => ({ text: t, literal: false })));
    } else if (transform === 'windash') {
      const permuted = variants.map((v) => windashVariants(v.text));
      if (permuted.some((p) => p === undefined)) {
        ctx.sink.add(ctx.path, `'windash' on a value with more than 5 dashes makes too many permutations`);
        return undefined;
      }
      variants = variants.flatMap((v, n) => permuted[n]!.map((t) => ({ text: t, literal: v.literal })));
    } else if (transform === 'base64' || transform === 'base64offset') {
      const encoded = encodeVariants(variants, encoding, transform, ctx);
      if (!encoded) return undefined;
      variants = encoded;
    } else encoding = transform;
  }
  return variants;
}

function encodeVariants(
  variants: Variant[], encoding: TextEncoding, transform: 'base64' | 'base64offset', ctx: ValueContext,
): Variant[] | undefined {
  const out: Variant[] = [];
  for (const variant of variants) {
    const plain = variant.literal ? variant.text : plainText(parseSigmaString(variant.text));
    if (plain === undefined) {
      ctx.sink.add(ctx.path, `wildcards cannot be encoded with '${transform}'; use 'contains' instead`);
      return undefined;
    }
    const bytes = encodeText(plain, encoding);
    const texts = transform === 'base64' ? [bytes.toString('base64')] : base64OffsetVariants(bytes);
    out.push(...texts.map((t) => ({ text: t, literal: true })));
  }
  return out;
}

/**
 * `expand` ("Placeholders"): `%name%` takes the configured value(s), several values multiply into an OR list, and
 * `\%` is a plain percent. A placeholder with no configured value is an error: the spec says a tool that cannot
 * handle a placeholder must reject the rule.
 */
export function expandPlaceholders(text: string, ctx: ValueContext): string[] | undefined {
  let results = [''];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch === '\\' && text[i + 1] === '%') {
      results = results.map((r) => r + '%');
      i++;
      continue;
    }
    const close = ch === '%' ? text.indexOf('%', i + 1) : -1;
    if (close < 0) {
      results = results.map((r) => r + ch);
      continue;
    }
    const name = text.slice(i + 1, close);
    const configured = ctx.placeholders[name];
    if (configured === undefined) {
      ctx.sink.add(ctx.path, `placeholder '%${name}%' has no configured value`);
      return undefined;
    }
    const values = Array.isArray(configured) ? configured : [configured];
    results = results.flatMap((r) => values.map((v) => r + v));
    i = close;
  }
  return results;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  return typeof value === 'object' ? 'a map' : `${typeof value} ${JSON.stringify(value)}`;
}
