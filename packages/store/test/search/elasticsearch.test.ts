// services: elasticsearch
/**
 * The search-engine LogStore on a real Elasticsearch (`ELASTICSEARCH_URL`: the embedded node `test/services/up
 * elasticsearch` starts, or your own cluster, e.g. `ELASTICSEARCH_URL=https://user:pass@es.example:9200 node --import
 * tsx --test packages/store/test/search/elasticsearch.test.ts`; only names under a random prefix are created, and
 * deleted afterwards): the shared LogStore contract, then the adapter's own suite and its capability checks (the
 * fallbacks for the modules the embedded node lacks; the full features on a full distribution). Never skipped: without
 * `ELASTICSEARCH_URL` the file fails and says how to start the engine.
 */
import { after, it } from 'node:test';
import { runLogStoreContract } from '../contract/logstore-contract.js';
import { runSearchAdapterSuite } from './adapter-suite.js';
import { runCapabilitiesSuite } from './capabilities-suite.js';
import { EngineFixture, requireEngineUrl } from './engine-env.js';

let url: string | null = null;
try {
  url = requireEngineUrl('elasticsearch');
} catch (err) {
  it('Elasticsearch is available', () => {
    throw err;
  });
}

if (url) {
  const env = new EngineFixture('elasticsearch', url);
  after(() => env.cleanUp());
  runLogStoreContract('elasticsearch', async () => env.store());
  runSearchAdapterSuite(env);
  runCapabilitiesSuite(env);
}
