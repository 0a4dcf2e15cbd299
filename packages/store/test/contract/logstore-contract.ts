/**
 * The LogStore contract: what every adapter (SQLite, Elasticsearch, OpenSearch) must do, run against the real engine.
 * It uses the port and the search language only. It assumes `append` resolves once the batch is searchable. The
 * explorer's cases (free text on every field, `topValues`, `around`) are in logstore-contract-explore.ts, run from here.
 *
 * Configuration: the suite runs on whatever adapter settings the caller gives and prints them first (settings.ts).
 * SQLite: the product's (`synchronous` FULL by default, the writer thread or inline; `synchronous` only decides what
 * survives a power cut). Search engines: NOT the product default. The suite needs read-your-writes, so its callers run
 * `refresh=wait_for` (`store.refresh: wait_for`, at a 100 ms refresh interval for speed); the product default
 * `store.refresh: false` acknowledges once durable and makes events searchable within `store.refresh_interval` (1 s),
 * which this suite does not exercise.
 *
 * Usage: `runLogStoreContract('sqlite', async () => new BlockLogStore({...}))` in a `*.test.ts` file; the suite calls
 * `init()` on each store it makes and `close()` when done.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import type { LogStore, SearchRequest, SortOrder } from '../../src/port.js';
import { parseQuery } from '../../src/query/parse.js';
import { FIXTURE, T0, at, pagingEvents } from './fixtures.js';
import { QUERY_CASES, SPECIAL_CHARACTER_QUERIES } from './query-cases.js';
import { runExploreContract } from './logstore-contract-explore.js';
import { settingsOf } from './settings.js';

const idOf = (e: Event) => e.event.id;

/** Every hit of a search, following cursors; fails on a repeated id or a page loop. */
export async function searchAll(store: LogStore, req: Omit<SearchRequest, 'cursor'>): Promise<Event[]> {
  const hits: Event[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const page = await store.search({ ...req, ...(cursor ? { cursor } : {}) });
    hits.push(...page.hits);
    if (page.cursor === null) return hits;
    assert.ok(page.hits.length === req.size, 'a page with a next cursor is full');
    cursor = page.cursor;
  }
  throw new Error('pagination did not end');
}

async function ids(store: LogStore, q: string, extra: Partial<SearchRequest> = {}): Promise<string[]> {
  const hits = await searchAll(store, { query: parseQuery(q), size: 100, sort: 'asc', ...extra });
  return hits.map(idOf);
}

export function runLogStoreContract(name: string, makeStore: () => Promise<LogStore>): void {
  describe(`LogStore contract: ${name}`, () => {
    const opened: LogStore[] = [];
    const fresh = async (): Promise<LogStore> => {
      const store = await makeStore();
      await store.init();
      if (opened.length === 0) console.log(`LogStore contract: ${name} ${settingsOf(store)}`);
      opened.push(store);
      return store;
    };
    after(async () => {
      for (const store of opened) await store.close();
    });

    describe('append and get', () => {
      it('creates new events and reports a repeated batch as duplicates', async () => {
        const store = await fresh();
        const first = await store.append(FIXTURE.slice(0, 3));
        assert.deepEqual(first, { statuses: ['created', 'created', 'created'], created: 3, duplicates: 0 });
        const again = await store.append(FIXTURE.slice(0, 4));
        assert.deepEqual(again, { statuses: ['duplicate', 'duplicate', 'duplicate', 'created'], created: 1, duplicates: 3 });
        assert.deepEqual(await ids(store, ''), ['e1', 'e2', 'e3', 'e4']);
      });

      it('keeps the first of two events with the same id in one batch', async () => {
        const store = await fresh();
        const [a, b] = FIXTURE as [Event, Event];
        const twin = { ...a, message: 'a different body, same id' } as Event;
        const result = await store.append([a, b, twin]);
        assert.deepEqual(result, { statuses: ['created', 'created', 'duplicate'], created: 2, duplicates: 1 });
        assert.deepEqual(await store.get('e1'), a);
        assert.deepEqual(await ids(store, '"same id"'), []);
      });

      it('accepts an empty batch', async () => {
        const store = await fresh();
        assert.deepEqual(await store.append([]), { statuses: [], created: 0, duplicates: 0 });
      });

      it('gets an event by id exactly as appended, and null for an unknown id', async () => {
        const store = await fresh();
        await store.append(FIXTURE);
        for (const e of FIXTURE) assert.deepEqual(await store.get(idOf(e)), e);
        assert.equal(await store.get('no-such-id'), null);
      });

      it('answers ping', async () => {
        const store = await fresh();
        assert.equal(await store.ping(), true);
      });
    });

    describe('search language', () => {
      let store: LogStore;
      before(async () => {
        store = await fresh();
        await store.append(FIXTURE);
      });
      for (const [query, expected] of QUERY_CASES) {
        it(`${query || '(empty)'} -> ${expected.join(',') || 'nothing'}`, async () => {
          assert.deepEqual(await ids(store, query), expected);
        });
      }
      it('never fails on special characters, quotes or FTS syntax in values', async () => {
        for (const [query, expected] of SPECIAL_CHARACTER_QUERIES) {
          const got = await ids(store, query);
          if (expected !== null) assert.deepEqual(got, expected, query);
        }
      });
    });

    describe('time range and sort', () => {
      let store: LogStore;
      before(async () => {
        store = await fresh();
        await store.append(FIXTURE);
      });
      it('includes from and excludes to', async () => {
        const range = { from: new Date(T0 + 1000), to: new Date(T0 + 3000) };
        assert.deepEqual(await ids(store, '', range), ['e2', 'e3']);
        assert.deepEqual(await ids(store, '', { from: new Date(T0 + 5000) }), ['e6', 'e7', 'e8']);
        assert.deepEqual(await ids(store, '', { to: new Date(T0 + 1) }), ['e1']);
        assert.deepEqual(await ids(store, 'alice', { from: new Date(T0 + 3000), to: new Date(T0 + 3_600_001) }), ['e6', 'e8']);
      });
      it('sorts newest first by default, ties in reverse arrival order', async () => {
        const hits = await searchAll(store, { query: parseQuery(''), size: 100 });
        assert.deepEqual(hits.map(idOf), ['e8', 'e7', 'e6', 'e5', 'e4', 'e3', 'e2', 'e1']);
      });
      it('sorts oldest first with sort asc, ties in arrival order', async () => {
        assert.deepEqual(await ids(store, '', { sort: 'asc' }), ['e1', 'e2', 'e3', 'e4', 'e5', 'e6', 'e7', 'e8']);
      });
    });

    describe('pagination', () => {
      let store: LogStore;
      const events = pagingEvents(250);
      before(async () => {
        store = await fresh();
        await store.append(events);
      });
      for (const sort of ['asc', 'desc'] as SortOrder[]) {
        it(`visits 250 events with size 40 exactly once, in order (${sort})`, async () => {
          const pages: string[][] = [];
          let cursor: string | undefined;
          for (;;) {
            const page = await store.search({ query: parseQuery(''), size: 40, sort, ...(cursor ? { cursor } : {}) });
            pages.push(page.hits.map(idOf));
            if (page.cursor === null) break;
            cursor = page.cursor;
            assert.ok(pages.length < 10, 'too many pages');
          }
          assert.deepEqual(pages.map((p) => p.length), [40, 40, 40, 40, 40, 40, 10]);
          const expected = events.map(idOf);
          if (sort === 'desc') expected.reverse();
          assert.deepEqual(pages.flat(), expected);
        });
      }
      it('returns no cursor when the last page is exactly full', async () => {
        const all = await searchAll(store, { query: parseQuery('paging'), size: 50, sort: 'asc' });
        assert.equal(all.length, 250);
        const one = await store.search({ query: parseQuery(''), size: 250 });
        assert.equal(one.hits.length, 250);
        assert.equal(one.cursor, null);
      });
      it('paginates a filtered query within a time range', async () => {
        const from = new Date(T0 + 10_000);
        const to = new Date(T0 + 20_000);
        const hits = await searchAll(store, { query: parseQuery('paging NOT "number 75"'), from, to, size: 7 });
        const expected = events.filter((e) => {
          const ts = Date.parse(e['@timestamp']);
          return ts >= from.getTime() && ts < to.getTime() && idOf(e) !== 'p075';
        });
        assert.deepEqual(hits.map(idOf), expected.map(idOf).reverse());
      });
      it('is not disturbed by events appended between pages', async () => {
        const page1 = await store.search({ query: parseQuery(''), size: 100 });
        await store.append(pagingEvents(5, 'late').map((e) => ({ ...e, '@timestamp': at(10_000_000) })));
        const rest = await searchAll(store, { query: parseQuery(''), size: 100, ...(page1.cursor ? { cursor: page1.cursor } : {}) });
        const seen = [...page1.hits, ...rest].map(idOf);
        assert.equal(new Set(seen).size, 250);
        assert.ok(!seen.some((id) => id.startsWith('late')));
      });
      it('rejects a tampered cursor with BWK_BAD_PARAM naming the cursor', async () => {
        const page = await store.search({ query: parseQuery(''), size: 10 });
        assert.ok(page.cursor);
        const flipped = page.cursor.slice(0, 5) + (page.cursor[5] === 'A' ? 'B' : 'A') + page.cursor.slice(6);
        for (const cursor of [flipped, 'not-a-cursor', '!!!', page.cursor.slice(0, -4)]) {
          await assert.rejects(store.search({ query: parseQuery(''), size: 10, cursor }), (err: { code?: string; details?: { param?: string } }) => {
            assert.equal(err.code, 'BWK_BAD_PARAM');
            assert.equal(err.details?.param, 'cursor');
            return true;
          });
        }
      });
      it('rejects a page size outside 1..10000', async () => {
        for (const size of [0, -1, 10_001, 1.5]) {
          await assert.rejects(store.search({ query: parseQuery(''), size }), { code: 'BWK_BAD_PARAM' });
        }
      });
    });

    describe('histogram', () => {
      let store: LogStore;
      before(async () => {
        store = await fresh();
        await store.append(FIXTURE);
      });
      it('counts per bucket with the query applied', async () => {
        const req = { from: new Date(T0), to: new Date(T0 + 6000), intervalMs: 2000 };
        const all = await store.histogram({ ...req, query: parseQuery('') });
        assert.deepEqual(all, {
          intervalMs: 2000,
          buckets: [
            { key: at(0), count: 2 },
            { key: at(2000), count: 2 },
            { key: at(4000), count: 3 },
          ],
          total: 7,
        });
        const prod = await store.histogram({ ...req, query: parseQuery('kubernetes.namespace:prod') });
        assert.deepEqual(prod.buckets.map((b) => b.count), [1, 2, 1]);
        assert.equal(prod.total, 4);
      });
      it('zero-fills empty buckets and aligns keys to multiples of the interval', async () => {
        const h = await store.histogram({ query: parseQuery(''), from: new Date(T0 + 30_000), to: new Date(T0 + 3_600_001), intervalMs: 600_000 });
        assert.deepEqual(h.buckets.map((b) => b.key), [0, 1, 2, 3, 4, 5, 6].map((i) => at(i * 600_000)));
        // only events in [from, to) count: e1..e7 are before `from`, e8 is at T0+1h
        assert.deepEqual(h.buckets.map((b) => b.count), [0, 0, 0, 0, 0, 0, 1]);
        assert.equal(h.total, 1);
      });
      it('rejects a bad interval or an empty range', async () => {
        const q = parseQuery('');
        await assert.rejects(store.histogram({ query: q, from: new Date(T0), to: new Date(T0 + 1000), intervalMs: 0 }), { code: 'BWK_BAD_PARAM' });
        await assert.rejects(store.histogram({ query: q, from: new Date(T0), to: new Date(T0), intervalMs: 1000 }), { code: 'BWK_BAD_PARAM' });
      });
    });

    runExploreContract(fresh, (store, q) => ids(store, q));
  });
}
