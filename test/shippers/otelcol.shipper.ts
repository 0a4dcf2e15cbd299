/**
 * The OpenTelemetry Collector between an application and Bulwark: the OpenTelemetry JS SDK's OTLP exporter sends log
 * records to a real Collector (test/shippers/otelcol: the Collector's own modules, OTLP receiver → batch → `otlphttp`
 * exporter with gzip and its retry queue), which forwards them to the real `npm start` at `/v1/logs`. Bulwark is
 * SIGKILLed while the Collector holds records; its retries deliver them once Bulwark is back, and the content ids
 * keep a retried batch from being stored twice. A reverse-shell line an application logged raises the container rule.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { SeverityNumber } from '@opentelemetry/api-logs';
import { OTLPLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchLogRecordProcessor, LoggerProvider } from '@opentelemetry/sdk-logs';
import { installed, startProcess } from './shipper-process.js';
import { shipperSuite } from './suite.js';
import { assertContainerRuleAlert, freePort, marker, numberedLines, reverseShellLine, seqCounts } from './target.js';
import { until } from '../support/until.js';

const suite = shipperSuite();

test('OpenTelemetry Collector (otlphttp exporter, gzip, retry queue): every record once through a SIGKILL of Bulwark, the container rule fires', async () => {
  const { target, d } = await suite.setUp('otel-collector', 'otelcol');
  const receiver = await freePort();
  const config = join(d.dir, 'otelcol.yaml');
  writeFileSync(config, [
    'receivers:',
    `  otlp: { protocols: { http: { endpoint: "127.0.0.1:${receiver}" } } }`,
    'processors:',
    '  batch: { timeout: 200ms, send_batch_size: 100 }',
    'exporters:',
    '  otlp_http:',
    `    endpoint: "${target.url}"`,
    '    compression: gzip',
    `    headers: { Authorization: "Bearer ${target.token}" }`,
    '    retry_on_failure: { enabled: true, initial_interval: 200ms, max_interval: 2s, max_elapsed_time: 120s }',
    '    sending_queue: { enabled: true, queue_size: 1000 }',
    'service:',
    '  telemetry: { metrics: { level: none } }',
    '  pipelines: { logs: { receivers: [otlp], processors: [batch], exporters: [otlp_http] } }',
    '',
  ].join('\n'));
  const collector = startProcess(installed('SHIPPERS_OTELCOL'), [`--config=${config}`]);
  suite.track(collector);
  await until('the Collector listening', async () => /Everything is ready|Starting HTTP server/.test(collector.output()), 30_000, 100);

  const run = marker('otel');
  const provider = new LoggerProvider({
    resource: resourceFromAttributes({ 'service.name': 'checkout', 'k8s.namespace.name': 'shop', 'k8s.pod.name': 'checkout-1' }),
    processors: [new BatchLogRecordProcessor({ exporter: new OTLPLogExporter({ url: `http://127.0.0.1:${receiver}/v1/logs` }), scheduledDelayMillis: 50 })],
  });
  suite.later(() => provider.shutdown());
  const logger = provider.getLogger('app');
  const lines = numberedLines(run, 400);
  for (const line of lines.slice(0, 200)) logger.emit({ body: line, severityNumber: SeverityNumber.INFO, severityText: 'INFO' });
  await provider.forceFlush();
  // Bulwark goes away while the Collector holds the second half: its queue retries until Bulwark is back.
  await target.restart(async () => {
    for (const line of lines.slice(200)) logger.emit({ body: line, severityNumber: SeverityNumber.INFO, severityText: 'INFO' });
    logger.emit({ body: reverseShellLine(run), severityNumber: SeverityNumber.WARN, severityText: 'WARN' });
    await provider.forceFlush();
    await new Promise((r) => setTimeout(r, 1500));
  });

  let counts = new Map<number, number>();
  await until('all 400 records stored', async () => (counts = await seqCounts(target, run)).size === 400, 120_000, 500);
  const twice = [...counts].filter(([, n]) => n > 1);
  assert.deepEqual(twice, [], 'no record stored twice');
  await assertContainerRuleAlert(target, run);
  const [one] = (await target.bulwark.get<{ hits: Array<Record<string, any>> }>(`/v1/search?q=${encodeURIComponent(`"${run} seq=00007"`)}`)).hits;
  assert.equal(one?.event.dataset, 'otel.logs');
  assert.equal(one?.kubernetes.pod.name, 'checkout-1', 'resource attributes through the Collector');
  assert.equal(one?.bulwark.provenance.route, '/v1/logs');
});
