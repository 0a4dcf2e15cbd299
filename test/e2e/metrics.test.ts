// services: process
/**
 * `GET /metrics` of the real `npm start` process: refused without a token (401) and with any scope but `metrics`
 * (403; `admin` holds it), and its counters move by exactly what was sent — events, bytes and refusals per source
 * kind and reason, request durations per route template, the correlator's events and rule matches (counted on its own
 * thread, merged into the one scrape), and alerts and incidents by status as the API lists them.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { falcoMinerEvent } from '../support/falco.js';
import { parseScrape, type Scrape } from '../support/scrape.js';
import { until } from '../support/until.js';

const CRYPTO_MINER_RULE = '3a29cf41-1fca-4646-b512-59a16968c5a6';

/** One audit event as the API server's webhook sends it (an EventList): a read of a ConfigMap, matching no rule. */
function auditList(): Record<string, unknown> {
  return {
    kind: 'EventList',
    apiVersion: 'audit.k8s.io/v1',
    items: [
      {
        level: 'Metadata',
        auditID: randomUUID(),
        stage: 'ResponseComplete',
        requestURI: '/api/v1/namespaces/default/configmaps/app',
        verb: 'get',
        user: { username: 'system:serviceaccount:default:app', groups: ['system:serviceaccounts'] },
        sourceIPs: ['10.0.0.7'],
        objectRef: { resource: 'configmaps', namespace: 'default', name: 'app', apiVersion: 'v1' },
        responseStatus: { metadata: {}, code: 200 },
        requestReceivedTimestamp: new Date().toISOString(),
        stageTimestamp: new Date().toISOString(),
      },
    ],
  };
}

describe('GET /metrics on npm start', () => {
  let bw: BulwarkProcess;
  let scraper: string;
  let shipper: string;
  let reader: string;
  const scrape = async (): Promise<Scrape> => {
    const res = await bw.fetch('/metrics', { token: scraper });
    assert.equal(res.status, 200, await res.clone().text());
    return parseScrape(await res.text());
  };
  const post = async (path: string, body: string, token = shipper): Promise<Response> =>
    bw.fetch(path, { method: 'POST', token, headers: { 'content-type': 'application/json' }, body });

  before(async () => {
    bw = await startBulwark();
    scraper = (await bw.mint('prometheus', ['metrics'])).token;
    shipper = (await bw.mint('shipper', ['ingest'], { sources: ['logs', 'falco', 'k8s-audit'] })).token;
    reader = (await bw.mint('reader', ['read'])).token;
  });
  after(async () => bw?.stop());

  it('is refused without a token (401), with an ingest or read token (403), and served with metrics or admin', async () => {
    const missing = await bw.fetch('/metrics', { token: null });
    assert.equal(missing.status, 401);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'BWK_AUTH_MISSING');
    for (const token of [shipper, reader]) {
      const forbidden = await bw.fetch('/metrics', { token });
      assert.equal(forbidden.status, 403);
      const body = (await forbidden.json()) as { error: { code: string; details: { scope: string } } };
      assert.equal(body.error.code, 'BWK_AUTH_FORBIDDEN');
      assert.equal(body.error.details.scope, 'metrics');
    }
    const served = await bw.fetch('/metrics', { token: scraper });
    assert.equal(served.status, 200);
    assert.match(served.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    const text = await served.text();
    assert.match(text, /^# TYPE bulwark_ingest_events_total counter$/m);
    assert.match(text, /^process_cpu_seconds_total /m, "Node's process metrics");
    assert.equal((await bw.fetch('/metrics')).status, 200, 'admin holds every scope');
    // The metrics token can do nothing else.
    assert.equal((await bw.fetch('/v1/search?q=*', { token: scraper })).status, 403);
    assert.equal((await post('/v1/ingest/events', '{}', scraper)).status, 403);
  });

  it('counts what was sent, per source and reason, and what the correlator did with it', async () => {
    const before = await scrape();
    const alertsBefore = ((await bw.get('/v1/alerts?size=500')) as { items: unknown[] }).items.length;
    const startedSec = Date.now() / 1000;

    const logs = JSON.stringify([{ message: 'one' }, { message: 'two' }, { message: 'three' }]);
    const badBatch = JSON.stringify([{ message: 'fine' }, { message: 'bad', '@timestamp': 'not a time' }]);
    const falco = JSON.stringify(falcoMinerEvent('shop', 'shop-7c9d8f5b4-x2k4q'));
    const audit = JSON.stringify(auditList());
    const unreadable = '{"output": ';
    assert.equal((await post('/v1/ingest/events', logs)).status, 200);
    assert.equal((await post('/v1/ingest/events', badBatch)).status, 400);
    assert.equal((await post('/v1/ingest/falco', falco)).status, 200);
    assert.equal((await post('/v1/ingest/k8s-audit', audit)).status, 200);
    assert.equal((await post('/v1/ingest/falco', unreadable)).status, 400);
    assert.equal((await post('/v1/ingest/k8s-audit', audit, scraper)).status, 403);

    // 3 + 1 logs, 1 Falco, 1 audit event stored: the correlator acknowledges all 6 on its thread.
    await until('the correlator to acknowledge every stored event', async () =>
      (await scrape()).value('bulwark_correlator_events_total') - before.value('bulwark_correlator_events_total') >= 6 || null,
    );
    const alerts = await until('the crypto-miner alert', async () => {
      const list = (await bw.get(`/v1/alerts?rule=${CRYPTO_MINER_RULE}`)) as { items: Array<{ status: string }> };
      return list.items.length > 0 ? list.items : null;
    });
    assert.equal(alerts.length, 1);
    const now = await scrape();
    const moved = (name: string, labels: Record<string, string> = {}): [number, string] => [
      now.value(name, labels) - before.value(name, labels),
      `${name} ${JSON.stringify(labels)}`,
    ];
    const equalMoved = ([delta, series]: [number, string], expected: number, message?: string) => assert.equal(delta, expected, message ?? series);

    equalMoved(moved('bulwark_ingest_events_total', { source: 'logs' }), 4);
    equalMoved(moved('bulwark_ingest_events_total', { source: 'falco' }), 1);
    equalMoved(moved('bulwark_ingest_events_total', { source: 'k8s-audit' }), 1);
    equalMoved(moved('bulwark_ingest_bytes_total', { source: 'logs' }), Buffer.byteLength(logs) + Buffer.byteLength(badBatch));
    equalMoved(moved('bulwark_ingest_bytes_total', { source: 'falco' }), Buffer.byteLength(falco) + Buffer.byteLength(unreadable));
    // The refused request never got past authorization: its body was never read.
    equalMoved(moved('bulwark_ingest_bytes_total', { source: 'k8s-audit' }), Buffer.byteLength(audit));
    equalMoved(moved('bulwark_ingest_rejected_records_total', { source: 'logs', reason: 'BWK_INGEST_BAD_FIELD' }), 1);
    equalMoved(moved('bulwark_ingest_rejected_records_total'), 1);
    equalMoved(moved('bulwark_ingest_rejected_requests_total', { source: 'falco', reason: 'BWK_INGEST_BAD_JSON' }), 1);
    equalMoved(moved('bulwark_ingest_rejected_requests_total', { source: 'k8s-audit', reason: 'BWK_AUTH_FORBIDDEN' }), 1);
    equalMoved(moved('bulwark_ingest_rejected_requests_total'), 2);
    for (const source of ['logs', 'falco', 'k8s-audit']) {
      const last = now.value('bulwark_ingest_last_event_timestamp_seconds', { source });
      assert.ok(last >= startedSec - 1 && last <= Date.now() / 1000, `last ${source} event time ${last}`);
    }

    const route = (path: string, statusClass: string) => ({ route: path, method: 'POST', status_class: statusClass });
    equalMoved(moved('bulwark_http_request_duration_seconds_count', route('/v1/ingest/events', '2xx')), 1);
    equalMoved(moved('bulwark_http_request_duration_seconds_count', route('/v1/ingest/events', '4xx')), 1);
    equalMoved(moved('bulwark_http_request_duration_seconds_count', route('/v1/ingest/falco', '4xx')), 1);
    equalMoved(moved('bulwark_http_request_duration_seconds_count', route('/v1/ingest/k8s-audit', '4xx')), 1);
    assert.ok(now.series('bulwark_http_request_duration_seconds').every((s) => s.route !== undefined && !s.route.includes('?')));

    equalMoved(moved('bulwark_correlator_events_total'), 6);
    equalMoved(moved('bulwark_correlator_rule_matches_total', { rule: CRYPTO_MINER_RULE }), 1);
    const alertsAfter = ((await bw.get('/v1/alerts?size=500')) as { items: Array<{ status: string }> }).items;
    equalMoved(moved('bulwark_correlator_alerts_total'), alertsAfter.length - alertsBefore, 'every new alert was recorded by the correlator');
    assert.ok(now.value('bulwark_correlator_batch_evaluation_seconds_count') >= 1);
    assert.ok(now.value('bulwark_bus_delivery_lag_seconds_count', { group: 'correlator' }) >= 1);
    equalMoved(moved('bulwark_correlator_dead_lettered_events_total'), 0);

    // Read on scrape from the case store: what the API lists.
    const open = alertsAfter.filter((a) => a.status === 'open').length;
    assert.equal(now.value('bulwark_alerts', { status: 'open' }), open);
    const incidents = ((await bw.get('/v1/incidents?size=500')) as { items: Array<{ status: string }> }).items;
    assert.equal(now.value('bulwark_incidents', { status: 'open' }), incidents.filter((i) => i.status === 'open').length);
    assert.ok(now.value('bulwark_incidents') >= 1);
    // The embedded store takes the collector's batches laid out as its blocks (`appendColumns`, not JSON rows).
    assert.ok(now.value('bulwark_store_operation_duration_seconds_count', { store: 'log', operation: 'appendColumns' }) >= 4);
  });

  it('never makes a label of a raw path or a sender-chosen name', async () => {
    for (let i = 0; i < 5; i++) await bw.fetch(`/no/such/path/${randomUUID()}?user=${randomUUID()}`);
    await bw.fetch(`/v1/incidents/${randomUUID()}`, { token: reader });
    const now = await scrape();
    const routes = new Set(now.series('bulwark_http_request_duration_seconds').map((s) => s.route));
    assert.ok(routes.has('unmatched'));
    assert.ok(routes.has('/v1/incidents/:id'));
    assert.ok([...routes].every((r) => !/[0-9a-f]{8}-[0-9a-f]{4}/.test(r!)), [...routes].join(', '));
  });
});
