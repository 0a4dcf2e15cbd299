// services: opensearch
/**
 * The search-engine LogStore on a real OpenSearch (`OPENSEARCH_URL`, from `test/services/up opensearch`): the shared
 * LogStore contract, each store on its own random prefix, then the adapter's own suite and its capability checks.
 * Never skipped: without `OPENSEARCH_URL` the file fails and says how to start the engine.
 */
import { after, it } from 'node:test';
import { runLogStoreContract } from '../contract/logstore-contract.js';
import { runSearchAdapterSuite } from './adapter-suite.js';
import { runCapabilitiesSuite } from './capabilities-suite.js';
import { EngineFixture, requireOpenSearchUrl } from './engine-env.js';

let url: string | null = null;
try {
  url = requireOpenSearchUrl();
} catch (err) {
  it('OpenSearch is available', () => {
    throw err;
  });
}

if (url) {
  const env = new EngineFixture('opensearch', url);
  after(() => env.cleanUp());
  runLogStoreContract('opensearch', async () => env.store());
  runSearchAdapterSuite(env);
  runCapabilitiesSuite(env);
}
