/**
 * The embedded block store: the shared contract on a real file database (inline and writer thread), then what only
 * it has (its tables, a reopen, the raw-row path the benchmark uses). Layout, legacy, retention and crash cases live
 * in the blocks-*.test.ts files beside this one.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import {
  SCHEMA_VERSION,
  BlockLogStore,
  eventToRow,
  migrate,
  openDatabase,
  parseQuery,
  schemaVersion,
} from '../src/index.js';
import { FIXTURE, T0, pagingEvents } from './contract/fixtures.js';
import { runLogStoreContract, searchAll } from './contract/logstore-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-'));
let n = 0;
const dbPath = () => join(dir, `store-${++n}.sqlite`);
after(() => rmSync(dir, { recursive: true, force: true }));

runLogStoreContract('embedded blocks (file)', async () => new BlockLogStore({ path: dbPath() }));
runLogStoreContract('embedded blocks (file, writer thread)', async () => new BlockLogStore({ path: dbPath(), writer: 'thread' }));

describe('BlockLogStore specifics', () => {
  it('keeps data across a reopen of the file', async () => {
    const path = dbPath();
    const first = new BlockLogStore({ path });
    await first.init();
    await first.append(FIXTURE);
    await first.close();
    const second = new BlockLogStore({ path, synchronous: 'NORMAL' });
    await second.init();
    assert.deepEqual(await second.get('e4'), FIXTURE[3]);
    const hits = await searchAll(second, { query: parseQuery('kubernetes.namespace:prod Shell'), size: 10 });
    assert.deepEqual(hits.map((e) => e.event.id), ['e4']);
    assert.deepEqual((await second.append(FIXTURE)).duplicates, FIXTURE.length);
    await second.close();
  });

  it('creates the directory of a new database file, and reports an unusable path as BWK_STORE_UNAVAILABLE', async () => {
    const store = new BlockLogStore({ path: join(dir, 'nested', 'deeper', 'events.sqlite') });
    await store.init();
    assert.equal(await store.ping(), true);
    await store.close();
    await assert.rejects(new BlockLogStore({ path: join(dir, 'nested') }).init(), { code: 'BWK_STORE_UNAVAILABLE' });
  });

  it('migrates a new file to the current version, and again is a no-op', async () => {
    const db = openDatabase({ path: dbPath() });
    assert.equal(schemaVersion(db), 0);
    migrate(db);
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    migrate(db);
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").pluck().all();
    for (const table of ['blocks', 'block_columns', 'block_filters', 'event_ids', 'tokens']) assert.ok(tables.includes(table), table);
    assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
    db.close();
  });

  it('init is idempotent and refuses a file from a newer version', async () => {
    const path = dbPath();
    const store = new BlockLogStore({ path });
    await store.init();
    await store.init();
    store.database.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    await store.close();
    await assert.rejects(new BlockLogStore({ path }).init(), { code: 'BWK_STORE_UNAVAILABLE' });
  });

  it('fails with BWK_STORE_UNAVAILABLE when closed, and ping says false', async () => {
    const store = new BlockLogStore({ path: ':memory:' });
    await assert.rejects(store.get('x'), { code: 'BWK_STORE_UNAVAILABLE' });
    await store.init();
    assert.equal(await store.ping(), true);
    await store.close();
    await store.close();
    assert.equal(await store.ping(), false);
    await assert.rejects(store.append(FIXTURE), { code: 'BWK_STORE_UNAVAILABLE' });
  });

  it('rejects a batch with an event lacking event.id or a valid @timestamp, storing nothing', async () => {
    const store = new BlockLogStore({ path: ':memory:' });
    await store.init();
    const broken = { ...FIXTURE[1]!, '@timestamp': 'yesterday' };
    await assert.rejects(store.append([FIXTURE[0]!, broken]), {
      code: 'BWK_INGEST_BAD_FIELD',
      details: { index: 1, field: '@timestamp' },
    });
    const noId = { ...FIXTURE[1]!, event: { dataset: 'x' } } as never;
    await assert.rejects(store.append([noId]), { code: 'BWK_INGEST_BAD_FIELD', details: { index: 0, field: 'event.id' } });
    assert.equal(await store.get('e1'), null);
    await store.close();
  });

  it('appendRows stores prebuilt rows exactly like append (the benchmark baseline)', async () => {
    const store = new BlockLogStore({ path: ':memory:' });
    await store.init();
    const rows = FIXTURE.map((e, i) => eventToRow(e, i));
    assert.equal(store.appendRows(rows).created, FIXTURE.length);
    assert.equal(store.appendRows(rows).duplicates, FIXTURE.length);
    assert.deepEqual(await store.get('e5'), FIXTURE[4]);
    const hits = await searchAll(store, { query: parseQuery('Forbidden'), size: 5 });
    assert.deepEqual(hits.map((e) => e.event.id), ['e2']);
    await store.close();
  });

  it('reports a bad @timestamp bound in a hand-built query as BWK_BAD_PARAM naming the value', async () => {
    const store = new BlockLogStore({ path: ':memory:' });
    await store.init();
    await assert.rejects(store.search({ query: { type: 'range', field: '@timestamp', gte: 'soon' }, size: 1 }), {
      code: 'BWK_BAD_PARAM',
      message: "'soon' is not an ISO 8601 date or epoch milliseconds for @timestamp",
    });
    await assert.rejects(store.search({ query: { type: 'exists', field: 'a"b' }, size: 1 }), { code: 'BWK_BAD_PARAM' });
    await store.close();
  });

  it('refuses a cursor from a different query or sort', async () => {
    const store = new BlockLogStore({ path: ':memory:' });
    await store.init();
    await store.append(FIXTURE);
    const page = await store.search({ query: parseQuery(''), size: 2 });
    assert.ok(page.cursor);
    await assert.rejects(store.search({ query: parseQuery('alice'), size: 2, cursor: page.cursor }), { code: 'BWK_BAD_PARAM' });
    await assert.rejects(store.search({ query: parseQuery(''), size: 2, sort: 'asc', cursor: page.cursor }), { code: 'BWK_BAD_PARAM' });
    const next = await store.search({ query: parseQuery(''), size: 2, cursor: page.cursor });
    assert.deepEqual(next.hits.map((e) => e.event.id), ['e6', 'e5']);
    await store.close();
  });

  it('writer thread: commits every queued append before close, and refuses :memory:', async () => {
    const path = dbPath();
    const store = new BlockLogStore({ path, writer: 'thread' });
    await store.init();
    const batches = Array.from({ length: 20 }, (_, b) => pagingEvents(25, `b${String(b).padStart(2, '0')}-`));
    const pending = batches.map((batch) => store.append(batch));
    const again = store.append(batches[0]!);
    await store.close();
    const results = await Promise.all(pending);
    assert.equal(results.reduce((sum, r) => sum + r.created, 0), 500);
    assert.equal((await again).duplicates, 25);
    await assert.rejects(store.append(batches[0]!), { code: 'BWK_STORE_UNAVAILABLE' });
    const reopened = new BlockLogStore({ path });
    await reopened.init();
    assert.equal((await reopened.histogram({ query: parseQuery(''), from: new Date(T0), to: new Date(T0 + 60_000), intervalMs: 60_000 })).total, 500);
    await reopened.close();
    await assert.rejects(new BlockLogStore({ path: ':memory:', writer: 'thread' }).init(), { code: 'BWK_CONFIG_INVALID' });
  });

  it('accepts epoch milliseconds as @timestamp bounds', async () => {
    const store = new BlockLogStore({ path: ':memory:' });
    await store.init();
    await store.append(FIXTURE);
    const hits = await searchAll(store, { query: parseQuery(`@timestamp>=${T0 + 4000}`), size: 10, sort: 'asc' });
    assert.deepEqual(hits.map((e) => e.event.id), ['e5', 'e6', 'e7', 'e8']);
    await store.close();
  });
});
