/**
 * Small, allocation-light helpers for reading and shaping JSON records: typed optional reads that report a wrong
 * type as BAD_FIELD with the field's path, scalar-to-string coercion, string maps (labels), and the safe expansion of
 * dotted keys. Every write with a key that came from a sender goes through `setOwn`, which refuses prototype keys —
 * a second line of defence behind the safety walk.
 */
import { badField, jsonType } from './problems.js';
import { isForbiddenKey } from './safety.js';

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A property the object itself holds (not one inherited from Object.prototype such as `toString`). */
export function ownValue(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Sets a sender-named key; a prototype key is silently dropped here because the safety walk already reported it. */
export function setOwn(obj: JsonObject, key: string, value: unknown): void {
  if (!isForbiddenKey(key)) obj[key] = value;
}

/** Sets `obj[key]` only when the value is defined, so events carry no undefined members. `key` is one of ours. */
export function putDefined(obj: object, key: string, value: unknown): void {
  if (value !== undefined) (obj as JsonObject)[key] = value;
}

/** Strings stay, numbers and booleans become their text; anything else is not a scalar. */
export function scalarText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** A string field, or undefined when absent/null; any other type is BAD_FIELD at `path`. */
export function optString(obj: JsonObject, key: string, path: string): string | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw badField(path, `must be a string, got ${jsonType(v)}`);
  return v;
}

export function optNumber(obj: JsonObject, key: string, path: string): number | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v)) throw badField(path, `must be a number, got ${jsonType(v)}`);
  return v;
}

export function optObject(obj: JsonObject, key: string, path: string): JsonObject | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw badField(path, `must be an object, got ${jsonType(v)}`);
  return v;
}

export function optStringList(obj: JsonObject, key: string, path: string): string[] | undefined {
  const v = obj[key];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) throw badField(path, 'must be an array of strings');
  return v as string[];
}

/**
 * Coerces a value to a list of strings where that loses nothing: a single scalar becomes a one-element list, scalar
 * elements become their text, nulls are dropped. Objects inside are BAD_FIELD.
 */
export function toStringList(value: unknown, path: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  const out: string[] = [];
  for (const item of list) {
    if (item === null || item === undefined) continue;
    const text = scalarText(item);
    if (text === undefined) throw badField(path, `must be a string or an array of strings, found ${jsonType(item)}`);
    out.push(text);
  }
  return out;
}

/**
 * Coerces a value to a flat string map (labels). Scalars become text, nulls are dropped, and nested objects are
 * flattened with dotted keys — the inverse of dotted-key expansion, so `app.kubernetes.io/name` survives either
 * way. Arrays are BAD_FIELD: a label has one value.
 */
export function toStringMap(value: unknown, path: string): Record<string, string> {
  if (!isObject(value)) throw badField(path, `must be an object of strings, got ${jsonType(value)}`);
  const out: Record<string, string> = {};
  flattenInto(out, value, '', path);
  return out;
}

function flattenInto(out: Record<string, string>, obj: JsonObject, prefix: string, path: string): void {
  for (const key of Object.keys(obj)) {
    const v = obj[key];
    if (v === null || v === undefined) continue;
    const text = scalarText(v);
    if (text !== undefined) setOwn(out, prefix + key, text);
    else if (isObject(v)) flattenInto(out, v, `${prefix}${key}.`, path);
    else throw badField(`${path}.${prefix}${key}`, `must be a string, got ${jsonType(v)}`);
  }
}

/** Whether any key of the object has a dot; a cheap test before `expandDottedKeys`. */
export function hasDottedKey(obj: JsonObject): boolean {
  for (const key in obj) if (key.includes('.')) return true;
  return false;
}

/**
 * Expands top-level dotted keys (`"kubernetes.pod.name": "x"`, as Logstash and Vector emit) into nested objects,
 * merging with objects already there (the nested form wins where both set the same leaf). When a segment is taken
 * by a non-object (`"host": "a"` beside `"host.name": "b"`), the dotted key is left as it is rather than overwrite
 * anything. Only the top level is
 * expanded, so label maps keep keys such as `app.kubernetes.io/name` flat.
 */
export function expandDottedKeys(doc: JsonObject): void {
  for (const key of Object.keys(doc)) {
    if (!key.includes('.') || isForbiddenKey(key)) continue;
    const segments = key.split('.');
    if (segments.some((s) => s === '')) continue; // ".a", "a..b": not a path
    const value = doc[key];
    let target: JsonObject = doc;
    let ok = true;
    for (let i = 0; i < segments.length - 1 && ok; i++) {
      const seg = segments[i]!;
      const next = ownValue(target, seg);
      if (next === undefined) {
        const created: JsonObject = {};
        target[seg] = created;
        target = created;
      } else if (isObject(next)) target = next;
      else ok = false;
    }
    const leaf = segments[segments.length - 1]!;
    if (!ok || (Object.hasOwn(target, leaf) && !(isObject(target[leaf]) && isObject(value)))) continue;
    delete doc[key];
    if (isObject(target[leaf]) && isObject(value)) mergeInto(target[leaf] as JsonObject, value);
    else target[leaf] = value;
  }
}

/** Shallow-recursive merge of `from` into `into`; existing scalars win (the nested form is the canonical one). */
function mergeInto(into: JsonObject, from: JsonObject): void {
  for (const key of Object.keys(from)) {
    const existing = ownValue(into, key);
    const v = from[key];
    if (existing === undefined) setOwn(into, key, v);
    else if (isObject(existing) && isObject(v)) mergeInto(existing, v);
  }
}
