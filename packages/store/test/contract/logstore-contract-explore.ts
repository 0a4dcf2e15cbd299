/**
 * The LogStore contract's explorer cases, run by `runLogStoreContract` on every adapter: free text that searches every
 * field (SEARCH.md, "Free text"), `topValues` (counted over every match, never a sample) and `around` (the events
 * either side of one event, ties at its instant split by arrival). Semantics are the port's (`port.ts`).
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import type { AroundRequest, LogStore, TopValuesRequest } from '../../src/port.js';
import { parseQuery } from '../../src/query/parse.js';
import { FIXTURE, T0, at, pagingEvents } from './fixtures.js';
import { EXPLORE_FIXTURE, FREE_TEXT_CASES, POD_UID, countingEvents } from './fixtures-explore.js';

const idOf = (e: Event) => e.event.id;

/** A rejection with BWK_BAD_PARAM naming `param`. */
function badParam(param: string) {
  return (err: { code?: string; details?: { param?: string } }) => {
    assert.equal(err.code, 'BWK_BAD_PARAM');
    assert.equal(err.details?.param, param);
    return true;
  };
}

export function runExploreContract(fresh: () => Promise<LogStore>, ids: (store: LogStore, q: string) => Promise<string[]>): void {
  describe('free text searches every field', () => {
    let store: LogStore;
    before(async () => {
      store = await fresh();
      await store.append(EXPLORE_FIXTURE);
    });
    for (const [query, expected] of FREE_TEXT_CASES) {
      it(`${query} -> ${expected.join(',') || 'nothing'}`, async () => {
        assert.deepEqual(await ids(store, query), expected);
      });
    }
  });

  describe('topValues', () => {
    let store: LogStore;
    let explore: LogStore;
    let counting: LogStore;
    const top = (s: LogStore, q: string, fields: string[], extra: Partial<TopValuesRequest> = {}) =>
      s.topValues({ query: parseQuery(q), fields, ...extra });
    before(async () => {
      [store, explore, counting] = await Promise.all([fresh(), fresh(), fresh()]);
      await Promise.all([store.append(FIXTURE), explore.append(EXPLORE_FIXTURE), counting.append(countingEvents())]);
    });

    it('counts each field over the matches: strings, list elements, numbers, dates; in request order', async () => {
      const fields = ['kubernetes.namespace', 'tags', 'process.pid', 'http.response.status_code', 'kubernetes.labels.app\\.kubernetes\\.io/name'];
      assert.deepEqual(await top(store, '', fields), {
        total: 8,
        fields: [
          { field: 'kubernetes.namespace', present: 8, values: [{ value: 'prod', count: 5 }, { value: 'staging', count: 2 }, { value: 'kube-system', count: 1 }] },
          {
            field: 'tags',
            present: 5,
            // equal counts in code point order of the text: '%' < 'T' < '_' < 'a'
            values: ['%', 'T1059', '_', 'app', 'denied', 'falco', 'read', 'write'].reduce((list, value) => [...list, { value, count: 1 }], [{ value: 'audit', count: 2 }]),
          },
          // numbers as numbers, equal counts ordered by their text: 42 before 4242 before 7
          { field: 'process.pid', present: 3, values: [{ value: 42, count: 1 }, { value: 4242, count: 1 }, { value: 7, count: 1 }] },
          { field: 'http.response.status_code', present: 3, values: [{ value: 200, count: 1 }, { value: 403, count: 1 }, { value: 500, count: 1 }] },
          { field: 'kubernetes.labels.app\\.kubernetes\\.io/name', present: 1, values: [{ value: 'web', count: 1 }] },
        ],
      });
    });

    it('lists at most size values, cut in the same order', async () => {
      const result = await top(store, '', ['tags', 'process.pid'], { size: 2 });
      assert.deepEqual(result.fields, [
        { field: 'tags', present: 5, values: [{ value: 'audit', count: 2 }, { value: '%', count: 1 }] },
        { field: 'process.pid', present: 3, values: [{ value: 42, count: 1 }, { value: 4242, count: 1 }] },
      ]);
    });

    it('applies the query and the time range (from inclusive, to exclusive)', async () => {
      const prod = await top(store, 'kubernetes.namespace:prod', ['user.name', 'process.pid']);
      assert.deepEqual(prod, {
        total: 5,
        fields: [
          { field: 'user.name', present: 2, values: [{ value: 'alice', count: 1 }, { value: 'root', count: 1 }] },
          { field: 'process.pid', present: 3, values: [{ value: 42, count: 1 }, { value: 4242, count: 1 }, { value: 7, count: 1 }] },
        ],
      });
      const range = await top(store, '', ['user.name'], { from: new Date(T0 + 3000), to: new Date(T0 + 3_600_000) });
      assert.equal(range.total, 4);
      assert.deepEqual(range.fields[0], { field: 'user.name', present: 3, values: ['alice', "o'hara", 'root'].map((value) => ({ value, count: 1 })) });
      const audit = await top(store, 'event.dataset:kubernetes.audit', ['@timestamp']);
      assert.deepEqual(audit.fields[0]!.values, [at(0), at(1000), at(5000)].map((value) => ({ value, count: 1 })));
    });

    it('reports a field no match carries, or that holds only objects, as present 0 with no values', async () => {
      const result = await top(store, '', ['no.such.field', 'kubernetes.pod', 'kubernetes.labels', 'user.name'], { size: 1 });
      assert.deepEqual(result.fields.slice(0, 3).map((f) => [f.field, f.present, f.values]), [
        ['no.such.field', 0, []],
        ['kubernetes.pod', 0, []],
        ['kubernetes.labels', 0, []],
      ]);
      assert.deepEqual(result.fields[3], { field: 'user.name', present: 5, values: [{ value: 'alice', count: 2 }] });
      const none = await top(store, 'user.name:nobody', ['user.name']);
      assert.deepEqual(none, { total: 0, fields: [{ field: 'user.name', present: 0, values: [] }] });
    });

    it('counts an event once per distinct element; booleans as booleans; values at any depth', async () => {
      const fields = [
        'tags',
        'metrics.flags.canary',
        'metrics.retries.count',
        'kubernetes.audit.sourceIPs',
        'source.ip',
        'output_fields.k8s\\.pod\\.uid',
        'kubernetes.audit.annotations.authorization\\.k8s\\.io/decision',
      ];
      const result = await top(explore, '', fields);
      assert.equal(result.total, 5);
      assert.deepEqual(result.fields, [
        { field: 'tags', present: 3, values: [{ value: 'audit', count: 2 }, { value: 'app', count: 1 }, { value: 'exec', count: 1 }] },
        { field: 'metrics.flags.canary', present: 2, values: [{ value: false, count: 1 }, { value: true, count: 1 }] },
        { field: 'metrics.retries.count', present: 2, values: [{ value: 2, count: 1 }, { value: 7331, count: 1 }] },
        { field: 'kubernetes.audit.sourceIPs', present: 2, values: ['10.1.2.3', '10.1.2.30', '192.168.7.7'].map((value) => ({ value, count: 1 })) },
        { field: 'source.ip', present: 2, values: [{ value: '10.1.2.3', count: 1 }, { value: '10.1.2.30', count: 1 }] },
        { field: 'output_fields.k8s\\.pod\\.uid', present: 1, values: [{ value: POD_UID, count: 1 }] },
        { field: 'kubernetes.audit.annotations.authorization\\.k8s\\.io/decision', present: 1, values: [{ value: 'allow', count: 1 }] },
      ]);
    });

    it('counts every match, however many, not the newest ones', async () => {
      const result = await top(counting, 'event.dataset:count.*', ['kubernetes.namespace', 'u', 'n'], { size: 3 });
      assert.equal(result.total, 1200);
      assert.deepEqual(result.fields, [
        { field: 'kubernetes.namespace', present: 1200, values: [{ value: 'old', count: 700 }, { value: 'new', count: 500 }] },
        // 1200 values seen once each: the first three in text order, wherever they are
        { field: 'u', present: 1200, values: ['u0000', 'u0001', 'u0002'].map((value) => ({ value, count: 1 })) },
        { field: 'n', present: 1200, values: [0, 1, 10].map((value) => ({ value, count: 1 })) },
      ]);
      const newest = await top(counting, 'n>=1000', ['n'], { size: 2 });
      assert.deepEqual(newest, { total: 200, fields: [{ field: 'n', present: 200, values: [{ value: 1000, count: 1 }, { value: 1001, count: 1 }] }] });
    });

    it('refuses no fields, more than 50, a bad field name or a size outside 1..100, naming the parameter', async () => {
      const q = parseQuery('');
      await assert.rejects(store.topValues({ query: q, fields: [] }), badParam('fields'));
      await assert.rejects(store.topValues({ query: q, fields: Array.from({ length: 51 }, (_, i) => `f${i}`) }), badParam('fields'));
      await assert.rejects(store.topValues({ query: q, fields: ['user.name', 'a..b'] }), badParam('fields'));
      await assert.rejects(store.topValues({ query: q, fields: ['user name'] }), badParam('fields'));
      for (const size of [0, 101, 1.5, -1]) await assert.rejects(store.topValues({ query: q, fields: ['tags'], size }), badParam('size'));
      assert.equal((await store.topValues({ query: q, fields: Array.from({ length: 50 }, (_, i) => `f${i}`), size: 100 })).fields.length, 50);
    });
  });

  describe('around', () => {
    let store: LogStore;
    let paging: LogStore;
    const around = async (s: LogStore, id: string, q: string, nb: number, na: number) => {
      const result = await s.around({ id, query: parseQuery(q), before: nb, after: na });
      return { anchor: result.anchor && idOf(result.anchor), before: result.before.map(idOf), after: result.after.map(idOf) };
    };
    before(async () => {
      [store, paging] = await Promise.all([fresh(), fresh()]);
      await Promise.all([store.append(FIXTURE), paging.append(pagingEvents(50))]);
    });

    it('returns the anchor as stored and its neighbours oldest first, ties at its instant split by arrival', async () => {
      const result = await store.around({ id: 'e6', query: parseQuery(''), before: 2, after: 2 });
      assert.deepEqual(result.anchor, FIXTURE[5]);
      assert.deepEqual(result.before.map(idOf), ['e4', 'e5']);
      assert.deepEqual(result.after.map(idOf), ['e7', 'e8']);
      assert.deepEqual(await around(store, 'e7', '', 2, 5), { anchor: 'e7', before: ['e5', 'e6'], after: ['e8'] });
      assert.deepEqual(await around(store, 'e1', '', 3, 1), { anchor: 'e1', before: [], after: ['e2'] });
    });

    it('splits many ties exactly: none lost, none twice', async () => {
      // pagingEvents: groups of 7 share an instant (p007..p013 one of them)
      assert.deepEqual(await around(paging, 'p010', '', 3, 3), { anchor: 'p010', before: ['p007', 'p008', 'p009'], after: ['p011', 'p012', 'p013'] });
      assert.deepEqual(await around(paging, 'p013', '', 2, 2), { anchor: 'p013', before: ['p011', 'p012'], after: ['p014', 'p015'] });
      const wide = await around(paging, 'p024', '', 30, 30);
      assert.deepEqual(wide.before, pagingEvents(24).map(idOf));
      assert.deepEqual(wide.after, pagingEvents(50).slice(25).map(idOf));
      assert.deepEqual(await around(paging, 'p024', 'NOT "number 23" NOT "number 25"', 2, 2), {
        anchor: 'p024',
        before: ['p021', 'p022'],
        after: ['p026', 'p027'],
      });
    });

    it('restricts the neighbours to the query; the anchor need not match it and keeps its place', async () => {
      assert.deepEqual(await around(store, 'e7', 'event.dataset:kubernetes.audit', 5, 5), { anchor: 'e7', before: ['e1', 'e2', 'e6'], after: [] });
      // e6 is an audit event: e7 (same instant, arrived after it) is after it, never before
      assert.deepEqual(await around(store, 'e6', 'event.dataset:container.logs', 2, 5), { anchor: 'e6', before: ['e3', 'e5'], after: ['e7', 'e8'] });
      assert.deepEqual(await around(store, 'e3', 'kubernetes.namespace:prod', 1, 1), { anchor: 'e3', before: ['e1'], after: ['e4'] });
      assert.deepEqual(await around(store, 'e3', 'no.such.field:*', 5, 5), { anchor: 'e3', before: [], after: [] });
    });

    it('answers before or after 0 with an empty side, and an unknown id with no anchor', async () => {
      assert.deepEqual(await around(store, 'e6', '', 0, 1), { anchor: 'e6', before: [], after: ['e7'] });
      assert.deepEqual(await around(store, 'e6', '', 1, 0), { anchor: 'e6', before: ['e5'], after: [] });
      assert.deepEqual(await around(store, 'e6', '', 0, 0), { anchor: 'e6', before: [], after: [] });
      assert.deepEqual(await store.around({ id: 'no-such-id', query: parseQuery(''), before: 5, after: 5 }), { anchor: null, before: [], after: [] });
    });

    it('refuses before or after outside 0..1000, naming it', async () => {
      const req = (extra: Partial<AroundRequest>): AroundRequest => ({ id: 'e6', query: parseQuery(''), before: 1, after: 1, ...extra });
      for (const n of [-1, 1001, 1.5]) {
        await assert.rejects(store.around(req({ before: n })), badParam('before'));
        await assert.rejects(store.around(req({ after: n })), badParam('after'));
      }
      assert.equal((await store.around(req({ before: 1000, after: 1000 }))).before.length, 5);
    });
  });
}
