/**
 * Top values on the block store counted from a column's dictionary or constant (`decodeIndexedColumn`) and, for a
 * block the range and query take whole, without its time column: the same answer as counting each event's value,
 * whatever the column's encoding, the query's mask or where the range cuts a block.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BlockLogStore, parseQuery } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-top-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const VERBS = ['get', 'list', 'watch', 'create', 'delete'];

/** 600 events in one stream: verb by dictionary, kind and code constant, `zone` in every other row, `gone` null. */
function events(): Event[] {
  return Array.from({ length: 600 }, (_, i) => {
    const doc: Record<string, unknown> = {
      '@timestamp': new Date(T0 + i * 1000).toISOString(),
      event: { id: `top-${i}`, dataset: 'top.test' },
      verb: VERBS[(i * 7) % 5 === 0 ? 0 : i % 5],
      kind: 'Event',
      code: 200,
      gone: null,
      uri: `/api/v1/items/${i}`,
    };
    if (i % 2 === 0) doc.zone = i % 6 === 0 ? 'a' : 'b';
    if (i % 3 === 0) doc.flag = true;
    return doc as Event;
  });
}

/** The top values counted one event at a time, as the port defines them (strings, numbers, booleans; null is none). */
function expected(list: Event[], field: string, size: number) {
  const counts = new Map<string, { value: string | number | boolean; count: number }>();
  let present = 0;
  for (const e of list) {
    const value = (e as Record<string, unknown>)[field];
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') continue;
    present++;
    const key = `${typeof value}:${String(value)}`;
    const hit = counts.get(key);
    if (hit) hit.count++;
    else counts.set(key, { value, count: 1 });
  }
  const values = [...counts.values()].sort((x, y) => y.count - x.count || (String(x.value) < String(y.value) ? -1 : 1)).slice(0, size);
  return { field, present, values };
}

describe('top values from dictionaries and constants', () => {
  let store: BlockLogStore;
  const all = events();
  before(async () => {
    store = new BlockLogStore({ path: join(dir, 'top.sqlite') });
    await store.init();
    await store.append(all);
  });
  after(() => store.close());

  const FIELDS = ['verb', 'kind', 'code', 'gone', 'zone', 'flag', 'uri'];
  const cases: Array<[name: string, q: string, from: number, to: number, keep: (e: Event, i: number) => boolean]> = [
    ['the whole block', '', 0, 600, () => true],
    ['a range that cuts the block', '', 100, 450, (_, i) => i >= 100 && i < 450],
    ['a query that masks rows', 'zone:a OR verb:list', 0, 600, (e) => (e as Record<string, unknown>).zone === 'a' || (e as Record<string, unknown>).verb === 'list'],
    ['a query and a range', 'verb:get', 30, 500, (e, i) => i >= 30 && i < 500 && (e as Record<string, unknown>).verb === 'get'],
  ];
  for (const [name, q, from, to, keep] of cases) {
    it(`counts as event by event: ${name}`, async () => {
      const kept = all.filter((e, i) => keep(e, i));
      const result = await store.topValues({ query: parseQuery(q), from: new Date(T0 + from * 1000), to: new Date(T0 + to * 1000), fields: FIELDS, size: 4 });
      assert.equal(result.total, kept.length);
      assert.deepEqual(result.fields, FIELDS.map((field) => expected(kept, field, 4)));
    });
  }
});
