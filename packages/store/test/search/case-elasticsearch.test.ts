// services: elasticsearch
/**
 * The search-engine CaseStore and the TokenStore on its tokens collection, on a real Elasticsearch node
 * (`test/services/up elasticsearch` writes ELASTICSEARCH_URL to test/.services.env; or point it at your own). The run fails,
 * rather than skips, without one: the contracts must run on the real engine. The suite is in case-engine-suite.ts.
 */
import { it } from 'node:test';
import { runCaseEngineSuite } from './case-engine-suite.js';
import { requireEngineUrl } from './engine-env.js';

let url: string | null = null;
try {
  url = requireEngineUrl('elasticsearch');
} catch (err) {
  it('Elasticsearch is available', () => {
    throw err;
  });
}
if (url) runCaseEngineSuite('elasticsearch', url);
