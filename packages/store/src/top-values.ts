/**
 * Counting top values in memory with the port's rules (`port.ts`, `TopValuesRequest`), for the fields the search
 * engines cannot aggregate (`search/top-values.ts` reads them from stored events), and reading a field's values out of
 * an event: a field name of the search language addresses object keys as the search engines do, so `a.b` reaches
 * `{"a":{"b":…}}` and `{"a.b":…}`, `a\.b` only the latter, and a list's elements are each a value of the list's name.
 */
import type { FieldTopValues, TopValue } from './port.js';
import { compareTopValues } from './explore-request.js';
import { splitFieldPath } from './query/scanner.js';

export type ScalarValue = string | number | boolean;

/** The string, number and boolean values an event holds at a field name of the search language. */
export function valuesAt(event: unknown, field: string): ScalarValue[] {
  const out: ScalarValue[] = [];
  collect(event, splitFieldPath(field), 0, out);
  return out;
}

function collect(value: unknown, keys: string[], at: number, out: ScalarValue[]): void {
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    for (const item of value) collect(item, keys, at, out);
    return;
  }
  if (at === keys.length) {
    if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) out.push(value);
    return;
  }
  if (typeof value !== 'object') return;
  const record = value as Record<string, unknown>;
  // A key that itself holds dots (Falco's `output_fields["proc.name"]`) as well as nesting: either spelling finds it.
  for (let end = keys.length; end > at; end--) {
    const key = keys.slice(at, end).join('.');
    if (Object.hasOwn(record, key)) collect(record[key], keys, end, out);
  }
}

/** Counts of one field: events carrying it, and per distinct value (a string and a number of the same text apart). */
export class FieldCounter {
  present = 0;
  private readonly counts = new Map<string, TopValue>();

  add(values: ScalarValue[]): void {
    if (values.length === 0) return;
    this.present++;
    const seen = new Set<string>();
    for (const value of values) {
      const key = `${typeof value}:${String(value)}`;
      if (seen.has(key)) continue; // an event counts once per distinct value it carries
      seen.add(key);
      const hit = this.counts.get(key);
      if (hit) hit.count++;
      else this.counts.set(key, { value, count: 1 });
    }
  }

  result(field: string, size: number): FieldTopValues {
    return { field, present: this.present, values: [...this.counts.values()].sort(compareTopValues).slice(0, size) };
  }
}
