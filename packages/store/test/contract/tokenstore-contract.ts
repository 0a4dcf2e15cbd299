/**
 * The TokenStore contract: put/get/list (oldest first)/count, replace by id, revoke once keeping the first time,
 * scopes checked, client certificate bindings and console sessions kept. `open(scope)` returns a new store on its own data for each scope.
 *
 * Configuration: the suite runs on whatever adapter settings the caller gives and prints them first (settings.ts);
 * the product's are SQLite at `synchronous` FULL and, in scale mode, the search-engine case store with `refresh=true`.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StoredToken, TokenStore } from '../../src/port.js';
import { settingsOf } from './settings.js';

export const token = (id: string, createdAt: string, scopes = ['read']): StoredToken => ({
  id,
  name: `token ${id}`,
  scopes,
  hash: `sha256:${id}`,
  createdAt,
  revokedAt: null,
});

export function runTokenStoreContract(name: string, openStore: (scope: string) => TokenStore): void {
  let reported = false;
  const open = (scope: string): TokenStore => {
    const store = openStore(scope);
    if (!reported) console.log(`TokenStore contract: ${name} ${settingsOf(store)}`);
    reported = true;
    return store;
  };
  describe(`TokenStore contract: ${name}`, () => {
    it('puts, gets, lists oldest first and counts', async () => {
      const store = open('a');
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
      const store = open('b');
      await store.init();
      await store.put(token('t1', '2024-05-01T00:00:00.000Z'));
      await store.put({ ...token('t1', '2024-05-01T00:00:00.000Z', ['respond']), name: 'renamed' });
      assert.deepEqual(await store.getById('t1'), { ...token('t1', '2024-05-01T00:00:00.000Z', ['respond']), name: 'renamed' });
      assert.equal(await store.count(), 1);
      await store.close();
    });

    it('revokes once, keeps the first revocation time, and counts revoked tokens', async () => {
      const store = open('c');
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
    it('rejects scopes that are not a list of strings', async () => {
      const store = open('d');
      await store.init();
      await assert.rejects(store.put({ ...token('t1', 'x'), scopes: 'admin' as never }), { code: 'BWK_BAD_REQUEST' });
      await store.close();
    });

    it('keeps a client certificate binding, replaces and lists it, and refuses an empty or unknown one', async () => {
      const store = open('e');
      await store.init();
      const bound = { ...token('t1', '2024-05-01T00:00:00.000Z', ['ingest']), clientCert: { subjectCn: 'kube-apiserver', sanUri: 'spiffe://c/apiserver' } };
      await store.put(bound);
      await store.put(token('t2', '2024-05-02T00:00:00.000Z'));
      assert.deepEqual(await store.getById('t1'), bound);
      assert.deepEqual((await store.list()).map((t) => t.clientCert ?? null), [bound.clientCert, null]);
      await store.put({ ...bound, clientCert: { sanDns: 'audit.example.com' } });
      assert.deepEqual((await store.getById('t1'))?.clientCert, { sanDns: 'audit.example.com' });
      await store.revoke('t1');
      assert.deepEqual((await store.getById('t1'))?.clientCert, { sanDns: 'audit.example.com' }, 'revoking keeps the binding on record');
      await assert.rejects(store.put({ ...token('t3', 'x'), clientCert: {} }), { code: 'BWK_BAD_REQUEST' });
      await assert.rejects(store.put({ ...token('t3', 'x'), clientCert: { subjectCn: '' } }), { code: 'BWK_BAD_REQUEST' });
      await assert.rejects(store.put({ ...token('t3', 'x'), clientCert: { issuer: 'x' } as never }), { code: 'BWK_BAD_REQUEST' });
      await store.close();
    });

    it('keeps a console session (parent and expiry) beside tokens, revokes it, and refuses a malformed one', async () => {
      const store = open('f');
      await store.init();
      await store.put(token('t1', '2024-05-01T00:00:00.000Z', ['read', 'ingest']));
      const session = { ...token('s1', '2024-05-02T00:00:00.000Z', ['read']), session: { parentId: 't1', expiresAt: '2024-05-02T12:00:00.000Z' } };
      await store.put(session);
      assert.deepEqual(await store.getById('s1'), session);
      assert.equal((await store.getById('t1'))?.session, undefined, 'a token is not a session');
      assert.deepEqual((await store.list()).map((t) => t.session?.parentId ?? null), [null, 't1']);
      assert.equal(await store.revoke('s1'), true);
      assert.deepEqual((await store.getById('s1'))?.session, session.session, 'revoking keeps the session on record');
      await assert.rejects(store.put({ ...token('s2', 'x'), session: { parentId: '', expiresAt: '2024-05-02T12:00:00.000Z' } }), { code: 'BWK_BAD_REQUEST' });
      await assert.rejects(store.put({ ...token('s2', 'x'), session: { parentId: 't1', expiresAt: 'tomorrow' } }), { code: 'BWK_BAD_REQUEST' });
      await assert.rejects(store.put({ ...token('s2', 'x'), session: { parentId: 't1', expiresAt: '2024-05-02T12:00:00.000Z', scopes: ['admin'] } as never }), { code: 'BWK_BAD_REQUEST' });
      await store.close();
    });
  });
}

