/** SqliteTokenStore: on its own file, and sharing the log store's connection. */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { SqliteLogStore, SqliteTokenStore, type StoredToken } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-tokens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const token = (id: string, createdAt: string, scopes = ['read']): StoredToken => ({
  id,
  name: `token ${id}`,
  scopes,
  hash: `sha256:${id}`,
  createdAt,
  revokedAt: null,
});

describe('SqliteTokenStore', () => {
  it('puts, gets, lists oldest first and counts', async () => {
    const store = new SqliteTokenStore({ path: join(dir, 'a.sqlite') });
    await store.init();
    await store.init();
    assert.equal(await store.count(), 0);
    await store.put(token('t2', '2024-05-02T00:00:00.000Z', ['ingest']));
    await store.put(token('t1', '2024-05-01T00:00:00.000Z', ['admin', 'read']));
    assert.deepEqual(await store.getById('t1'), token('t1', '2024-05-01T00:00:00.000Z', ['admin', 'read']));
    assert.equal(await store.getById('nope'), null);
    assert.deepEqual((await store.list()).map((t) => t.id), ['t1', 't2']);
    assert.equal(await store.count(), 2);
    await store.close();
  });

  it('put replaces a token with the same id', async () => {
    const store = new SqliteTokenStore({ path: join(dir, 'b.sqlite') });
    await store.init();
    await store.put(token('t1', '2024-05-01T00:00:00.000Z'));
    await store.put({ ...token('t1', '2024-05-01T00:00:00.000Z', ['respond']), name: 'renamed' });
    assert.deepEqual(await store.getById('t1'), { ...token('t1', '2024-05-01T00:00:00.000Z', ['respond']), name: 'renamed' });
    assert.equal(await store.count(), 1);
    await store.close();
  });

  it('revokes once, keeps the first revocation time, and counts revoked tokens', async () => {
    const store = new SqliteTokenStore({ path: join(dir, 'c.sqlite') });
    await store.init();
    await store.put(token('t1', '2024-05-01T00:00:00.000Z'));
    assert.equal(await store.revoke('t1'), true);
    const revokedAt = (await store.getById('t1'))?.revokedAt;
    assert.ok(revokedAt && !Number.isNaN(Date.parse(revokedAt)));
    await new Promise((r) => setTimeout(r, 5));
    assert.equal(await store.revoke('t1'), true);
    assert.equal((await store.getById('t1'))?.revokedAt, revokedAt);
    assert.equal(await store.revoke('nope'), false);
    assert.equal(await store.count(), 1);
    await store.close();
  });

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
    const logs = new SqliteLogStore({ path: join(dir, 'e.sqlite') });
    await logs.init();
    const tokens = new SqliteTokenStore({ db: logs.database });
    await tokens.init();
    await tokens.put(token('t1', '2024-05-01T00:00:00.000Z'));
    await tokens.close();
    assert.equal(await logs.ping(), true);
    await assert.rejects(tokens.count(), { code: 'BWK_STORE_UNAVAILABLE' });
    await logs.close();
  });

  it('rejects scopes that are not a list of strings', async () => {
    const store = new SqliteTokenStore({ path: ':memory:' });
    await store.init();
    await assert.rejects(store.put({ ...token('t1', 'x'), scopes: 'admin' as never }), { code: 'BWK_BAD_REQUEST' });
    await store.close();
  });
});
