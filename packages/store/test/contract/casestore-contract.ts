/**
 * The CaseStore contract: what every adapter must do, run against the real engine — create/get, duplicates, optimistic
 * concurrency (including two writers racing from one read), the append-only audit trail, exact filters, sorting,
 * cursors and awkward ids and values. It uses the port only.
 *
 * Usage: `runCaseStoreContract('sqlite', async (scope) => …)`. `makeStore(scope)` returns a new, not yet initialised
 * handle on the data of `scope`: the same scope twice means two connections (or clients) on the same data — used
 * to race writers — and different scopes never see each other's records. The suite calls `init()` and `close()`.
 *
 * Configuration: the suite runs on whatever adapter settings the caller gives and prints them first (settings.ts).
 * It needs a write to be visible to the next query once it returns, which every product setting gives: SQLite at
 * either `synchronous` (the product records alerts at NORMAL and people's changes at FULL; the setting only decides
 * what survives a power cut, which no suite tests), and the search engines with `refresh=true`, what the product opens
 * the case store with and what the engine suites run (`refresh=wait_for` would pass too, more slowly).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CaseCollection, CaseQuery, CaseRecord, CaseStore, MutableCaseCollection } from '../../src/case-port.js';
import { settingsOf } from './settings.js';

type Rec = CaseRecord & Record<string, unknown>;
const T0 = Date.parse('2024-05-01T10:00:00.000Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString();
const code = (expected: string) => (err: { code?: string }) => (assert.equal(err.code, expected), true);

/** Every item of a query, following cursors; fails when a page with a next cursor is not full, or on a loop. */
export async function queryAll(store: CaseStore, collection: CaseCollection, query: CaseQuery): Promise<{ ids: string[]; pages: number[] }> {
  const ids: string[] = [];
  const pages: number[] = [];
  let cursor: string | undefined;
  for (let n = 0; n < 500; n++) {
    const page = await store.query<Rec>(collection, { ...query, ...(cursor ? { cursor } : {}) });
    ids.push(...page.items.map((item) => item.record.id));
    pages.push(page.items.length);
    if (page.cursor === null) return { ids, pages };
    assert.equal(page.items.length, query.size, 'a page with a next cursor is full');
    cursor = page.cursor;
  }
  throw new Error('pagination did not end');
}

/** Incidents for the filter and sort cases: every expected answer can be read off this list. */
const INCIDENTS: Rec[] = [
  { id: 'i1', status: 'open', severity: 'high', assignee: 'alice', count: 3, acknowledged: false, rule: { id: 'r-exec' }, tags: ['k8s', 'exec'], created_at: at(1) },
  { id: 'i2', status: 'open', severity: 'low', assignee: 'bob', count: 1, acknowledged: true, rule: { id: 'r-secrets' }, tags: ['k8s'], created_at: at(5) },
  { id: 'i3', status: 'resolved', severity: 'critical', assignee: 'alice', count: 10, acknowledged: true, rule: { id: 'r-exec' }, tags: [], created_at: at(3) },
  { id: 'i4', status: 'acknowledged', severity: 'high', count: 2.5, acknowledged: false, rule: { id: 'r-bind' }, created_at: at(2) },
  { id: 'i5', status: 'contained', severity: 'medium', assignee: "o'hara \"q\" %_*", count: 0, acknowledged: false, tags: ['exec'], created_at: at(4) },
  { id: 'i6', status: 'open', severity: 'high', assignee: 'alice', count: 3, acknowledged: false, rule: { id: 'r-bind' }, created_at: at(5) },
];

export function runCaseStoreContract(name: string, makeStore: (scope: string) => Promise<CaseStore>): void {
  describe(`CaseStore contract: ${name}`, () => {
    const opened: CaseStore[] = [];
    const open = async (scope: string): Promise<CaseStore> => {
      const store = await makeStore(scope);
      await store.init();
      opened.push(store);
      return store;
    };
    let store: CaseStore;
    before(async () => {
      store = await open('main');
      console.log(`CaseStore contract: ${name} ${settingsOf(store)}`);
    });
    after(async () => {
      for (const s of opened) await s.close();
    });

    describe('create and get', () => {
      it('creates a record and reads it back with its version; other collections are separate', async () => {
        const alert = { id: 'a-1', status: 'open', count: 1, nested: { list: ['one', 'two'], objects: [{ x: true }, { x: false }], none: null } };
        const created = await store.create('alerts', alert);
        assert.deepEqual(created.record, alert);
        assert.equal(created.created, true);
        assert.equal(typeof created.version, 'string');
        assert.deepEqual(await store.get('alerts', 'a-1'), { record: alert, version: created.version });
        assert.equal(await store.get('incidents', 'a-1'), null);
        assert.equal(await store.get('alerts', 'no-such-id'), null);
        assert.equal(await store.ping(), true);
      });

      it('refuses a duplicate id with BWK_CONFLICT, or returns the stored record with ifAbsent', async () => {
        const first = await store.create('alerts', { id: 'a-dup', n: 1 });
        await assert.rejects(store.create('alerts', { id: 'a-dup', n: 2 }), (err: { code?: string; status?: number; details?: unknown }) => {
          assert.equal(err.code, 'BWK_CONFLICT');
          assert.equal(err.status, 409);
          assert.deepEqual(err.details, { collection: 'alerts', id: 'a-dup' });
          return true;
        });
        const again = await store.create('alerts', { id: 'a-dup', n: 3 }, { ifAbsent: true });
        assert.deepEqual(again, { record: { id: 'a-dup', n: 1 }, version: first.version, created: false });
      });

      it('creates a deterministic id once when many retries race with ifAbsent', async () => {
        const twin = await open('main');
        const results = await Promise.all(
          Array.from({ length: 6 }, (_, i) => (i % 2 ? twin : store).create('alerts', { id: 'a-race', attempt: i }, { ifAbsent: true })),
        );
        assert.equal(results.filter((r) => r.created).length, 1);
        const winner = results.find((r) => r.created)!;
        for (const r of results) assert.deepEqual({ record: r.record, version: r.version }, { record: winner.record, version: winner.version });
      });

      it('refuses malformed records and ids', async () => {
        const bad: unknown[] = [{ id: '' }, { id: 7 }, { n: 1 }, [], { id: 'x'.repeat(513) }, { id: 'k', 'a.b': 1 }, { id: 'k', _x: 1 }, { id: 'k', o: { '': 1 } }];
        for (const record of bad) await assert.rejects(store.create('alerts', record as CaseRecord), code('BWK_BAD_REQUEST'));
        const longest = { id: 'é'.repeat(256) };
        assert.equal((await store.create('alerts', longest)).created, true);
        assert.deepEqual((await store.get('alerts', longest.id))?.record, longest);
      });
    });

    describe('optimistic concurrency', () => {
      it('updates with the current version and refuses the stale one with the actual version', async () => {
        const { version: v1 } = await store.create('incidents', { id: 'c-1', status: 'open' });
        const v2 = await store.update('incidents', 'c-1', { id: 'c-1', status: 'acknowledged' }, { expectedVersion: v1 });
        assert.notEqual(v2, v1);
        assert.deepEqual(await store.get('incidents', 'c-1'), { record: { id: 'c-1', status: 'acknowledged' }, version: v2 });
        await assert.rejects(store.update('incidents', 'c-1', { id: 'c-1', status: 'resolved' }, { expectedVersion: v1 }), (err: { code?: string; details?: unknown }) => {
          assert.equal(err.code, 'BWK_CONFLICT');
          assert.deepEqual(err.details, { collection: 'incidents', id: 'c-1', expected: v1, actual: v2 });
          return true;
        });
        for (const foreign of ['', 'garbage', '999999', '5:1', '1:99']) {
          await assert.rejects(store.update('incidents', 'c-1', { id: 'c-1' }, { expectedVersion: foreign }), code('BWK_CONFLICT'));
        }
        assert.equal((await store.get('incidents', 'c-1'))?.version, v2);
      });

      it('answers BWK_NOT_FOUND for an unknown id and BWK_BAD_REQUEST when the record id differs', async () => {
        const { version } = await store.create('incidents', { id: 'c-2' });
        await assert.rejects(store.update('incidents', 'c-missing', { id: 'c-missing' }, { expectedVersion: version }), code('BWK_NOT_FOUND'));
        await assert.rejects(store.update('incidents', 'c-2', { id: 'c-other' }, { expectedVersion: version }), code('BWK_BAD_REQUEST'));
      });

      it('lets exactly one of several writers from the same read win, on one handle and across two', async () => {
        const twin = await open('main');
        await store.create('incidents', { id: 'c-race', assignee: null });
        for (const pair of [[store, store], [store, twin], [twin, store, twin, store]]) {
          const read = (await store.get('incidents', 'c-race'))!;
          const results = await Promise.allSettled(
            pair.map((s, i) => s.update('incidents', 'c-race', { id: 'c-race', assignee: `writer-${i}` }, { expectedVersion: read.version })),
          );
          const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [{ i, version: r.value }] : []));
          assert.equal(won.length, 1, 'exactly one writer wins');
          for (const r of results) if (r.status === 'rejected') assert.equal((r.reason as { code?: string }).code, 'BWK_CONFLICT');
          assert.deepEqual(await twin.get('incidents', 'c-race'), { record: { id: 'c-race', assignee: `writer-${won[0]!.i}` }, version: won[0]!.version });
        }
      });

      it('deletes, honours expectedVersion on delete, and never reuses a version after re-creation', async () => {
        const { version: v1 } = await store.create('runs', { id: 'run-del', n: 1 });
        const v2 = await store.update('runs', 'run-del', { id: 'run-del', n: 2 }, { expectedVersion: v1 });
        await assert.rejects(store.delete('runs', 'run-del', { expectedVersion: v1 }), code('BWK_CONFLICT'));
        assert.equal(await store.delete('runs', 'run-del', { expectedVersion: v2 }), true);
        assert.equal(await store.get('runs', 'run-del'), null);
        assert.equal(await store.delete('runs', 'run-del'), false);
        assert.equal(await store.delete('runs', 'run-del', { expectedVersion: v2 }), false);
        const again = await store.create('runs', { id: 'run-del', n: 3 });
        assert.ok(![v1, v2].includes(again.version), 'a re-created record gets a version never issued before');
        await assert.rejects(store.update('runs', 'run-del', { id: 'run-del' }, { expectedVersion: v1 }), code('BWK_CONFLICT'));
      });
    });

    describe('audit trail', () => {
      it('appends and reads audit records, replays idempotently, and refuses update, delete and create', async () => {
        const entry = { id: 'au-1', run_id: 'run-1', action: 'quarantinePod', '@timestamp': at(1) };
        const appended = await store.append('audit', entry);
        assert.equal(appended.created, true);
        assert.deepEqual(await store.get('audit', 'au-1'), { record: entry, version: appended.version });
        await assert.rejects(store.append('audit', { ...entry, action: 'other' }), code('BWK_CONFLICT'));
        assert.deepEqual(await store.append('audit', { ...entry, action: 'other' }, { ifAbsent: true }), { ...appended, created: false });
        const audit = 'audit' as MutableCaseCollection;
        await assert.rejects(store.update(audit, 'au-1', { ...entry, action: 'rewritten' }, { expectedVersion: appended.version }), code('BWK_BAD_REQUEST'));
        await assert.rejects(store.delete(audit, 'au-1'), code('BWK_BAD_REQUEST'));
        await assert.rejects(store.delete(audit, 'au-1', { expectedVersion: appended.version }), code('BWK_BAD_REQUEST'));
        await assert.rejects(store.create(audit, { id: 'au-2' }), code('BWK_BAD_REQUEST'));
        await assert.rejects(store.append('alerts' as 'audit', { id: 'au-3' }), code('BWK_BAD_REQUEST'));
        await assert.rejects(store.get('nope' as CaseCollection, 'x'), code('BWK_BAD_REQUEST'));
        assert.deepEqual(await store.get('audit', 'au-1'), { record: entry, version: appended.version });
      });
    });

    describe('query', () => {
      let q: CaseStore;
      const ids = async (query: Omit<CaseQuery, 'size'>, collection: CaseCollection = 'incidents') =>
        (await queryAll(q, collection, { size: 100, ...query })).ids;
      before(async () => {
        q = await open('query');
        await Promise.all(INCIDENTS.map((record) => q.create('incidents', record)));
        await Promise.all(INCIDENTS.map((record, i) => q.append('audit', { id: `au-${i}`, incident_id: record.id, '@timestamp': at(10 - i) })));
      });

      it('filters exactly on strings, dotted fields, any-of lists, booleans and numbers', async () => {
        assert.deepEqual(await ids({ filter: { status: 'open' } }), ['i1', 'i2', 'i6']);
        assert.deepEqual(await ids({ filter: { status: 'Open' } }), []);
        assert.deepEqual(await ids({ filter: { status: 'ope' } }), []);
        assert.deepEqual(await ids({ filter: { 'rule.id': 'r-exec' } }), ['i1', 'i3']);
        assert.deepEqual(await ids({ filter: { status: ['open', 'contained'] } }), ['i1', 'i2', 'i5', 'i6']);
        assert.deepEqual(await ids({ filter: { status: [] } }), []);
        assert.deepEqual(await ids({ filter: { acknowledged: true } }), ['i2', 'i3']);
        assert.deepEqual(await ids({ filter: { acknowledged: false } }), ['i1', 'i4', 'i5', 'i6']);
        assert.deepEqual(await ids({ filter: { count: 3 } }), ['i1', 'i6']);
        assert.deepEqual(await ids({ filter: { count: 2.5 } }), ['i4']);
        assert.deepEqual(await ids({ filter: { count: 0 } }), ['i5']);
        assert.deepEqual(await ids({ filter: { status: 'open', assignee: 'alice', severity: 'high' } }), ['i1', 'i6']);
        assert.deepEqual(await ids({ filter: { tags: 'exec' } }), ['i1', 'i5'], 'a list field matches any element');
        assert.deepEqual(await ids({ filter: { tags: ['k8s', 'nothing'] } }), ['i1', 'i2']);
        assert.deepEqual(await ids({ filter: { id: ['i2', 'i5', 'zz'] } }), ['i2', 'i5']);
        assert.deepEqual(await ids({ filter: { assignee: "o'hara \"q\" %_*" } }), ['i5']);
        assert.deepEqual(await ids({ filter: { 'no.such.field': 'x' } }), []);
        assert.deepEqual(await ids({ filter: { incident_id: 'i3' } }, 'audit'), ['au-2']);
      });

      it('counts records by the string values of a field, under a filter, in one read', async () => {
        assert.deepEqual(await q.countBy('incidents', 'status'), { open: 3, acknowledged: 1, contained: 1, resolved: 1 });
        assert.deepEqual(await q.countBy('incidents', 'status', { assignee: 'alice' }), { open: 2, resolved: 1 });
        assert.deepEqual(await q.countBy('incidents', 'no.such.field'), {});
        assert.deepEqual(await q.countBy('alerts', 'status'), {});
        await assert.rejects(q.countBy('incidents', 'bad path!'), (err: unknown) => (err as { code?: string }).code === 'BWK_BAD_PARAM');
      });

      it('keeps records within a range of times, numbers or text, with filters, sorts and records without the field left out', async () => {
        assert.deepEqual(await ids({ range: { created_at: { gte: at(2), lte: at(4) } } }), ['i3', 'i4', 'i5']);
        assert.deepEqual(await ids({ range: { created_at: { gt: at(2), lt: at(4) } } }), ['i3'], 'gt and lt exclude the bounds');
        assert.deepEqual(await ids({ range: { created_at: { gte: at(5) } } }), ['i2', 'i6']);
        assert.deepEqual(await ids({ range: { created_at: { lt: at(1) } } }), []);
        assert.deepEqual(await ids({ range: { count: { gte: 2.5 } } }), ['i1', 'i3', 'i4', 'i6']);
        assert.deepEqual(await ids({ range: { count: { gt: 0, lt: 3 } } }), ['i2', 'i4']);
        assert.deepEqual(await ids({ range: { assignee: { gte: 'alice', lt: 'bz' } } }), ['i1', 'i2', 'i3', 'i6'], 'text compares as text; i4 has no assignee');
        assert.deepEqual(await ids({ range: { 'no.such.field': { gte: 0 } } }), []);
        assert.deepEqual(await ids({ filter: { status: 'open' }, range: { created_at: { gte: at(2) } } }), ['i2', 'i6']);
        assert.deepEqual(
          await ids({ filter: { assignee: 'alice' }, range: { count: { lte: 3 }, created_at: { gte: at(1) } }, sort: { field: 'created_at', order: 'desc' } }),
          ['i6', 'i1'],
        );
        assert.deepEqual(await ids({ range: { tags: { gte: 'f' } } }), ['i1', 'i2'], 'a list field matches when one element is in range');
        assert.deepEqual(await ids({ range: { '@timestamp': { gte: at(8) } } }, 'audit'), ['au-0', 'au-1', 'au-2']);
        assert.deepEqual(await q.countBy('incidents', 'status', undefined, { created_at: { gte: at(3) } }), { open: 2, resolved: 1, contained: 1 });
        assert.deepEqual(await q.countBy('incidents', 'status', { assignee: 'alice' }, { count: { gt: 3 } }), { resolved: 1 });
      });

      it('pages a ranged query with cursors, and refuses its cursor for another range', async () => {
        const query: CaseQuery = { size: 2, range: { created_at: { gte: at(2) } }, sort: { field: 'created_at', order: 'asc' } };
        const all = await queryAll(q, 'incidents', query);
        assert.deepEqual(all.ids, ['i4', 'i3', 'i5', 'i2', 'i6']);
        assert.deepEqual(all.pages, [2, 2, 1]);
        const first = await q.query('incidents', query);
        assert.ok(first.cursor);
        await assert.rejects(q.query('incidents', { ...query, range: { created_at: { gte: at(3) } }, cursor: first.cursor }), code('BWK_BAD_PARAM'));
        await assert.rejects(q.query('incidents', { size: 2, sort: query.sort, cursor: first.cursor }), code('BWK_BAD_PARAM'));
      });

      it('refuses ranges without bounds, with unknown bounds, mixed or non-finite values, or bad field paths', async () => {
        const bad = [
          { created_at: {} }, { created_at: { from: at(1) } }, { count: { gte: 1, lte: 'x' } }, { count: { gte: Number.POSITIVE_INFINITY } },
          { count: { gte: true } }, { 'a b': { gte: 1 } }, { count: null }, { count: [1] },
        ] as unknown as Array<CaseQuery['range']>;
        for (const range of bad) await assert.rejects(q.query('incidents', { size: 10, range: range! }), code('BWK_BAD_PARAM'), JSON.stringify(range));
        await assert.rejects(q.countBy('incidents', 'status', undefined, { created_at: {} }), code('BWK_BAD_PARAM'));
      });

      it('groups records by a field: counts, counts by a second field and the latest record, largest groups first', async () => {
        const groups = await q.groups<Rec>('incidents', { field: 'rule.id', latest: 'created_at', countBy: 'severity', size: 10 });
        assert.deepEqual(
          groups.map((g) => [g.key, g.count, g.counts, g.latest.id]),
          [
            ['r-bind', 2, { high: 2 }, 'i6'],
            ['r-exec', 2, { high: 1, critical: 1 }, 'i3'],
            ['r-secrets', 1, { low: 1 }, 'i2'],
          ],
          'ties in size by key; i5 has no rule and is left out',
        );
        const open = await q.groups<Rec>('incidents', { field: 'assignee', latest: 'count', filter: { status: 'open' }, range: { created_at: { lte: at(5) } }, size: 1 });
        assert.deepEqual(open.map((g) => [g.key, g.count, g.counts, g.latest.id]), [['alice', 2, {}, 'i6']], 'size caps the groups; count ties go to the larger id');
        assert.deepEqual(await q.groups('incidents', { field: 'no.such.field', latest: 'created_at', size: 10 }), []);
        assert.deepEqual(await q.groups('alerts', { field: 'status', latest: 'created_at', size: 10 }), []);
        await assert.rejects(q.groups('incidents', { field: 'bad path!', latest: 'created_at', size: 10 }), code('BWK_BAD_PARAM'));
        await assert.rejects(q.groups('incidents', { field: 'status', latest: 'created_at', size: 0 }), code('BWK_BAD_PARAM'));
      });

      it('sorts by strings, numbers and times in both orders, ties by id, records without the field last', async () => {
        assert.deepEqual(await ids({ sort: { field: 'created_at', order: 'asc' } }), ['i1', 'i4', 'i3', 'i5', 'i2', 'i6']);
        assert.deepEqual(await ids({ sort: { field: 'created_at', order: 'desc' } }), ['i6', 'i2', 'i5', 'i3', 'i4', 'i1']);
        assert.deepEqual(await ids({ sort: { field: 'count', order: 'desc' } }), ['i3', 'i6', 'i1', 'i4', 'i2', 'i5']);
        assert.deepEqual(await ids({ sort: { field: 'assignee', order: 'asc' } }), ['i1', 'i3', 'i6', 'i2', 'i5', 'i4']);
        assert.deepEqual(await ids({ sort: { field: 'assignee', order: 'desc' } }), ['i5', 'i2', 'i6', 'i3', 'i1', 'i4']);
        assert.deepEqual(await ids({ sort: { field: 'rule.id', order: 'desc' } }), ['i2', 'i3', 'i1', 'i6', 'i4', 'i5']);
        assert.deepEqual(await ids({ sort: { field: 'id', order: 'desc' } }), ['i6', 'i5', 'i4', 'i3', 'i2', 'i1']);
        assert.deepEqual(await ids({ sort: { field: '@timestamp', order: 'asc' }, filter: { incident_id: ['i1', 'i2', 'i3'] } }, 'audit'), ['au-2', 'au-1', 'au-0']);
      });

      it('reads its own writes: updates and deletes show in the next query', async () => {
        const read = (await q.get<Rec>('incidents', 'i4'))!;
        await q.update('incidents', 'i4', { ...read.record, status: 'open' }, { expectedVersion: read.version });
        assert.deepEqual(await ids({ filter: { status: 'open' } }), ['i1', 'i2', 'i4', 'i6']);
        await q.create('incidents', { id: 'i9', status: 'open' });
        assert.deepEqual(await ids({ filter: { status: 'open' } }), ['i1', 'i2', 'i4', 'i6', 'i9']);
        await q.delete('incidents', 'i9');
        const page = await q.query<Rec>('incidents', { filter: { id: 'i4' }, size: 10 });
        assert.equal(page.items[0]?.record.status, 'open');
        assert.equal(page.items[0]?.version, (await q.get('incidents', 'i4'))?.version, 'query returns the current version');
      });

      it('refuses bad sizes, field paths, filter values and foreign cursors with BWK_BAD_PARAM', async () => {
        const bad: CaseQuery[] = [
          { size: 0 }, { size: 1001 }, { size: 1.5 }, { size: 10, filter: { "a'b": 'x' } }, { size: 10, filter: { 'a..b': 'x' } },
          { size: 10, filter: { n: Number.NaN } }, { size: 10, filter: { n: [1] as unknown as string[] } },
          { size: 10, sort: { field: 'a b', order: 'asc' } }, { size: 10, sort: { field: 'id', order: 'up' as 'asc' } }, { size: 10, cursor: 'nope' },
        ];
        for (const query of bad) await assert.rejects(q.query('incidents', query), code('BWK_BAD_PARAM'), JSON.stringify(query));
        const { cursor } = await q.query('incidents', { size: 2, filter: { status: 'open' } });
        assert.ok(cursor);
        await assert.rejects(q.query('incidents', { size: 2, filter: { status: 'resolved' }, cursor }), code('BWK_BAD_PARAM'));
        await assert.rejects(q.query('alerts', { size: 2, filter: { status: 'open' }, cursor }), code('BWK_BAD_PARAM'));
      });
    });

    describe('dead-letter collection', () => {
      /** What the correlator sets aside (issue 11 item 6): deterministic ids, filters by event and rule, newest first. */
      const letters: Rec[] = [
        { id: 'dl-1', event_id: 'ev-1', batch_id: 'seq-1-9', rule_id: 'r-exec', code: 'BWK_BAD_REQUEST', reason: 'refused', at: at(30), event_excerpt: '{"a":1}' },
        { id: 'dl-2', event_id: 'ev-2', batch_id: 'seq-1-9', code: 'SyntaxError', reason: 'not JSON', at: at(10), event_excerpt: '{' },
        { id: 'dl-3', event_id: 'ev-3', batch_id: 'seq-10-12', rule_id: 'r-exec', code: 'BWK_BAD_REQUEST', reason: 'refused', at: at(20), event_excerpt: '' },
      ];
      let d: CaseStore;
      before(async () => {
        d = await open('deadletter');
        for (const letter of letters) await d.create('deadletter', letter);
      });

      it('stores, replays (ifAbsent), filters by event, rule and code, and sorts by time', async () => {
        const replay = await d.create('deadletter', { ...letters[0]!, reason: 'a second delivery' }, { ifAbsent: true });
        assert.equal(replay.created, false);
        assert.equal(replay.record.reason, 'refused', 'the first record is kept');
        assert.equal((await d.get('alerts', 'dl-1')), null, 'a collection of its own');
        const ids = async (query: CaseQuery) => (await d.query<Rec>('deadletter', query)).items.map((i) => i.record.id);
        assert.deepEqual(await ids({ size: 10, sort: { field: 'at', order: 'desc' } }), ['dl-1', 'dl-3', 'dl-2']);
        assert.deepEqual(await ids({ size: 10, filter: { rule_id: 'r-exec' }, sort: { field: 'at', order: 'asc' } }), ['dl-3', 'dl-1']);
        assert.deepEqual(await ids({ size: 10, filter: { event_id: 'ev-2' } }), ['dl-2']);
        assert.deepEqual(await ids({ size: 10, filter: { code: 'BWK_BAD_REQUEST', batch_id: 'seq-1-9' } }), ['dl-1']);
        assert.equal(await d.delete('deadletter', 'dl-2'), true, 'an operator can drop a record once handled');
        assert.deepEqual(await ids({ size: 10 }), ['dl-1', 'dl-3']);
      });
    });

    describe('pagination', () => {
      let p: CaseStore;
      /**
       * 120 runs, `incident_id` splitting them 2:1. Each sort field (a number, a time, a string, a boolean) has ties
       * and is missing from 24 to 30 records, which sort last, so a page boundary falls among them: the engines mark
       * them with sentinel sort values that a cursor must not carry.
       */
      const runs: Rec[] = Array.from({ length: 120 }, (_, i) => ({
        id: `run-${String(i).padStart(3, '0')}`,
        incident_id: i % 3 === 0 ? 'inc-b' : 'inc-a',
        ...(i % 5 === 4 ? {} : { group: i % 3 }),
        ...(i % 4 === 1 ? {} : { started_at: at(1000 - (i % 50) * 7) }),
        ...(i % 5 === 0 ? {} : { owner: `user-${i % 7}` }),
        ...(i % 4 === 3 ? {} : { dry_run: i % 3 === 0 }),
      }));
      const byId = (a: Rec, b: Rec) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
      const expected = (field: string, order: 'asc' | 'desc', rows = runs) =>
        [...rows]
          .sort((a, b) => {
            const [x, y] = [a[field] as string | number | boolean | undefined, b[field] as string | number | boolean | undefined];
            const tie = order === 'asc' ? byId(a, b) : byId(b, a);
            if (x === undefined || y === undefined) return x === y ? tie : x === undefined ? 1 : -1;
            const c = x < y ? -1 : x > y ? 1 : 0;
            return (order === 'asc' ? c : -c) || tie;
          })
          .map((r) => r.id);
      before(async () => {
        p = await open('paging');
        await Promise.all(runs.map((r) => p.create('runs', r)));
      });

      for (const order of ['asc', 'desc'] as const) {
        it(`visits 120 records with size 25 exactly once, in id order (${order})`, async () => {
          const { ids, pages } = await queryAll(p, 'runs', { size: 25, sort: { field: 'id', order } });
          assert.deepEqual(pages, [25, 25, 25, 25, 20]);
          assert.deepEqual(ids, expected('id', order));
        });
        for (const field of ['group', 'started_at', 'owner', 'dry_run']) {
          it(`pages by ${field} (${order}) with ties and missing values, the same as one big page`, async () => {
            const { ids, pages } = await queryAll(p, 'runs', { size: 25, sort: { field, order } });
            assert.deepEqual(pages, [25, 25, 25, 25, 20]);
            assert.deepEqual(ids, expected(field, order));
            assert.deepEqual((await p.query<Rec>('runs', { size: 1000, sort: { field, order } })).items.map((i) => i.record.id), ids);
          });
        }
      }

      it('pages a filtered query, and ends without a cursor when the last page is exactly full', async () => {
        const incA = runs.filter((r) => r.incident_id === 'inc-a');
        const { ids, pages } = await queryAll(p, 'runs', { size: 20, filter: { incident_id: 'inc-a' }, sort: { field: 'group', order: 'desc' } });
        assert.deepEqual(pages, [20, 20, 20, 20]);
        assert.deepEqual(ids, expected('group', 'desc', incA));
        for (const size of [1, 7, 40]) assert.equal((await queryAll(p, 'runs', { size, filter: { incident_id: 'inc-b' } })).ids.length, 40);
      });
    });

    describe('special characters', () => {
      const awkward = ['a/b', 'a b', '?x=1&y#z', '%2F', '.', '..', '_search', "it's \"quoted\"", 'back\\slash', 'ü✓😀', 'tab\tnew\nline', '*', 'a+b'];
      it('stores, gets, updates and filters ids and values with URL, SQL and JSON syntax in them', async () => {
        const s = await open('special');
        for (const id of awkward) {
          const { version } = await s.create('alerts', { id, value: id, note: "' OR 1=1 --" });
          assert.deepEqual((await s.get('alerts', id))?.record, { id, value: id, note: "' OR 1=1 --" }, id);
          await s.update('alerts', id, { id, value: `${id}!` }, { expectedVersion: version });
        }
        for (const id of awkward) assert.deepEqual(await queryAll(s, 'alerts', { size: 5, filter: { value: `${id}!` } }), { ids: [id], pages: [1] }, id);
        const all = await queryAll(s, 'alerts', { size: 4 });
        assert.deepEqual([...all.ids].sort(), [...awkward].sort());
        assert.deepEqual((await queryAll(s, 'alerts', { size: 50, filter: { id: awkward } })).ids.length, awkward.length);
      });
    });
  });
}
