/**
 * The search-engine CaseStore on a real engine, shared by the OpenSearch and Elasticsearch files: the CaseStore
 * contract, the TokenStore contract on its `tokens` collection (scale mode keeps API tokens in the engine, written with
 * a refresh as the runtime does), and what only the engine-backed store has (explicit mappings, idempotent init,
 * unavailability). Each run uses a random index prefix per scope and deletes its indices afterwards.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { CASE_COLLECTIONS, CaseTokenStore, SearchCaseStore, caseIndexName, type CaseCollection } from '../../src/index.js';
import { createEngineClient, type EngineClient, type EngineKind } from '../../src/search/client.js';
import { runCaseStoreContract } from '../contract/casestore-contract.js';
import { runTokenStoreContract } from '../contract/tokenstore-contract.js';

const NAMES: Record<EngineKind, string> = { opensearch: 'OpenSearch', elasticsearch: 'Elasticsearch' };

export function runCaseEngineSuite(kind: EngineKind, url: string): void {
  const run = `bwk-test-${randomBytes(4).toString('hex')}`;
  const admin: EngineClient = createEngineClient({ kind, url });
  const prefixes = new Set<string>();
  const prefix = (scope: string) => {
    const p = `${run}-${scope}`;
    prefixes.add(p);
    return p;
  };

  after(async () => {
    const indices = [...prefixes].flatMap((p) => CASE_COLLECTIONS.map((c: CaseCollection) => caseIndexName(p, c)));
    // ignore_unavailable: a scope that never ran init has no indices, which must not fail the whole delete.
    if (indices.length > 0) await admin.request({ method: 'DELETE', path: `/${indices.join(',')}`, querystring: { ignore_unavailable: true } });
    await admin.close();
  });

  // As the runtime opens it (packages/runtime/src/stores.ts): every write refreshed, the engine's own refresh interval.
  runCaseStoreContract(kind, async (scope) => new SearchCaseStore({ engine: { kind, url }, prefix: prefix(scope), replicas: 0, refresh: true }));

  runTokenStoreContract(`on the ${NAMES[kind]} case store`, (scope) =>
    new CaseTokenStore(new SearchCaseStore({ engine: { kind, url }, prefix: prefix(`tokens-${scope}`), replicas: 0, refresh: true })),
  );

  describe(`SearchCaseStore on ${NAMES[kind]} specifics`, () => {
    it('processes starting together can read as soon as their init returns (no shard still unallocated)', async () => {
      const scope = prefix('together');
      const stores = Array.from({ length: 8 }, () => new SearchCaseStore({ client: admin, prefix: scope, replicas: 0 }));
      // Each reads the moment its own init returns, as a process does with its first token lookup.
      await Promise.all(
        stores.map(async (s) => {
          await s.init();
          await Promise.all(CASE_COLLECTIONS.map(async (c) => assert.equal(await s.get(c, 'nothing-here'), null)));
        }),
      );
    });

    it('creates its indices with explicit mappings, and init is idempotent on existing indices', async () => {
      const store = new SearchCaseStore({ client: admin, prefix: prefix('mappings'), replicas: 0 });
      await store.init();
      await Promise.all([store.init(), new SearchCaseStore({ client: admin, prefix: prefix('mappings'), replicas: 0 }).init()]);
      const index = store.indexName('incidents');
      const res = await admin.request<Record<string, { mappings: { properties: Record<string, { type?: string }> } }>>({
        method: 'GET',
        path: `/${index}/_mapping`,
      });
      const props = res.body[index]!.mappings.properties;
      assert.equal(props.status?.type, 'keyword');
      assert.equal(props['@timestamp']?.type, 'date');
      await store.create('incidents', { id: 'm1', resolved_at: '2024-05-01T10:00:00Z', title: 'x', score: 1, detail: 'not-a-date' });
      const after1 = await admin.request<typeof res.body>({ method: 'GET', path: `/${index}/_mapping` });
      const dynamic = after1.body[index]!.mappings.properties;
      assert.deepEqual([dynamic.resolved_at?.type, dynamic.title?.type, dynamic.score?.type, dynamic.detail?.type], ['date', 'keyword', 'double', 'keyword']);
      await store.create('incidents', { id: 'm2', resolved_at: 'soon', score: 1.5, long_text: 'x'.repeat(40_000) });
      assert.equal((await store.get('incidents', 'm2'))?.record.id, 'm2', 'a malformed time or a huge string does not reject the record');
      const seen = await store.query('incidents', { size: 10, filter: { score: 1.5 } });
      assert.deepEqual(seen.items.map((i) => i.record.id), ['m2'], 'with the default refresh interval a write is searchable on return');
      await assert.rejects(store.create('incidents', { id: 'm3', score: { not: 'a number' } }), { code: 'BWK_BAD_REQUEST' });
      await assert.rejects(store.create('incidents', { id: 'm4', list: ['a', { b: 1 }] }), { code: 'BWK_BAD_REQUEST' });
      assert.equal(await store.ping(), true);
      await store.close();
    });

    it('reports missing indices as unavailable and an unreachable engine as not ready', async () => {
      const store = new SearchCaseStore({ client: admin, prefix: prefix('never-initialised') });
      assert.equal(await store.ping(), false);
      await assert.rejects(store.get('alerts', 'a'), { code: 'BWK_STORE_UNAVAILABLE' });
      await assert.rejects(store.query('alerts', { size: 1 }), { code: 'BWK_STORE_UNAVAILABLE' });
      const down = new SearchCaseStore({ engine: { kind, url: 'http://127.0.0.1:9', requestTimeoutMs: 2000 }, prefix: 'x' });
      assert.equal(await down.ping(), false);
      await assert.rejects(down.get('alerts', 'a'), { code: 'BWK_STORE_UNAVAILABLE' });
      await down.close();
    });
  });
}
