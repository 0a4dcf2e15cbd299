/**
 * The TokenStore contract (put/get/list/count, replace, revoke once) for SqliteTokenStore and for CaseTokenStore on a
 * case store (the OpenSearch and Elasticsearch runs are in search/case-engine-suite.ts); then SqliteTokenStore's own file handling.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { CaseTokenStore, SqliteCaseStore, BlockLogStore, SqliteTokenStore } from '../src/index.js';
import { runTokenStoreContract, token } from './contract/tokenstore-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-tokens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

runTokenStoreContract('sqlite', (scope) => new SqliteTokenStore({ path: join(dir, `${scope}.sqlite`) }));
runTokenStoreContract('on the SQLite case store', (scope) => new CaseTokenStore(new SqliteCaseStore({ path: join(dir, `cases-${scope}.sqlite`) })));

describe('SqliteTokenStore', () => {
  it('survives a reopen of its file', async () => {
    const path = join(dir, 'd.sqlite');
    const first = new SqliteTokenStore({ path });
    await first.init();
    await first.put(token('t1', '2024-05-01T00:00:00.000Z'));
    await first.close();
    const second = new SqliteTokenStore({ path });
    await second.init();
    assert.equal((await second.getById('t1'))?.hash, 'sha256:t1');
    await second.close();
  });

  it('shares the log store connection and leaves it open on close', async () => {
    const logs = new BlockLogStore({ path: join(dir, 'e.sqlite') });
    await logs.init();
    const tokens = new SqliteTokenStore({ db: logs.database });
    await tokens.init();
    await tokens.put(token('t1', '2024-05-01T00:00:00.000Z'));
    await tokens.close();
    assert.equal(await logs.ping(), true);
    await assert.rejects(tokens.count(), { code: 'BWK_STORE_UNAVAILABLE' });
    await logs.close();
  });

});
