// services: process
/**
 * The official Elasticsearch v8 client against the collector: what Filebeat, Logstash and friends do on the wire.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { Client } from '@elastic/elasticsearch';
import { ndjson, searchHits, startHarness, type Harness } from '../support/harness.js';

function sampleDocs(n: number): Array<Record<string, unknown>> {
  const base = Date.parse('2026-11-01T10:00:00.000Z');
  return Array.from({ length: n }, (_, i) => ({
    '@timestamp': new Date(base + i * 1000).toISOString(),
    message: `GET /api/orders/${i} 200 ${10 + (i % 7)}ms`,
    log: { level: i % 10 === 0 ? 'error' : 'info' },
    kubernetes: { namespace: 'shop', pod: { name: `orders-${i % 3}` }, container: { name: 'orders' } },
    seq: i,
  }));
}

describe('Elasticsearch client compatibility', () => {
  let h: Harness;
  let client: Client;
  before(async () => {
    h = await startHarness();
    client = new Client({ node: h.url, auth: { apiKey: Buffer.from(`id:${h.tokens.ingest}`).toString('base64') } });
  });
  after(async () => {
    await client.close();
    await h.close();
  });

  it('answers the probes shippers send first', async () => {
    const info = await client.info();
    assert.match(info.version.number, /^8\./);
    assert.equal(info.tagline, 'You Know, for Search');
    const health = await client.cluster.health();
    assert.equal(health.status, 'green');
    const head = await h.fetch('/', { method: 'HEAD', token: h.tokens.ingest });
    assert.equal(head.status, 200);
    assert.equal(head.headers.get('x-elastic-product'), 'Elasticsearch');
    assert.equal(await client.indices.existsIndexTemplate({ name: 'filebeat-8.17.0' }), true);
    await client.indices.putIndexTemplate({ name: 'logs-app', index_patterns: ['logs-app-*'], data_stream: {} });
    const got = await client.indices.getIndexTemplate({ name: 'logs-app' });
    assert.equal(got.index_templates[0]?.name, 'logs-app');
    const ilm = await client.ilm.putLifecycle({ name: 'filebeat', policy: { phases: { hot: { actions: {} } } } });
    assert.equal(ilm.acknowledged, true);
    const license = await h.fetch('/_license', { token: h.tokens.ingest });
    assert.equal(((await license.json()) as { license: { status: string } }).license.status, 'active');
    const cat = await h.fetch('/_cat/health', { token: h.tokens.ingest });
    assert.match(await cat.text(), /bulwark green/);
  });

  it('helpers.bulk stores every document, each searchable; the same bulk again with create answers 409 per item', async () => {
    const docs = sampleDocs(500);
    const first = await client.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ create: { _index: 'logs-orders-default' } }),
      flushBytes: 20_000,
    });
    assert.equal(first.total, 500);
    assert.equal(first.successful, 500);
    assert.equal(first.failed, 0);
    const hits = await searchHits(h, 'kubernetes.namespace:shop', { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' });
    assert.equal(hits.length, 500);
    const seqs = new Set(hits.map((e) => e.seq as number));
    assert.equal(seqs.size, 500);
    assert.equal(hits[0]!.event.dataset, 'orders');
    for (const probe of [0, 137, 499]) {
      const found = await searchHits(h, `"/api/orders/${probe} "`);
      assert.ok(found.some((e) => e.seq === probe), `doc ${probe} is searchable by message`);
    }

    const dropped: number[] = [];
    const second = await client.helpers.bulk({
      datasource: docs,
      onDocument: () => ({ create: { _index: 'logs-orders-default' } }),
      onDrop: (d) => dropped.push(d.status),
      flushBytes: 20_000,
    });
    assert.equal(second.failed, 500);
    assert.equal(dropped.length, 500);
    assert.ok(dropped.every((s) => s === 409));
    const again = await searchHits(h, 'kubernetes.namespace:shop', { from: '2026-11-01T00:00:00Z', to: '2026-11-02T00:00:00Z' });
    assert.equal(again.length, 500, 'no duplicates');
  });

  it('keeps _id as event.id, and answers a raw _bulk in request order with compact keys in order', async () => {
    const body = ndjson([
      { create: { _index: 'logs-web-default', _id: 'web-1', _type: '_doc' } },
      { '@timestamp': '2026-11-02T08:00:00Z', message: 'first' },
      { index: { _index: 'logs-web-default', _id: 'web-2' } },
      { '@timestamp': '2026-11-02T08:00:01Z', message: 'second' },
      { create: { _index: 'logs-web-default', _id: 'web-3' } },
      '{"@timestamp": "2026-11-02T08:00:02Z", "message": ',
      { create: { _index: 'logs-web-default', _id: 'web-1' } },
      { '@timestamp': '2026-11-02T08:00:00Z', message: 'first' },
      { index: { _index: 'logs-web-default', _id: 'web-2' } },
      { '@timestamp': '2026-11-02T08:00:01Z', message: 'second' },
    ]);
    const res = await h.fetch('/_bulk', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-type': 'application/vnd.elasticsearch+x-ndjson; compatible-with=8', 'content-encoding': 'gzip' },
      body: gzipSync(body),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-elastic-product'), 'Elasticsearch');
    const text = await res.text();
    assert.match(text, /^\{"took":\d+,"errors":true,"items":\[/);
    assert.ok(!/\n|": /.test(text), 'compact JSON');
    const parsed = JSON.parse(text) as { items: Array<Record<string, { _id: string; status: number; error?: { type: string } }>> };
    const statuses = parsed.items.map((it) => Object.entries(it).map(([action, v]) => `${action}:${v._id}:${v.status}`)[0]);
    assert.deepEqual(statuses, ['create:web-1:201', 'index:web-2:201', 'create:web-3:400', 'create:web-1:409', 'index:web-2:200']);
    assert.equal(parsed.items[2]!.create!.error!.type, 'x_content_parse_exception');
    const ev = await h.fetch('/v1/events/web-1', { token: h.tokens.read });
    assert.equal(ev.status, 200);
    const event = (await ev.json()) as { message: string; event: { id: string; dataset: string } };
    assert.equal(event.message, 'first');
    assert.equal(event.event.id, 'web-1');
    assert.equal(event.event.dataset, 'web');
  });

  it('takes single documents on _doc and _create', async () => {
    const created = await client.index({ index: 'logs-single-default', id: 'one', document: { message: 'single doc', '@timestamp': '2026-11-03T00:00:00Z' } });
    assert.equal(created.result, 'created');
    await assert.rejects(
      client.create({ index: 'logs-single-default', id: 'one', document: { message: 'single doc', '@timestamp': '2026-11-03T00:00:00Z' } }),
      (err: { meta?: { statusCode?: number } }) => err.meta?.statusCode === 409,
    );
    const auto = await client.index({ index: 'logs-single-default', document: { message: 'auto id' } });
    assert.equal(auto.result, 'created');
    assert.ok(auto._id);
    const fetched = await h.fetch(`/v1/events/${encodeURIComponent(auto._id)}`, { token: h.tokens.read });
    assert.equal(((await fetched.json()) as { message: string }).message, 'auto id');
  });

  it('an empty bulk is a 400 in Elasticsearch shape', async () => {
    const res = await h.fetch('/_bulk', { method: 'POST', token: h.tokens.ingest, headers: { 'content-type': 'application/x-ndjson' }, body: '' });
    assert.equal(res.status, 400);
    const body = (await res.json()) as { error: { type: string; code: string; root_cause: unknown[] }; status: number };
    assert.equal(body.status, 400);
    assert.equal(body.error.type, 'action_request_validation_exception');
    assert.equal(body.error.code, 'BWK_INGEST_EMPTY');
  });
});
