// services: opensearch
/**
 * The search-engine CaseStore and the TokenStore on its tokens collection, on a real OpenSearch node
 * (`test/services/up opensearch` writes OPENSEARCH_URL to test/.services.env; or point it at your own). The run fails,
 * rather than skips, without one: the contracts must run on the real engine. The suite is in case-engine-suite.ts.
 */
import { it } from 'node:test';
import { runCaseEngineSuite } from './case-engine-suite.js';
import { requireEngineUrl } from './engine-env.js';

let url: string | null = null;
try {
  url = requireEngineUrl('opensearch');
} catch (err) {
  it('OpenSearch is available', () => {
    throw err;
  });
}
if (url) runCaseEngineSuite('opensearch', url);
