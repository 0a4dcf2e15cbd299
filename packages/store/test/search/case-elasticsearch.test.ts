// services: elasticsearch
/**
 * The search-engine CaseStore contract on Elasticsearch, run only when ELASTICSEARCH_URL points at a node (8.x or
 * 9.x), e.g. your own: `ELASTICSEARCH_URL=http://127.0.0.1:9200 node --import tsx --test
 * packages/store/test/search/case-elasticsearch.test.ts`. It creates indices named `bwk-test-<random>-*` with no
 * replicas and deletes them afterwards. Without the variable the suite is reported as skipped, not passed.
 */
import { randomBytes } from 'node:crypto';
import { after, describe, it } from 'node:test';
import { CASE_COLLECTIONS, CaseTokenStore, SearchCaseStore, caseIndexName } from '../../src/index.js';
import { createEngineClient } from '../../src/search/client.js';
import { runCaseStoreContract } from '../contract/casestore-contract.js';
import { runTokenStoreContract } from '../contract/tokenstore-contract.js';

const url = process.env.ELASTICSEARCH_URL;

if (!url) {
  describe('CaseStore contract: elasticsearch', () => {
    it('needs ELASTICSEARCH_URL', { skip: 'ELASTICSEARCH_URL is not set' }, () => {});
  });
} else {
  const run = `bwk-test-${randomBytes(4).toString('hex')}`;
  const prefixes = new Set<string>();
  after(async () => {
    const admin = createEngineClient({ kind: 'elasticsearch', url });
    const indices = [...prefixes].flatMap((p) => CASE_COLLECTIONS.map((c) => caseIndexName(p, c)));
    if (indices.length > 0) await admin.request({ method: 'DELETE', path: `/${indices.join(',')}`, querystring: { ignore_unavailable: true } });
    await admin.close();
  });
  runCaseStoreContract('elasticsearch', async (scope) => {
    const prefix = `${run}-${scope}`;
    prefixes.add(prefix);
    return new SearchCaseStore({ engine: { kind: 'elasticsearch', url }, prefix, replicas: 0, refreshInterval: '100ms' });
  });
  runTokenStoreContract('on the Elasticsearch case store', (scope) => {
    const prefix = `${run}-tokens-${scope}`;
    prefixes.add(prefix);
    return new CaseTokenStore(new SearchCaseStore({ engine: { kind: 'elasticsearch', url }, prefix, replicas: 0, refresh: true }));
  });
}
