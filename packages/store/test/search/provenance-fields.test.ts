// services: opensearch
/**
 * `bulwark.provenance` and `bulwark.claimed` (docs/ARCHITECTURE.md, "Provenance") in both log stores: provenance fields
 * are exact filters (`bulwark.provenance.source:falco`, the token's name, an element of `token_sources`), and a
 * payload's claimed `bulwark` block — any shape, a different one in each event — is kept and never a mapping conflict
 * on OpenSearch or Elasticsearch.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Event, EventProvenance } from '@bulwark/schema';
import { parseQuery, BlockLogStore, type LogStore } from '../../src/index.js';
import { EngineFixture, requireEngineUrl } from './engine-env.js';

const provenance = (source: EventProvenance['source'], name: string): EventProvenance => ({
  route: source === 'falco' ? '/v1/ingest/falco' : '/_bulk',
  protocol: source === 'falco' ? 'falco' : 'es-bulk',
  source,
  token: { id: `id-${name}`, name },
  token_sources: source === 'falco' ? ['falco'] : ['logs', 'k8s-audit'],
});

const events: Event[] = [
  { '@timestamp': '2024-05-01T10:00:00.000Z', message: 'real', event: { id: 'p1', dataset: 'falco.alerts' }, bulwark: { provenance: provenance('falco', 'falco-node-a') } },
  {
    '@timestamp': '2024-05-01T10:00:01.000Z',
    message: 'forged object',
    event: { id: 'p2', dataset: 'claimed.falco.alerts' },
    bulwark: { provenance: provenance('logs', 'fluent-bit'), claimed: { dataset: 'falco.alerts', payload: { provenance: { source: 'falco', token: { id: 1 } } } } },
  },
  {
    '@timestamp': '2024-05-01T10:00:02.000Z',
    message: 'forged string',
    event: { id: 'p3', dataset: 'app' },
    bulwark: { provenance: provenance('logs', 'fluent-bit'), claimed: { payload: 'just a string', kubernetes: { pod: { name: 'victim-0' } } } },
  },
];

async function ids(store: LogStore, q: string): Promise<string[]> {
  const result = await store.search({ query: parseQuery(q), size: 10, sort: 'asc' });
  return result.hits.map((h) => h.event.id);
}

function suite(name: string, open: () => Promise<LogStore>): void {
  describe(`${name}: provenance fields`, () => {
    it('are exact filters, and claimed payloads of any shape are stored', async () => {
      const store = await open();
      const appended = await store.append(events);
      assert.deepEqual(appended.rejected ?? [], []);
      assert.equal(appended.created, 3);
      assert.deepEqual(await ids(store, 'bulwark.provenance.source:falco'), ['p1']);
      assert.deepEqual(await ids(store, 'bulwark.provenance.source:logs'), ['p2', 'p3']);
      assert.deepEqual(await ids(store, 'bulwark.provenance.token.name:"fluent-bit"'), ['p2', 'p3']);
      assert.deepEqual(await ids(store, 'bulwark.provenance.token_sources:"k8s-audit"'), ['p2', 'p3']);
      assert.deepEqual(await ids(store, 'bulwark.claimed.dataset:"falco.alerts"'), ['p2']);
      assert.deepEqual(await ids(store, 'bulwark.claimed.kubernetes.pod.name:"victim-0"'), ['p3']);
      assert.deepEqual((await store.get('p3'))?.bulwark?.claimed?.payload, 'just a string');
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), 'bwk-prov-'));
after(() => rmSync(dir, { recursive: true, force: true }));
suite('sqlite', async () => {
  const store = new BlockLogStore({ path: join(dir, 'events.sqlite') });
  await store.init();
  after(() => store.close());
  return store;
});

for (const kind of ['opensearch', 'elasticsearch'] as const) {
  const env = new EngineFixture(kind, requireEngineUrl(kind));
  after(() => env.cleanUp());
  suite(kind, async () => {
    const store = env.store();
    await store.init();
    return store;
  });
}
