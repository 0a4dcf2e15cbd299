/**
 * Capabilities, not assumptions: what the adapter finds out about the engine at `init` and the fallbacks it takes,
 * on the real engine. The embedded Elasticsearch test node lacks the modules that are not on Maven Central
 * (`rest-root`, `data-streams`), so the fallbacks run there under `npm test`; against a full Elasticsearch
 * distribution (`ELASTICSEARCH_URL` set by hand) the same tests check the full features instead. OpenSearch serves
 * `GET /` and the data stream API, has no data stream lifecycle, and no ISM plugin on the test node.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { listDataStreams, type EngineDialect, type MissingFeature } from '../../src/index.js';
import { missingFeaturesLine } from '../../src/search/engine.js';
import type { EngineFixture } from './engine-env.js';

function ev(id: string, dataset: string): Event {
  return { '@timestamp': new Date().toISOString(), event: { id, dataset } } as Event;
}

const features = (missing: MissingFeature[]) => missing.map((m) => m.feature);

export function runCapabilitiesSuite(env: EngineFixture): void {
  const { client } = env;

  describe(`capabilities of ${env.kind}, and the fallbacks`, () => {
    it('identifies the engine and its version with or without GET /', async () => {
      const info = await client.info();
      assert.equal(info.kind, env.kind);
      assert.match(info.version, /^\d+\.\d+\.\d+/);
      const root = await client.request<{ version?: { number?: string } }>({ method: 'GET', path: '/' }, { ignore: [400, 404, 405] });
      assert.equal(info.rootEndpoint, root.statusCode === 200, 'the fallback is taken exactly when GET / is not served');
      if (info.rootEndpoint) assert.equal(info.version, root.body.version?.number);
      // The node's own report of its version, which the fallback reads, agrees with the root endpoint where both exist.
      const nodes = await client.request<{ nodes: Record<string, { version: string }> }>({ method: 'GET', path: '/_nodes/_local' });
      assert.equal(Object.values(nodes.body.nodes)[0]!.version, info.version);
    });

    it('says in one line what the server lacks and what it does instead, once per init', async () => {
      const lines: Array<[string, { engine: string; version: string; missing: MissingFeature[] }]> = [];
      const store = env.store({ retention: { maxAgeDays: 3 }, onMissingFeatures: (line, details) => lines.push([line, details]) });
      await store.init();
      await store.init();
      const dialect = store.dialect;
      if (dialect.missing.length === 0) {
        assert.deepEqual(lines, [], 'a full distribution: nothing to say');
      } else {
        assert.equal(lines.length, 1);
        const [line, details] = lines[0]!;
        assert.equal(line, missingFeaturesLine(dialect));
        assert.deepEqual(details, { engine: env.kind, version: dialect.version, missing: dialect.missing });
        assert.ok(!line.includes('\n'));
        for (const m of dialect.missing) assert.ok(line.includes(m.feature) && line.includes(m.fallback), line);
      }
      const info = await client.info();
      assert.equal(features(dialect.missing).includes('the root endpoint (GET /)'), !info.rootEndpoint);
      if (env.kind === 'opensearch') {
        assert.equal(dialect.dataStreamApi, true);
        assert.equal(dialect.dataStreamLifecycle, false);
        assert.equal(features(dialect.missing).includes('the ISM plugin'), !dialect.ism);
      } else {
        assert.equal(features(dialect.missing).includes('the data stream API'), !dialect.dataStreamApi);
        assert.equal(features(dialect.missing).includes('data stream lifecycle'), !dialect.dataStreamLifecycle);
      }
      assert.equal(store.retentionMode, dialect.dataStreamLifecycle ? 'dsl' : dialect.ism ? 'ism' : 'job');
      await store.close();
    });

    it('puts a lifecycle in the template only where the engine runs one', async () => {
      const store = env.store({ retention: { maxAgeDays: 2 } });
      await store.init();
      const tpl = await client.request<any>({ method: 'GET', path: `/_index_template/${store.layout.templateName}` });
      const lifecycle = tpl.body.index_templates[0].index_template.template.lifecycle;
      if (store.dialect.dataStreamLifecycle) assert.equal(lifecycle.data_retention, '2d');
      else assert.equal(lifecycle, undefined, 'no lifecycle that nothing on this server would act on');
      await store.close();
    });

    it('lists data streams and their backing indices, oldest first, through whichever API the server has', async () => {
      const store = env.store();
      await store.init();
      await store.append([ev('ls-a1', 'ls.alpha'), ev('ls-b1', 'ls.beta')]);
      const alpha = `logs-${store.layout.prefix}.ls.alpha-default`;
      const beta = `logs-${store.layout.prefix}.ls.beta-default`;
      for (let i = 0; i < 2; i++) await client.request({ method: 'POST', path: `/${alpha}/_rollover` });
      const viaResolve: EngineDialect = { ...store.dialect, dataStreamApi: false };
      const resolved = (await listDataStreams(client, viaResolve, store.layout.pattern)).sort((a, b) => a.name.localeCompare(b.name));
      assert.deepEqual(resolved.map((s) => s.name), [alpha, beta]);
      assert.equal(resolved[0]!.indices.length, 3);
      assert.deepEqual(resolved[0]!.indices.map((i) => Number(/(\d+)$/.exec(i)![1])), [1, 2, 3], 'generation order');
      const write = await client.request<Record<string, unknown>>({ method: 'GET', path: `/${alpha}/_settings` });
      assert.ok(resolved[0]!.indices[2]! in write.body, 'the last one listed is the newest backing index');
      if (store.dialect.dataStreamApi) {
        const listed = (await listDataStreams(client, store.dialect, store.layout.pattern)).sort((a, b) => a.name.localeCompare(b.name));
        assert.deepEqual(listed, resolved, 'the data stream API and _resolve/index agree');
      }
      assert.deepEqual(await listDataStreams(client, viaResolve, 'logs-nothing-here.*-*'), []);
      await store.close();
    });
  });
}
