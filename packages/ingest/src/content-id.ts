/**
 * Deterministic event ids for records whose protocol carries none. The id is a hash of the record's content, so a
 * shipper that retries a batch (after a timeout, a 503, a restart) sends the same ids and the store's idempotent
 * append keeps one copy. Key order and whitespace must not matter — two serializers of the same record agree — hence
 * canonical JSON: object keys sorted by UTF-16 code units, as RFC 8785 (JSON Canonicalization Scheme) does, and
 * otherwise `JSON.stringify` rules (undefined members dropped, non-finite numbers as null).
 */
import { hash } from 'node:crypto';

function canonical(value: unknown): string {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? String(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      return value.toString();
    case 'object':
      if (value === null) return 'null';
      if (Array.isArray(value)) return canonicalArray(value);
      if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return canonical((value as { toJSON(): unknown }).toJSON());
      return canonicalObject(value as Record<string, unknown>);
    default:
      return 'null'; // undefined, functions, symbols: as JSON.stringify renders them inside arrays
  }
}

function canonicalArray(list: unknown[]): string {
  let out = '[';
  for (let i = 0; i < list.length; i++) out += (i ? ',' : '') + canonical(list[i]);
  return out + ']';
}

function canonicalObject(obj: Record<string, unknown>): string {
  const keys = Object.keys(obj).sort();
  let out = '{';
  let first = true;
  for (const key of keys) {
    const v = obj[key];
    if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + canonical(v);
    first = false;
  }
  return out + '}';
}

/** Canonical JSON text of a value (sorted keys, no whitespace). Exposed for tests and for stores that need it. */
export function canonicalJson(value: unknown): string {
  return canonical(value);
}

/**
 * Content hash id: sha256 of the canonical JSON, hex, first 32 characters (128 bits — collision-free at any
 * realistic volume). The value must be acyclic; decoders pass records that already passed the safety walk.
 */
export function contentId(value: unknown): string {
  return hash('sha256', canonical(value), 'hex').slice(0, 32);
}

/**
 * Content hash of a record *as sent*: sha256 over `scope`, a newline and the raw text, hex, first 32 characters.
 * The bulk path uses it instead of `contentId` because canonicalizing a 1 KB document costs four times the hash
 * itself, and it is still deterministic where it matters: a shipper retrying a batch re-sends the same bytes
 * (Filebeat, Fluent Bit and Vector resend their buffered payload; clients re-serialize the same object).
 */
export function textId(scope: string, text: string): string {
  // One-shot `crypto.hash` (Node ≥ 20.12) is about a third cheaper than createHash().update().digest() here.
  return hash('sha256', `${scope}\n${text}`, 'hex').slice(0, 32);
}
