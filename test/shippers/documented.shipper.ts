/**
 * Shippers the README documents but this machine cannot run (Fluent Bit, Vector, Logstash and Promtail are not
 * packaged where the suite installs from; Filebeat and Falcosidekick do not build from the Go module proxy here, see
 * README "Shippers: tested here / documented only"). For each, the request its documented config makes is built BY
 * HAND — the path, auth header, compression, action line and record fields that shipper sends — from the values in
 * the tested config file (test/shippers/configs/), so a changed index or auth in the README changes what is sent here.
 * These prove the documented config's shape lands in the container dataset and reaches the container rules; they do
 * not prove the shipper's own retry or batching. Also here: the README's shipper configs equal the config files.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { createHash, randomUUID } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import snappy from 'snappyjs';
import { PushRequestType } from '@bulwark/ingest';
import { configSetting, currentBlock, readmeBlock, SHIPPER_CONFIGS } from './configs.js';
import { assertContainerRuleAlert, assertExactlyOnce, CONTAINER_INDEX, exportEvents, marker, numberedLines, reverseShellLine, startTarget, type ShipperTarget } from './target.js';
import { until } from '../support/until.js';

let target: ShipperTarget;
before(async () => {
  target = await startTarget('documented');
});
after(async () => {
  await target?.stop();
});

const basic = (user: string, token: string) => `Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
/** Filebeat's and Logstash's `api_key: "id:key"` is sent as Elasticsearch's encoded key, base64("id:key"). */
const apiKey = (idColonKey: string) => `ApiKey ${Buffer.from(idColonKey).toString('base64')}`;
/** Like Fluent Bit's Generate_ID: a UUID-shaped hash of the record. */
const generatedId = (line: string) => createHash('sha256').update(line).digest('hex').slice(0, 32).replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-');
const ndjson = (lines: unknown[]) => lines.map((l) => JSON.stringify(l)).join('\n') + '\n';
const pod = { namespace: 'shop', pod: 'web-7f9c-abcde', container: 'web', node: 'node-1' };

interface Shape {
  name: string;
  /** The request for these lines, as the shipper's documented config makes it. */
  request(lines: string[], token: string): { path: string; headers: Record<string, string>; body: Buffer };
}

const SHAPES: Shape[] = [
  {
    name: 'Fluent Bit es output (hand-built request)',
    request(lines, token) {
      assert.equal(configSetting('fluent-bit.conf', 'Index'), CONTAINER_INDEX);
      // Write_Operation create (the default), Generate_ID On (an _id hashed from the record), Suppress_Type_Name On.
      const body = lines.flatMap((line, i) => {
        const record = { '@timestamp': new Date(Date.now() + i).toISOString(), log: `${line}\n`, stream: 'stdout', time: new Date().toISOString(), kubernetes: { pod_name: pod.pod, namespace_name: pod.namespace, container_name: pod.container, host: pod.node, docker_id: 'a'.repeat(64), container_image: 'nginx:1.27' } };
        return [{ create: { _index: CONTAINER_INDEX, _id: generatedId(line) } }, record];
      });
      return { path: '/_bulk', headers: { authorization: basic(configSetting('fluent-bit.conf', 'HTTP_User'), token), 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body: gzipSync(ndjson(body)) };
    },
  },
  {
    name: 'Vector elasticsearch sink (hand-built request)',
    request(lines, token) {
      assert.equal(configSetting('vector.yaml', 'index'), CONTAINER_INDEX);
      const action = configSetting('vector.yaml', 'action');
      const body = lines.flatMap((line) => [
        { [action]: { _index: CONTAINER_INDEX } },
        { message: line, timestamp: new Date().toISOString(), source_type: 'kubernetes_logs', stream: 'stdout', kubernetes: { pod_name: pod.pod, pod_namespace: pod.namespace, container_name: pod.container, pod_node_name: pod.node } },
      ]);
      return { path: '/_bulk?timeout=60s', headers: { authorization: basic(configSetting('vector.yaml', 'user'), token), 'content-type': 'application/x-ndjson', 'content-encoding': 'gzip' }, body: gzipSync(ndjson(body)) };
    },
  },
  {
    name: 'Filebeat output.elasticsearch (hand-built request)',
    request(lines, token) {
      assert.equal(configSetting('filebeat.yml', 'index'), CONTAINER_INDEX);
      const key = configSetting('filebeat.yml', 'api_key').replace('${BULWARK_TOKEN}', token);
      const body = lines.flatMap((line) => [
        { create: { _index: CONTAINER_INDEX } },
        { '@timestamp': new Date().toISOString(), message: line, stream: 'stdout', input: { type: 'filestream' }, log: { file: { path: `/var/log/containers/${pod.pod}_${pod.namespace}_${pod.container}-${'a'.repeat(64)}.log` } }, kubernetes: { namespace: pod.namespace, pod: { name: pod.pod }, container: { name: pod.container }, node: { name: pod.node } }, agent: { type: 'filebeat', version: '8.17.0' }, ecs: { version: '8.0.0' } },
      ]);
      return { path: '/_bulk', headers: { authorization: apiKey(key), 'content-type': 'application/json; charset=UTF-8', 'content-encoding': 'gzip' }, body: gzipSync(ndjson(body)) };
    },
  },
  {
    name: 'Logstash elasticsearch output (hand-built request)',
    request(lines, token) {
      assert.equal(configSetting('logstash.conf', 'index'), CONTAINER_INDEX);
      const key = configSetting('logstash.conf', 'api_key').replace('${BULWARK_TOKEN}', token);
      const body = lines.flatMap((line) => [
        { [configSetting('logstash.conf', 'action')]: { _index: CONTAINER_INDEX } },
        { '@timestamp': new Date().toISOString(), '@version': '1', message: line, host: { name: pod.node }, event: { original: line }, kubernetes: { namespace: pod.namespace, pod: { name: pod.pod } } },
      ]);
      return { path: '/_bulk', headers: { authorization: apiKey(key), 'content-type': 'application/json', 'content-encoding': 'gzip' }, body: gzipSync(ndjson(body)) };
    },
  },
  {
    name: 'Promtail Loki push, protobuf + snappy (hand-built request)',
    request(lines, token) {
      const dataset = configSetting('promtail.yaml', 'dataset');
      const labels = `{container="${pod.container}", dataset="${dataset}", job="${pod.namespace}/${pod.container}", namespace="${pod.namespace}", node_name="${pod.node}", pod="${pod.pod}"}`;
      const now = Date.now();
      const entries = lines.map((line, i) => ({ timestamp: { seconds: Math.floor(now / 1000), nanos: ((now % 1000) * 1e6 + i) }, line: Buffer.from(line) }));
      const proto = PushRequestType.encode(PushRequestType.create({ streams: [{ labels: Buffer.from(labels), entries }] })).finish();
      return { path: '/loki/api/v1/push', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-protobuf' }, body: Buffer.from(snappy.compress(proto)) };
    },
  },
];

/** Sends the request `times` times, byte for byte: what a shipper does when it did not see the first answer. */
async function send(shape: Shape, lines: string[], times = 1): Promise<void> {
  const { path, headers, body } = shape.request(lines, target.token);
  for (let i = 0; i < times; i++) await sendOnce(shape, path, headers, body);
}

async function sendOnce(shape: Shape, path: string, headers: Record<string, string>, body: Buffer): Promise<void> {
  const res = await fetch(`${target.url}${path}`, { method: 'POST', headers, body });
  const text = await res.text();
  assert.ok(res.status === 200 || res.status === 204, `${shape.name}: ${res.status} ${text.slice(0, 300)}`);
  if (!path.startsWith('/_bulk')) return;
  // A re-sent `create` answers 409 per item (already stored), as Elasticsearch does; the shippers count it as done.
  const items = (JSON.parse(text) as { items: Array<Record<string, { status: number }>> }).items;
  for (const item of items) assert.ok([200, 201, 409].includes(Object.values(item)[0]!.status), text.slice(0, 300));
}

for (const shape of SHAPES) {
  test(`${shape.name}: lands in the container dataset once (sent twice, as a retry does) and reaches the container rules`, async () => {
    const m = marker('doc');
    const lines = numberedLines(m, 50);
    await send(shape, lines, 2);
    await assertExactlyOnce(target, m, 50);
    const attack = marker('docattack');
    await send(shape, [reverseShellLine(attack)]);
    await assertContainerRuleAlert(target, attack);
  });
}

test('Falcosidekick webhook (hand-built request): the README header form, a Falco token, stored once as falco.alerts', async () => {
  const { token } = await target.bulwark.mint('falcosidekick', ['ingest'], { sources: ['falco'] });
  const m = marker('sidekick');
  const alert = { uuid: randomUUID(), output: `${m} Terminal shell in container (user=root shell=bash)`, priority: 'Notice', rule: 'Terminal shell in container', time: new Date().toISOString(), source: 'syscall', hostname: pod.node, tags: ['container', 'shell'], output_fields: { 'container.id': 'a'.repeat(12), 'k8s.ns.name': pod.namespace, 'k8s.pod.name': pod.pod, 'proc.name': 'bash' } };
  // README: customHeaders: "Authorization:Bearer <token>", which Falcosidekick splits at the first colon.
  const [name, value] = ['Authorization', `Bearer ${token}`];
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${target.url}/v1/ingest/falco`, { method: 'POST', headers: { [name]: value, 'content-type': 'application/json' }, body: JSON.stringify(alert) });
    assert.ok(res.status < 300, `${res.status} ${await res.text()}`);
  }
  const events = await until(`${m} stored`, async () => { const e = await exportEvents(target, m); return e.length > 0 && e; }, 30_000, 300);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.event.dataset, 'falco.alerts');
});

test('README: every documented shipper config is the tested config file, rendered with the README placeholders', () => {
  const readme = readFileSync(fileURLToPath(new URL('../../README.md', import.meta.url)), 'utf8');
  for (const config of SHIPPER_CONFIGS) {
    assert.equal(currentBlock(readme, config.file), readmeBlock(config), `README block for ${config.file} is stale: run \`npm run docs:shippers\``);
  }
});
