// services: opensearch
/**
 * The incident timeline and report on OpenSearch (OPENSEARCH_URL, from `test/services/up opensearch`): the search
 * LogStore and CaseStore on a random prefix, dropped afterwards. The surrounding-event search is translated to the
 * engine's query DSL here, not to SQL, so the same suite runs on both. Fails, never skips, without the engine.
 */
import { it } from 'node:test';
import { randomBytes } from 'node:crypto';
import { CASE_COLLECTIONS, SearchCaseStore, SearchLogStore, caseIndexName, createEngineClient } from '@bulwark/store';
import { runIncidentTimelineSuite } from './incident-timeline-suite.js';

const url = process.env.OPENSEARCH_URL;
if (!url) {
  it('OpenSearch is available', () => {
    throw new Error('OPENSEARCH_URL is not set: run `test/services/up opensearch && source test/.services.env`');
  });
} else {
  runIncidentTimelineSuite('opensearch', async () => {
    const prefix = `tl${randomBytes(5).toString('hex')}`;
    const client = createEngineClient({ kind: 'opensearch', url });
    const logs = new SearchLogStore({ client, prefix, refreshInterval: '100ms' });
    const cases = new SearchCaseStore({ client, prefix, replicas: 0, refresh: true });
    await logs.init();
    await cases.init();
    return {
      logs,
      cases,
      async close() {
        await cases.close();
        await logs.close();
        const ignore = { ignore: [400, 404] };
        await client.request({ method: 'DELETE', path: `/_data_stream/logs-${prefix}.*-*` }, ignore);
        await client.request({ method: 'DELETE', path: `/_index_template/${prefix}-logs` }, ignore);
        await client.request({ method: 'DELETE', path: `/${prefix}-deadletter`, querystring: { ignore_unavailable: true } }, ignore);
        await client.request({ method: 'DELETE', path: `/_plugins/_ism/policies/${prefix}-logs-retention` }, ignore);
        await client.request({ method: 'DELETE', path: `/${CASE_COLLECTIONS.map((c) => caseIndexName(prefix, c)).join(',')}`, querystring: { ignore_unavailable: true } }, ignore);
        await client.close();
      },
    };
  });
}
