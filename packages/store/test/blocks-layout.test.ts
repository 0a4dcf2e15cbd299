/**
 * The block layout's own promises (docs/ARCHITECTURE.md, "The embedded log store"): documents come back exactly as
 * stored whatever their shape; a value copied into two fields is stored once; paths continue into arrays of objects;
 * the per-block filter rules out blocks that cannot hold a needle; a collision of id keys never drops an event.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BlockLogStore, parseQuery } from '../src/index.js';
import { idKey } from '../src/blocks/hash.js';
import { decodeColumn, encodeColumn, PresenceTable, type Cell } from '../src/blocks/columns.js';
import { compile } from '../src/blocks/compile.js';
import { hasWord, wordsOf } from '../src/blocks/words.js';
import { mayMatch } from '../src/blocks/evaluate.js';
import { BlockReader } from '../src/blocks/reader.js';
import { searchAll } from './contract/logstore-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-layout-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = async () => {
  const store = new BlockLogStore({ path: join(dir, `layout-${++n}.sqlite`) });
  await store.init();
  return store;
};
const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const ev = (id: string, i: number, fields: Record<string, unknown>, dataset = 'layout.test'): Event =>
  ({ '@timestamp': new Date(T0 + i * 1000).toISOString(), event: { id, dataset }, ...fields }) as Event;
const ids = async (store: BlockLogStore, q: string) =>
  (await searchAll(store, { query: parseQuery(q), size: 100, sort: 'asc' })).map((e) => e.event.id);

describe('block layout', () => {
  it('gives every document back exactly, whatever its shape, and rows of one block may differ in shape', async () => {
    const store = await open();
    const shapes: Event[] = [
      ev('s1', 1, { labels: { 'app.kubernetes.io/name': 'web', 'a"b': 'q', '': 'empty key' }, n: 0, neg: -1.5, t: true, f: false, nil: null }),
      ev('s2', 2, { empty: {}, emptyList: [], list: ['a', 1, null, true], nested: { deep: { deeper: { leaf: 'x' } } } }),
      ev('s3', 3, { objects: [{ a: 1 }, { b: [{ c: 'y' }] }], mixed: [[1, 2], 'z'], unicode: 'żółć 🚀 \u0000 \ud800' }),
      ev('s4', 4, { nested: 'now a string', empty: { not: 'empty now' }, list: 'scalar now' }),
      // Keys that name Object.prototype's members stay plain data (JSON.parse makes `__proto__` an own key).
      ev('s5', 5, JSON.parse('{"__proto__": {"polluted": true}, "constructor": {"prototype": 1}, "toString": "x"}') as Record<string, unknown>),
    ];
    await store.append(shapes);
    for (const shape of shapes) assert.deepEqual(await store.get(shape.event.id), shape);
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'no prototype was changed');
    const page = await store.search({ query: parseQuery(''), size: 10, sort: 'asc' });
    assert.deepEqual(page.hits, shapes);
    // A caller changing what it got does not change the store.
    (page.hits[2] as unknown as { objects: Array<{ a: number }> }).objects[0]!.a = 99;
    assert.deepEqual(await store.get('s3'), shapes[2]);
    await store.close();
  });

  it('stores a value copied into two fields once (identical columns share their data)', async () => {
    const store = await open();
    await store.append(
      Array.from({ length: 50 }, (_, i) =>
        ev(`c${i}`, i, { user: { name: `user-${i % 7}` }, kubernetes: { audit: { user: { username: `user-${i % 7}` } } } }),
      ),
    );
    const db = store.database;
    const block = db.prepare('SELECT id, schema FROM blocks').get() as { id: number; schema: string };
    const directory = JSON.parse(block.schema) as Array<[number, number]>;
    const stored = db.prepare('SELECT count(*) FROM block_columns WHERE block = ?').pluck().get(block.id) as number;
    assert.equal(stored, directory.length - 1, 'user.name and kubernetes.audit.user.username share one column');
    assert.deepEqual(await ids(store, 'kubernetes.audit.user.username:user-3'), ['c3', 'c10', 'c17', 'c24', 'c31', 'c38', 'c45']);
    await store.close();
  });

  it('follows a path into arrays of objects, as the engines index them, and finds objects with field:*', async () => {
    const store = await open();
    await store.append([
      ev('p1', 1, { spec: { containers: [{ name: 'app', image: 'nginx' }, { name: 'side', image: 'evil/miner' }] } }),
      ev('p2', 2, { spec: { containers: [{ name: 'app', image: 'nginx' }] } }),
      ev('p3', 3, { spec: {} }),
    ]);
    assert.deepEqual(await ids(store, 'spec.containers.image:"evil/miner"'), ['p1']);
    assert.deepEqual(await ids(store, 'spec.containers.image:nginx'), ['p1', 'p2']);
    assert.deepEqual(await ids(store, 'spec.containers.name:side'), ['p1']);
    assert.deepEqual(await ids(store, '"evil/miner"'), ['p1'], 'unfielded text reaches inside arrays of objects');
    assert.deepEqual(await ids(store, 'spec.containers:*'), ['p1', 'p2']);
    assert.deepEqual(await ids(store, 'spec:*'), ['p1', 'p2', 'p3']);
    await store.close();
  });

  it("a block's filter rules out the blocks that cannot hold a needle", async () => {
    const store = await open();
    // 40 blocks (one per append), each with its own auditIDs.
    for (let b = 0; b < 40; b++) {
      await store.append(
        Array.from({ length: 100 }, (_, i) =>
          ev(`f${b}-${i}`, b * 100 + i, { kubernetes: { audit: { auditID: `audit-${b}-${i}`, verb: 'get' } }, message: `block k${b}x row ${i}` }),
        ),
      );
    }
    const reader = new BlockReader(store.database);
    const blocks = store.database.prepare('SELECT id, stream, rows, min_ts, max_ts, min_seq, max_seq, bytes, schema FROM blocks').all() as never[];
    assert.equal(blocks.length, 40);
    const maybe = (q: string) =>
      blocks.filter((block: { id: number; schema: string }) => mayMatch(compile(parseQuery(q)), reader.filter(block.id)!, reader.directory(block))).length;
    assert.ok(maybe('kubernetes.audit.auditID:audit-17-42') <= 3, 'a needle by field: its block, and hardly another');
    assert.ok(maybe('"audit-17-42"') <= 3, 'the same needle as free text');
    assert.equal(maybe('kubernetes.audit.verb:get'), 40);
    assert.ok(maybe('"block k17x row 42"') <= 3, 'a phrase of words');
    assert.equal(maybe('kubernetes.audit.verb:delete') <= 1, true);
    assert.deepEqual(await ids(store, 'audit-17-42'), ['f17-42']);
    await store.close();
  });

  it('cuts a batch spanning far-apart times into blocks of their own, so recent searches skip the old rows', async () => {
    const store = await open();
    const recent = Array.from({ length: 30 }, (_, i) => ev(`r${i}`, 10_000 + i, { message: `recent ${i}` }));
    const old = Array.from({ length: 30 }, (_, i) => ev(`o${i}`, i, { message: `old ${i}` }));
    await store.append([...recent.slice(0, 10), ...old, ...recent.slice(10)]); // interleaved, as a lagging shipper sends
    const ranges = store.database.prepare('SELECT min_ts, max_ts, rows FROM blocks ORDER BY min_ts').all() as Array<{ min_ts: number; max_ts: number; rows: number }>;
    assert.deepEqual(ranges.map((r) => [r.rows, r.max_ts - r.min_ts]), [[30, 29_000], [30, 29_000]]);
    assert.deepEqual((await store.search({ query: parseQuery(''), size: 3 })).hits.map((e) => e.event.id), ['r29', 'r28', 'r27']);
    assert.deepEqual(await ids(store, 'old'), old.map((e) => e.event.id));
    await store.close();
  });

  it('never drops an event whose id key collides with a stored one', async () => {
    const store = await open();
    await store.append([ev('first', 1, { message: 'one' })]);
    const block = store.database.prepare('SELECT id FROM blocks').pluck().get() as number;
    // Pretend `second` hashes to a key already pointing at the block holding `first`.
    store.database.prepare('INSERT INTO event_ids (key, block) VALUES (?, ?)').run(idKey('second'), block);
    const result = await store.append([ev('second', 2, { message: 'two' })]);
    assert.deepEqual(result.statuses, ['created']);
    assert.deepEqual(await ids(store, ''), ['first', 'second']);
    assert.equal((await store.append([ev('second', 2, { message: 'two' })])).duplicates, 1);
    await store.close();
  });

  it('stores a column of few distinct strings as a dictionary and gives back every cell, holes and types as they were', () => {
    const rows = 1000;
    const verbs = ['get', 'list', 'watch', 'create'];
    const cases: Array<[string, Cell[], boolean]> = [
      ['few strings', Array.from({ length: rows }, (_, i) => verbs[i % 4]!), true],
      ['one string', Array.from({ length: rows }, () => 'Event'), true],
      ['few strings with holes', Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? undefined : verbs[i % 4]!)), true],
      ['unique strings', Array.from({ length: rows }, (_, i) => `audit-${i}`), false],
      ['a number among strings', Array.from({ length: rows }, (_, i) => (i === 500 ? 7 : verbs[i % 4]!)), false],
      ['arrays', Array.from({ length: rows }, () => ['system:authenticated']), false],
      ['distinct late', Array.from({ length: rows }, (_, i) => (i < 100 ? 'same' : `late-${i}`)), false],
    ];
    const table = new PresenceTable();
    const encoded = cases.map(([, cells]) => encodeColumn(cells, table));
    const stored = PresenceTable.parse(table.text());
    for (const [c, [name, cells, dictionary]] of cases.entries()) {
      assert.equal(encoded[c]!.distinct !== undefined, dictionary, name);
      if (dictionary) assert.deepEqual(encoded[c]!.distinct, [...new Set(cells.filter((cell) => cell !== undefined))], name);
      const back = decodeColumn(encoded[c]!.text, rows, () => stored);
      for (let i = 0; i < rows; i++) assert.deepEqual(back[i], cells[i], `${name}, row ${i}`);
    }
    // The dictionary is what makes repeated values cheap: the text holds each distinct value once.
    assert.equal(encoded[0]!.text.split('"watch"').length - 1, 1);
    // A column written before presence tables (rows inside the column) still reads.
    assert.deepEqual([...decodeColumn('{"r":[1,3],"v":["a",2]}', 4, () => assert.fail('no table needed'))], [undefined, 'a', undefined, 2]);
  });

  it('stores a column holding one scalar throughout as that value alone, and gives back every cell', () => {
    const rows = 1000;
    const sparse = (value: Cell) => Array.from({ length: rows }, (_, i) => (i % 3 === 0 ? value : undefined));
    const dense = (value: Cell) => Array.from({ length: rows }, () => value);
    const constant: Array<[string, Cell[]]> = [
      ['a string', dense('logs')],
      ['a number', dense(200)],
      ['false', dense(false)],
      ['null', dense(null)],
      ['a string with holes', sparse('Event')],
      ['zero with holes', sparse(0)],
    ];
    // One cell away from constant, or equal only loosely: stored cell by cell (or by dictionary), never as one value.
    const varied: Array<[string, Cell[]]> = [
      ['last cell differs', Array.from({ length: rows }, (_, i) => (i === rows - 1 ? 'other' : 'logs'))],
      ['0 and false', Array.from({ length: rows }, (_, i) => (i % 2 ? 0 : false))],
      ['1 and "1"', Array.from({ length: rows }, (_, i) => (i === 10 ? '1' : 1))],
      ['equal objects', dense({})],
      ['equal arrays', dense(['a'])],
    ];
    const table = new PresenceTable();
    const encode = (cells: Cell[]) => encodeColumn(cells, table);
    const encoded = [...constant, ...varied].map(([, cells]) => encode(cells));
    const stored = PresenceTable.parse(table.text());
    for (const [c, [name, cells]] of [...constant, ...varied].entries()) {
      const isConstant = c < constant.length;
      assert.equal('c' in JSON.parse(encoded[c]!.text), isConstant, name);
      if (isConstant) assert.ok(encoded[c]!.text.length < 40, `${name}: ${encoded[c]!.text.length} characters`);
      const back = decodeColumn(encoded[c]!.text, rows, () => stored);
      assert.equal(back.length, rows, name);
      for (let i = 0; i < rows; i++) assert.deepEqual(back[i], cells[i], `${name}, row ${i}`);
    }
    // The filter keys a constant the way it keys any value: numbers and booleans as their text, null not at all.
    assert.deepEqual(encoded.slice(0, constant.length).map((e) => e.distinct), [['logs'], ['200'], ['false'], [], ['Event'], ['0']]);
  });

  it('finds the values of constant columns through the filter, and skips blocks of another constant', async () => {
    const store = await open();
    await store.append(Array.from({ length: 300 }, (_, i) => ev(`k${i}`, i, { code: 200, ok: false, kind: 'Event', message: 'steady' })));
    await store.append(Array.from({ length: 300 }, (_, i) => ev(`m${i}`, 1000 + i, { code: 503, ok: true, kind: 'Event', message: 'steady' })));
    assert.equal((await ids(store, 'code:200')).length, 300);
    assert.equal((await ids(store, 'ok:true')).length, 300);
    assert.equal((await ids(store, 'kind:Event AND code:503')).length, 300);
    assert.equal((await ids(store, 'steady')).length, 600);
    assert.equal((await ids(store, '200')).length, 300);
    const reader = new BlockReader(store.database);
    const blocks = store.database.prepare('SELECT id, stream, rows, min_ts, max_ts, min_seq, max_seq, bytes, schema FROM blocks ORDER BY id').all() as never[];
    assert.equal(blocks.length, 2);
    const maybe = (q: string) => blocks.map((block: { id: number }) => mayMatch(compile(parseQuery(q)), reader.filter(block.id)!, reader.directory(block)));
    assert.deepEqual(maybe('code:503'), [false, true]);
    assert.deepEqual(maybe('ok:false'), [true, false]);
    await store.close();
  });

  it('keeps one presence table per block: sparse columns present in the same rows share one set', () => {
    const table = new PresenceTable();
    const auditRows = (i: number) => i % 3 === 0;
    const column = (f: (i: number) => Cell) => Array.from({ length: 300 }, (_, i) => (auditRows(i) ? f(i) : undefined));
    const texts = [column((i) => `audit-${i}`), column(() => 'Event'), column((i) => i), column(() => ['g'])].map((cells) => encodeColumn(cells, table).text);
    encodeColumn(Array.from({ length: 300 }, (_, i) => (auditRows(i) ? undefined : `line ${i}`)), table);
    assert.equal(table.sets.length, 2);
    assert.equal(table.sets[0]!.length, 100);
    for (const text of texts) assert.equal(JSON.parse(text).p, 0);
    // Stored as gaps between rows: the text of 100 rows every third row is a run of 3s, not the row numbers.
    assert.equal(table.text().startsWith('[[0,3,3,3'), true);
    assert.deepEqual(PresenceTable.parse(table.text()), table.sets);
  });

  it('finds the values and words of dictionary-encoded columns through the filter', async () => {
    const store = await open();
    const verbs = ['get', 'list', 'watch', 'delete'];
    await store.append(Array.from({ length: 400 }, (_, i) => ev(`d${i}`, i, { verb: verbs[i % 4], message: i % 2 ? 'pod restarted' : 'probe failed' })));
    assert.equal((await ids(store, 'verb:delete')).length, 100);
    assert.equal((await ids(store, 'restarted')).length, 200);
    assert.equal((await ids(store, '"probe failed"')).length, 200);
    assert.equal((await ids(store, 'verb:patch')).length, 0);
    await store.close();
  });
  it('tells a message without words from one with words as splitting it would, and finds wordless lines whole', async () => {
    const texts = ['', '%%%', ' -- ', 'a', '--9--', 'É', '\u0301\u0301', '㈠', '→ ←', '日本', '😀', 'naïve', '\u00a0\u2003', '²'];
    for (const text of texts) assert.equal(hasWord(text), wordsOf(text).length > 0, JSON.stringify(text));
    const store = await open();
    await store.append([ev('w1', 1, { message: '%%%' }), ev('w2', 2, { message: '→ ←' }), ev('w3', 3, { message: 'plain words' })]);
    assert.deepEqual(await ids(store, '"%%%"'), ['w1']);
    assert.deepEqual(await ids(store, '"→ ←"'), ['w2']);
    await store.close();
  });
  it('stores a column of 128-bit hex ids as 16 bytes a row, gives them back exactly, and still finds and refuses them', async () => {
    const store = await open();
    const hex = (i: number) => createHash('sha256').update(String(i)).digest('hex').slice(0, 32);
    const derived = Array.from({ length: 300 }, (_, i) => ev(hex(i), i, { message: `line ${i}`, trace: { id: hex(i) } }));
    await store.append(derived);
    // One block with one uppercase id, one with an id of another form: their id columns are stored as text.
    await store.append([ev(hex(1000).toUpperCase(), 400, { message: 'upper' }), ev(hex(1001), 401, { message: 'lower' })]);
    await store.append([ev('not-hex', 500, { message: 'plain' }), ev(hex(1002), 501, { message: 'lower' })]);
    const idData = (blockOf: string) => {
      const db = store.database;
      const field = db.prepare(`SELECT id FROM block_fields WHERE name = '"event","id"'`).pluck().get() as number;
      const traceField = db.prepare(`SELECT id FROM block_fields WHERE name = '"trace","id"'`).pluck().get() as number;
      const block = db.prepare('SELECT id, rows, schema FROM blocks WHERE min_ts = ?').get(Date.parse(blockOf)) as { id: number; rows: number; schema: string };
      const schema = new Map(JSON.parse(block.schema) as Array<[number, number]>);
      const data = db.prepare('SELECT data FROM block_columns WHERE block = ? AND col = ?').pluck().get(block.id, schema.get(field)) as Buffer;
      return { rows: block.rows, bytes: data.length, sharedWithTrace: schema.get(traceField) === schema.get(field) };
    };
    const first = idData(derived[0]!['@timestamp']);
    assert.deepEqual(first, { rows: 300, bytes: 1 + 300 * 16, sharedWithTrace: true });
    assert.ok(idData(new Date(T0 + 400_000).toISOString()).bytes > 1 + 2 * 16, 'an uppercase id keeps the column as text');
    assert.ok(idData(new Date(T0 + 500_000).toISOString()).bytes > 1 + 2 * 16, 'an id of another form keeps the column as text');
    for (const event of [derived[0]!, derived[299]!]) assert.deepEqual(await store.get(event.event.id), event);
    assert.deepEqual(await ids(store, `event.id:${hex(17)}`), [hex(17)]);
    assert.deepEqual(await ids(store, `"${hex(42)}"`), [hex(42)]);
    assert.deepEqual(await ids(store, `"${hex(1000).toUpperCase()}"`), [hex(1000).toUpperCase()]);
    const again = await store.append([derived[5]!, ev(hex(5000), 600, { message: 'new' })]);
    assert.deepEqual(again.statuses, ['duplicate', 'created']);
    await store.close();
  });
});
