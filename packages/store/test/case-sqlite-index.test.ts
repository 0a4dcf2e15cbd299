/**
 * The SQLite case store's side table of indexed fields (sqlite/case-index.ts): a filter on an indexed field matches
 * exactly what the same filter read from the JSON matches, through creates, updates (also of array fields), deletes,
 * raw SQL, and tables written before the side table existed; and it is an index lookup, not a scan.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteCaseStore, openDatabase } from '../src/index.js';
import { CASE_INDEXED_FIELDS } from '../src/sqlite/case-index.js';
import { pageSql } from '../src/sqlite/case-page.js';
import { checkQuery, type CaseQuery } from '../src/case-port.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-case-index-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** The ids a filter matches through the store, and through the JSON alone (a filter on a field never indexed). */
async function both(store: SqliteCaseStore, path: string, filter: CaseQuery['filter']): Promise<[string[], string[]]> {
  const indexed = (await store.query('alerts', { filter, size: 1000 })).items.map((i) => i.record.id);
  const db = openDatabase({ path });
  const [[field, value]] = Object.entries(filter!) as [[string, string | string[]]];
  const values = Array.isArray(value) ? value : [value];
  const sql = `SELECT id FROM case_records r WHERE collection = 'alerts' AND EXISTS (SELECT 1 FROM json_each(r.doc, '$.${field.split('.').map((s) => `"${s}"`).join('.')}') WHERE type = 'text' AND atom IN (${values.map(() => '?').join(',')})) ORDER BY id`;
  const scanned = db.prepare(sql).pluck().all(...values) as string[];
  db.close();
  return [indexed, scanned];
}

describe('SqliteCaseStore indexed fields', () => {
  it('match what the JSON holds through creates, updates of scalars and arrays, deletes and raw SQL', async () => {
    const path = join(dir, 'semantics.sqlite');
    const store = new SqliteCaseStore({ path });
    await store.init();
    const v = await store.create('alerts', { id: 'a', status: 'open', rule: { id: 'r1' }, suppressed_ids: ['x', 'y'], group_key: 5 });
    await store.create('alerts', { id: 'b', status: 'resolved', rule: { id: 'r1' }, suppressed_ids: ['y'], group_key: 'g' });
    await store.create('alerts', { id: 'c', status: ['open'], rule: 'r1', suppressed_ids: [] });
    assert.deepEqual(await both(store, path, { 'rule.id': 'r1' }), [['a', 'b'], ['a', 'b']]);
    assert.deepEqual(await both(store, path, { status: 'open' }), [['a', 'c'], ['a', 'c']]);
    assert.deepEqual(await both(store, path, { suppressed_ids: ['y', 'nope'] }), [['a', 'b'], ['a', 'b']]);
    assert.deepEqual((await store.query('alerts', { filter: { group_key: 5 }, size: 10 })).items.map((i) => i.record.id), ['a'], 'a number filter reads the record');
    await store.update('alerts', 'a', { id: 'a', status: 'acknowledged', rule: { id: 'r2' }, suppressed_ids: ['y', 'z'] }, { expectedVersion: v.version });
    assert.deepEqual(await both(store, path, { suppressed_ids: 'x' }), [[], []]);
    assert.deepEqual(await both(store, path, { suppressed_ids: 'z' }), [['a'], ['a']]);
    assert.deepEqual(await both(store, path, { 'rule.id': ['r1', 'r2'] }), [['a', 'b'], ['a', 'b']]);
    assert.deepEqual(await both(store, path, { status: 'open' }), [['c'], ['c']]);
    await store.delete('alerts', 'b');
    assert.deepEqual(await both(store, path, { suppressed_ids: 'y' }), [['a'], ['a']]);
    const raw = openDatabase({ path });
    raw.prepare("DELETE FROM case_records WHERE collection = 'alerts' AND id = 'a'").run();
    raw.close();
    await store.create('alerts', { id: 'a', status: 'resolved', suppressed_ids: [] });
    assert.deepEqual(await both(store, path, { suppressed_ids: 'z' }), [[], []], 'a record deleted by raw SQL leaves no index rows behind');
    assert.deepEqual(await both(store, path, { status: ['open', 'acknowledged'] }), [['c'], ['c']]);
    await store.close();
  });

  it('indexes records stored before the side table existed, and rebuilds when the declared fields change', async () => {
    const path = join(dir, 'upgrade.sqlite');
    const store = new SqliteCaseStore({ path });
    await store.init();
    await store.create('alerts', { id: 'old', suppression_key: 'k', status: 'open' });
    await store.create('incidents', { id: 'inc', entity_key: 'user:alice', tags: ['t1', 't2'] });
    await store.close();
    // As if written by the previous version: no side table, no triggers, schema version 1.
    const db = openDatabase({ path });
    for (const name of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'case_ix_%'").pluck().all() as string[]) {
      db.exec(`DROP TRIGGER "${name}"`);
    }
    db.exec("DROP TABLE case_index; UPDATE case_schema SET value = 1 WHERE key = 'schema_version'; DELETE FROM case_schema WHERE key = 'index_layout'");
    db.close();
    const reopened = new SqliteCaseStore({ path });
    await reopened.init();
    assert.deepEqual((await reopened.query('alerts', { filter: { suppression_key: 'k' }, size: 5 })).items.map((i) => i.record.id), ['old']);
    assert.deepEqual((await reopened.query('incidents', { filter: { tags: 't2', entity_key: 'user:alice' }, size: 5 })).items.map((i) => i.record.id), ['inc']);
    // A changed layout (a stale stored fingerprint) rebuilds the table from the records.
    const stale = openDatabase({ path });
    stale.exec("DELETE FROM case_index; UPDATE case_schema SET value = 1 WHERE key = 'index_layout'");
    stale.close();
    await reopened.close();
    const rebuilt = new SqliteCaseStore({ path });
    await rebuilt.init();
    assert.equal((await rebuilt.query('alerts', { filter: { suppression_key: 'k' }, size: 5 })).items.length, 1);
    await rebuilt.close();
  });

  it('answers a filter on an indexed field by index lookups, whatever else the query filters or sorts on', () => {
    const db = openDatabase({ path: join(dir, 'plan.sqlite') });
    const store = new SqliteCaseStore({ db });
    return store.init().then(async () => {
      for (const field of CASE_INDEXED_FIELDS.alerts) {
        const q = checkQuery('alerts', { filter: { [field]: 'v', count: 3 }, sort: { field: 'last_seen', order: 'desc' }, size: 1 });
        const { sql, params } = pageSql('alerts', q);
        const plan = (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail).join(' | ');
        assert.match(plan, /SEARCH x USING PRIMARY KEY \(collection=\? AND field=\? AND value=\?\)/, `${field}: ${plan}`);
        assert.match(plan, /SEARCH r USING PRIMARY KEY/, `${field}: ${plan}`);
        assert.doesNotMatch(plan, /SCAN r\b/, `${field}: ${plan}`);
      }
      await store.close();
      db.close();
    });
  });
});
