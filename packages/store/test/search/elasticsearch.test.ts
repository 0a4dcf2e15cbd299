// services: elasticsearch
/**
 * The search-engine LogStore on a real Elasticsearch, whenever `ELASTICSEARCH_URL` is set (e.g.
 * `ELASTICSEARCH_URL=http://127.0.0.1:9200 node --import tsx --test packages/store/test/search/elasticsearch.test.ts`
 * against your own cluster; the suite only touches names under a random prefix and deletes them afterwards). Without
 * it the suite is skipped, visibly.
 */
import { after, it } from 'node:test';
import { runLogStoreContract } from '../contract/logstore-contract.js';
import { runSearchAdapterSuite } from './adapter-suite.js';
import { EngineFixture } from './engine-env.js';

const url = process.env.ELASTICSEARCH_URL;

if (!url) {
  it('Elasticsearch suite', { skip: 'ELASTICSEARCH_URL is not set; set it to run the LogStore contract against Elasticsearch' }, () => undefined);
} else {
  const env = new EngineFixture('elasticsearch', url);
  after(() => env.cleanUp());
  runLogStoreContract('elasticsearch', async () => env.store());
  runSearchAdapterSuite(env);
}
