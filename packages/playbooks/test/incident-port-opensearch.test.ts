// services: opensearch
/**
 * The IncidentPort contract on the scale-mode case store: OpenSearch indices opened as the runtime opens them
 * (`refresh: true`, so a write is visible to the next query). One difference from production, said plainly: no
 * replicas, because the test node is a single node (a replica could never be assigned). Fails, not skips, without
 * OPENSEARCH_URL. Each scope uses its own index prefix and deletes its indices afterwards.
 */
import { randomBytes } from 'node:crypto';
import { CASE_COLLECTIONS, SearchCaseStore, caseIndexName, createEngineClient } from '@bulwark/store';
import { runIncidentPortContract } from './incident-port-contract.js';

const url = process.env.OPENSEARCH_URL;
if (!url) throw new Error('OPENSEARCH_URL is not set: run test/services/up opensearch, then source test/.services.env');

runIncidentPortContract('OpenSearch case store', async () => {
  const prefix = `bwk-test-incident-port-${randomBytes(4).toString('hex')}`;
  const store = new SearchCaseStore({ engine: { kind: 'opensearch', url }, prefix, refresh: true, replicas: 0 });
  await store.init();
  return {
    store,
    async cleanup() {
      await store.close();
      const admin = createEngineClient({ kind: 'opensearch', url });
      const indices = CASE_COLLECTIONS.map((c) => caseIndexName(prefix, c));
      await admin.request({ method: 'DELETE', path: `/${indices.join(',')}`, querystring: { ignore_unavailable: true } });
      await admin.close();
    },
  };
});
