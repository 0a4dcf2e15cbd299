/**
 * Reading fields of stored events by their dotted names (`kubernetes.pod.name`), as the query language and the
 * field sidebar name them. Pure, unit-tested in test/fields.test.ts.
 */

/** The value at `path`: nested objects first, then a literal dotted key at any level (`{"kubernetes.pod": …}`). */
export function getField(record: unknown, path: string): unknown {
  if (record === null || typeof record !== 'object') return undefined;
  const obj = record as Record<string, unknown>;
  if (path in obj) return obj[path];
  const parts = path.split('.');
  for (let i = parts.length - 1; i > 0; i--) {
    const head = parts.slice(0, i).join('.');
    if (head in obj) {
      const found = getField(obj[head], parts.slice(i).join('.'));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** A cell's text: strings as they are, arrays joined, objects as JSON, nothing as ''. */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(cellText).join(', ');
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Every leaf of `record` as [dotted name, value]; arrays of scalars are one leaf each value. */
export function leaves(record: unknown, prefix = '', out: [string, string | number | boolean][] = []): [string, string | number | boolean][] {
  if (record === null || record === undefined) return out;
  if (Array.isArray(record)) {
    for (const v of record) {
      if (v === null || typeof v !== 'object') out.push([prefix, v as string | number | boolean]);
      else leaves(v, prefix, out);
    }
    return out;
  }
  if (typeof record === 'object') {
    for (const [k, v] of Object.entries(record)) leaves(v, prefix ? `${prefix}.${k}` : k, out);
    return out;
  }
  out.push([prefix, record as string | number | boolean]);
  return out;
}

export interface FieldSummary {
  name: string;
  type: string;
  count: number;
  top: { value: string | number | boolean; count: number }[];
}

/**
 * Field summaries of `events` (the field sidebar before the server's GET /v1/fields answers, or on a server without
 * it): each field's count of events having it and its `topN` most frequent values, fields by count then name.
 */
export function summariseFields(events: readonly unknown[], topN = 5): FieldSummary[] {
  const byField = new Map<string, { type: string; events: number; values: Map<string, { value: string | number | boolean; count: number }> }>();
  for (const event of events) {
    const seen = new Set<string>();
    for (const [name, value] of leaves(event)) {
      if (name === 'event.original') continue;
      let f = byField.get(name);
      if (!f) byField.set(name, (f = { type: typeof value, events: 0, values: new Map() }));
      if (!seen.has(name)) {
        seen.add(name);
        f.events++;
      }
      const key = `${typeof value}:${String(value)}`;
      const v = f.values.get(key);
      if (v) v.count++;
      else f.values.set(key, { value, count: 1 });
    }
  }
  return [...byField]
    .map(([name, f]) => ({
      name,
      type: f.type === 'string' && /timestamp|_at$|^@/.test(name) ? 'date' : f.type,
      count: f.events,
      top: [...f.values.values()].sort((a, b) => b.count - a.count || String(a.value).localeCompare(String(b.value))).slice(0, topN),
    }))
    .sort((a, b) => b.count - a.count || a.name.localeCompare(b.name));
}
