/**
 * The SQLite CaseStore: the shared contract on real files (each scope one file, so two handles on a scope are two
 * connections racing for real), then what only SQLite has: its own schema version beside the LogStore's migrations,
 * a shared connection, triggers guarding the audit trail against raw SQL, and versions that survive a reopen.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CASE_SCHEMA_VERSION, SCHEMA_VERSION, SqliteCaseStore, BlockLogStore, openDatabase, schemaVersion } from '../src/index.js';
import { runCaseStoreContract } from './contract/casestore-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-cases-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runCaseStoreContract('sqlite (file)', async (scope) => new SqliteCaseStore({ path: join(dir, `${scope}.sqlite`) }));

describe('SqliteCaseStore specifics', () => {
  it('shares a file and a connection with the LogStore without touching its user_version', async () => {
    const path = join(dir, 'shared.sqlite');
    const logs = new BlockLogStore({ path });
    await logs.init();
    const cases = new SqliteCaseStore({ db: logs.database });
    await cases.init();
    await cases.init();
    assert.equal(schemaVersion(logs.database), SCHEMA_VERSION);
    const stored = logs.database.prepare("SELECT value FROM case_schema WHERE key = 'schema_version'").pluck().get();
    assert.equal(stored, CASE_SCHEMA_VERSION);
    await cases.create('alerts', { id: 'a' });
    await cases.close();
    assert.ok(logs.database.open, 'closing the case store leaves a shared connection open');
    await logs.close();
    const reopened = new BlockLogStore({ path });
    await reopened.init();
    assert.equal(schemaVersion(reopened.database), SCHEMA_VERSION);
    await reopened.close();
  });

  it('refuses UPDATE and DELETE of audit rows even to raw SQL, but not of other collections', async () => {
    const path = join(dir, 'triggers.sqlite');
    const cases = new SqliteCaseStore({ path });
    await cases.init();
    await cases.append('audit', { id: 'au', action: 'x' });
    await cases.create('alerts', { id: 'al' });
    const db = openDatabase({ path });
    assert.throws(() => db.prepare("UPDATE case_records SET doc = '{}' WHERE collection = 'audit'").run(), /append-only/);
    assert.throws(() => db.prepare("DELETE FROM case_records WHERE collection = 'audit'").run(), /append-only/);
    assert.equal(db.prepare("DELETE FROM case_records WHERE collection = 'alerts'").run().changes, 1);
    db.close();
    assert.deepEqual((await cases.get('audit', 'au'))?.record, { id: 'au', action: 'x' });
    await cases.close();
  });

  it('keeps records and the version counter across a reopen', async () => {
    const path = join(dir, 'reopen.sqlite');
    const first = new SqliteCaseStore({ path });
    await first.init();
    const { version } = await first.create('incidents', { id: 'i', n: 1 });
    await first.close();
    const second = new SqliteCaseStore({ path });
    await second.init();
    assert.deepEqual(await second.get('incidents', 'i'), { record: { id: 'i', n: 1 }, version });
    const next = await second.update('incidents', 'i', { id: 'i', n: 2 }, { expectedVersion: version });
    assert.ok(Number(next) > Number(version));
    await second.close();
  });

  it('refuses case tables written by a newer Bulwark, and works only after init', async () => {
    const path = join(dir, 'newer.sqlite');
    const db = openDatabase({ path });
    db.exec("CREATE TABLE case_schema (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT; INSERT INTO case_schema VALUES ('schema_version', 99)");
    db.close();
    await assert.rejects(new SqliteCaseStore({ path }).init(), { code: 'BWK_STORE_UNAVAILABLE' });
    const idle = new SqliteCaseStore({ path: join(dir, 'idle.sqlite') });
    await assert.rejects(idle.get('alerts', 'a'), { code: 'BWK_STORE_UNAVAILABLE' });
    assert.equal(await idle.ping(), false);
  });
});
