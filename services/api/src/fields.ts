/**
 * The explorer's field sidebar: which fields the matching events carry, of what type, and their most frequent values,
 * computed from the newest matching events read through the LogStore port (`store.search`), so the embedded store
 * and the search engines answer alike (docs/ARCHITECTURE.md, "Ports, adapters and contract suites"). Counting over a
 * sample keeps the cost bounded on any data size; the answer says how many events it read and whether that was all.
 * One field's top values (`GET /v1/fields/top`) are the store's own count over every match (`LogStore.topValues`).
 */
import type { Event } from '@bulwark/schema';
import type { LogStore, QueryNode } from '@bulwark/store';

export type FieldType = 'string' | 'number' | 'boolean' | 'date' | 'object';
export type FieldValue = string | number | boolean;

/** Values longer than this are counted as present but not ranked: a top value is something to click and filter on. */
export const MAX_RANKED_VALUE_CHARS = 256;
/** Distinct values tracked per field before the rarest are forgotten, so a field of unique ids cannot grow unbounded. */
const MAX_DISTINCT_PER_FIELD = 5000;
/** Fields listed at most: audit events carry whole Kubernetes objects with hundreds of leaves. */
export const MAX_FIELDS = 500;
/** Largest page read from the store at once (the port's limit is 10,000). */
const PAGE = 1000;

const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/;

/**
 * A key as the query language names it: dots inside a key (Falco's flat `proc.name`) are escaped, so the name the
 * sidebar shows is also the name a filter on it uses.
 */
const keyName = (key: string): string => key.replaceAll('.', '\\.');

/**
 * Every leaf of an event as `[dotted name, value, type]`: nested objects become dotted names, an array's elements are
 * each a value of the array's name (as the search engines index them), and an empty object or array is an `object`.
 */
export function flatten(value: unknown, name = '', out: Array<[string, FieldValue | null, FieldType]> = [], depth = 0): typeof out {
  if (value === null || value === undefined) return out;
  if (Array.isArray(value)) {
    if (value.length === 0 && name) out.push([name, null, 'object']);
    for (const item of value) flatten(item, name, out, depth + 1);
    return out;
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if ((entries.length === 0 || depth > 32) && name) out.push([name, null, 'object']);
    if (depth > 32) return out;
    for (const [key, child] of entries) flatten(child, name ? `${name}.${keyName(key)}` : keyName(key), out, depth + 1);
    return out;
  }
  if (typeof value === 'string') out.push([name, value, ISO_DATE.test(value) ? 'date' : 'string']);
  else if (typeof value === 'number') out.push([name, value, 'number']);
  else if (typeof value === 'boolean') out.push([name, value, 'boolean']);
  return out;
}

/** The events `[name, value]` counts are made from: the newest `limit` matching, read a page at a time. */
export async function newestMatching(
  store: LogStore,
  query: QueryNode,
  range: { from?: Date; to?: Date },
  limit: number,
): Promise<{ events: Event[]; complete: boolean }> {
  const events: Event[] = [];
  let cursor: string | null = null;
  do {
    const page = await store.search({ query, size: Math.min(PAGE, limit - events.length), sort: 'desc', ...range, ...(cursor ? { cursor } : {}) });
    events.push(...page.hits);
    cursor = page.cursor;
  } while (cursor && events.length < limit);
  return { events, complete: cursor === null };
}

class ValueCounts {
  private readonly counts = new Map<string, { value: FieldValue; count: number }>();

  add(value: FieldValue): void {
    if (typeof value === 'string' && value.length > MAX_RANKED_VALUE_CHARS) return;
    const key = `${typeof value}:${String(value)}`;
    const hit = this.counts.get(key);
    if (hit) hit.count++;
    else {
      if (this.counts.size >= MAX_DISTINCT_PER_FIELD) this.forgetRarest();
      this.counts.set(key, { value, count: 1 });
    }
  }

  top(size: number): Array<{ value: FieldValue; count: number }> {
    return [...this.counts.values()]
      .sort((a, b) => b.count - a.count || String(a.value).localeCompare(String(b.value)))
      .slice(0, size)
      .map(({ value, count }) => ({ value, count }));
  }

  /** Drops the values seen once (or the lower half): approximate for the long tail, exact for frequent values. */
  private forgetRarest(): void {
    const sorted = [...this.counts.entries()].sort((a, b) => a[1].count - b[1].count);
    const ones = sorted.filter(([, v]) => v.count === 1);
    for (const [key] of ones.length > 0 ? ones : sorted.slice(0, sorted.length / 2)) this.counts.delete(key);
  }
}

export interface FieldSummary {
  name: string;
  type: FieldType;
  /** Events (of the sample) carrying the field. */
  count: number;
  top: Array<{ value: FieldValue; count: number }>;
}

/** Per field: its type (the most frequent one seen), how many events carry it, its `topSize` most frequent values. */
export function summariseFields(events: readonly Event[], topSize: number): FieldSummary[] {
  const fields = new Map<string, { types: Map<FieldType, number>; events: number; values: ValueCounts }>();
  for (const event of events) {
    const seen = new Set<string>();
    for (const [name, value, type] of flatten(event)) {
      let field = fields.get(name);
      if (!field) fields.set(name, (field = { types: new Map(), events: 0, values: new ValueCounts() }));
      field.types.set(type, (field.types.get(type) ?? 0) + 1);
      if (!seen.has(name)) {
        seen.add(name);
        field.events++;
      }
      if (value !== null) field.values.add(value);
    }
  }
  return [...fields.entries()]
    .map(([name, f]) => ({
      name,
      type: [...f.types.entries()].sort((a, b) => b[1] - a[1])[0]![0],
      count: f.events,
      top: f.values.top(topSize),
    }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name))
    .slice(0, MAX_FIELDS);
}

/**
 * The scalar values an event holds at a dotted field name (escaped dots being part of a key), and a name's keys: the
 * store's reading of a field (`valuesAt`), so the sidebar, context and export see the values a query on that name finds.
 */
export { valuesAt as valuesOf, splitFieldPath as splitName } from '@bulwark/store';
