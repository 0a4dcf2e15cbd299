/**
 * Compiles the `detection` section (rules spec v2, "Detection") into one test per search identifier:
 * a map is an AND of its field items, a list of maps an OR of maps, and a list of plain values a keyword search
 * ("Keywords search"). The `condition` is compiled separately (`condition.ts`) on top of these tests.
 */
import { compileFieldPath, type FieldResolver, type FieldValues } from './fields.js';
import { parseSigmaString, plainText, asString } from './match.js';
import { parseModifierChain, type ModifierChain } from './modifiers.js';
import { childPath, type ProblemSink } from './problems.js';
import { compileValue, describe, type Placeholders, type ValueContext } from './values.js';

export type EventTest = (event: unknown) => boolean;

/** Bulwark searches keywords in the event's `message` (the log line); see README "Semantics". */
export const KEYWORD_FIELD = 'message';

/** A required exact value an identifier puts on a field; the rule index uses it to skip rules cheaply. */
export interface ExactHint {
  field: string;
  /** Lower-cased; the event matches only if the field holds one of these (case-insensitively). */
  values: string[];
}

export interface CompiledIdentifier {
  test: EventTest;
  /** Exact values this identifier requires (every item of a single map that has one). */
  hints: ExactHint[];
}

type FieldTest = (found: FieldValues, event: unknown) => boolean;

/** Compiles every search identifier of `detection` (all keys but `condition`). */
export function compileIdentifiers(
  detection: Record<string, unknown>, sink: ProblemSink, placeholders: Placeholders,
): Map<string, CompiledIdentifier> {
  const out = new Map<string, CompiledIdentifier>();
  for (const [name, value] of Object.entries(detection)) {
    if (name === 'condition') continue;
    if (name === 'timeframe') {
      sink.add('detection.timeframe', "'timeframe' is Sigma v1 aggregation; write a correlation rule (timespan)");
      continue;
    }
    const compiled = compileIdentifier(value, { sink, placeholders, path: childPath('detection', name) });
    if (compiled) out.set(name, compiled);
  }
  return out;
}

function compileIdentifier(value: unknown, ctx: ValueContext): CompiledIdentifier | undefined {
  if (isMap(value)) return compileMap(value, ctx);
  if (!Array.isArray(value) || value.length === 0) {
    ctx.sink.add(ctx.path, `a search identifier must be a map or a non-empty list, got ${describe(value)}`);
    return undefined;
  }
  if (value.every(isMap)) {
    const maps = value.map((m, i) => compileMap(m, { ...ctx, path: childPath(ctx.path, i) }));
    if (maps.some((m) => m === undefined)) return undefined;
    if (maps.length === 1) return maps[0]; // one map: its required values still index the rule
    const tests = maps.map((m) => m!.test);
    return { test: (event) => tests.some((t) => t(event)), hints: [] };
  }
  if (value.every((v) => typeof v === 'string' || typeof v === 'number')) {
    return compileItem('', value, ctx); // a keyword list: OR of keywords
  }
  ctx.sink.add(ctx.path, 'a list must hold only maps or only plain values (keywords), not a mix');
  return undefined;
}

/** "Maps": all items ANDed. An empty field name (`'|all': [...]`) is a keyword item. */
function compileMap(map: Record<string, unknown>, ctx: ValueContext): CompiledIdentifier | undefined {
  const entries = Object.entries(map);
  if (entries.length === 0) {
    ctx.sink.add(ctx.path, 'an empty map matches nothing meaningful');
    return undefined;
  }
  const items = entries.map(([key, value]) => compileItem(key, value, { ...ctx, path: childPath(ctx.path, key) }));
  if (items.some((i) => i === undefined)) return undefined;
  const tests = items.map((i) => i!.test);
  const test: EventTest = tests.length === 1 ? tests[0]! : (event) => tests.every((t) => t(event));
  return { test, hints: items.flatMap((i) => i!.hints) };
}

/** One `field|modifiers: value(s)` item; lists are ORed unless `all` ("Lists", "Generic Modifiers"). */
function compileItem(key: string, raw: unknown, ctx: ValueContext): CompiledIdentifier | undefined {
  const [field = '', ...modifiers] = key.split('|');
  const chain = parseModifierChain(modifiers, ctx.sink, ctx.path);
  if (!chain) return undefined;
  const keyword = field === '';
  if (keyword && chain.comparison === 'equals') chain.comparison = 'contains';
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.length === 0) return fail(ctx, 'an empty list of values matches nothing');
  if (chain.all && values.length < 2) return fail(ctx, "'all' needs a list of at least two values");
  const resolve = compileFieldPath(keyword ? KEYWORD_FIELD : field);
  if (chain.comparison === 'exists') return compileExists(values, resolve, ctx);
  const tests = values.map((v, i) =>
    compileFieldTest(v, chain, { ...ctx, path: Array.isArray(raw) ? childPath(ctx.path, i) : ctx.path }),
  );
  if (tests.some((t) => t === undefined)) return undefined;
  const fieldTests = tests as FieldTest[];
  const combined: FieldTest = chain.all
    ? (found, event) => fieldTests.every((t) => t(found, event))
    : (found, event) => fieldTests.some((t) => t(found, event));
  const test: EventTest = chain.neq
    ? (event) => !combined(resolve(event), event)
    : (event) => combined(resolve(event), event);
  const hint = keyword ? undefined : exactHint(field, values, chain);
  return { test, hints: hint ? [hint] : [] };
}

/** `exists: true|false` ("Field Existence"): presence only, whatever the value, null and empty included. */
function compileExists(values: unknown[], resolve: FieldResolver, ctx: ValueContext): CompiledIdentifier | undefined {
  const [wanted] = values;
  if (values.length !== 1 || typeof wanted !== 'boolean') return fail(ctx, "'exists' takes one boolean value");
  return { test: (event) => resolve(event).found === wanted, hints: [] };
}

function compileFieldTest(value: unknown, chain: ModifierChain, ctx: ValueContext): FieldTest | undefined {
  if (value === null) {
    // "Special Field Values": null means the field is absent or null.
    if (chain.comparison !== 'equals' || chain.transforms.length > 0) return failField(ctx, 'null takes no modifiers but neq');
    return (found) => !found.found || found.values.some((v) => v === null);
  }
  if (chain.comparison === 'fieldref') return compileFieldRef(value, chain, ctx);
  const test = compileValue(value, chain, ctx);
  if (!test) return undefined;
  return (found) => found.values.some(test);
}

/** `fieldref` (appendix, "Specific Modifiers"): equal to another field of the same event. */
function compileFieldRef(value: unknown, chain: ModifierChain, ctx: ValueContext): FieldTest | undefined {
  if (typeof value !== 'string' || value === '') return failField(ctx, "'fieldref' takes a field name");
  const other = compileFieldPath(value);
  const fold = chain.cased ? (s: string) => s : (s: string) => s.toLowerCase();
  return (found, event) => {
    const theirs = new Set(other(event).values.map(asString).filter((s) => s !== undefined).map(fold));
    return found.values.some((v) => {
      const s = asString(v);
      return s !== undefined && theirs.has(fold(s));
    });
  };
}

/** An item the event must satisfy by exact value: equality, no transforms, no neq, plain strings. */
function exactHint(field: string, values: unknown[], chain: ModifierChain): ExactHint | undefined {
  if (chain.comparison !== 'equals' || chain.transforms.length > 0 || chain.neq || chain.all || chain.timePart) {
    return undefined;
  }
  const plain: string[] = [];
  for (const v of values) {
    if (typeof v !== 'string' || v.includes('\\')) return undefined;
    const text = plainText(parseSigmaString(v));
    if (text === undefined) return undefined;
    plain.push(text.toLowerCase());
  }
  return { field, values: plain };
}

function isMap(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function fail(ctx: ValueContext, message: string): undefined {
  ctx.sink.add(ctx.path, message);
  return undefined;
}

const failField = fail as (ctx: ValueContext, message: string) => FieldTest | undefined;
