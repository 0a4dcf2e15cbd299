import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Event } from '@bulwark/schema';
import { decodeBulk, decodeK8sAudit, normalizeDocument, type BulkItem } from '../src/index.js';
import { assertValidEvents, CONTAINER_ID, get, ndjson, NOW, NOW_ISO } from './helpers.js';
import { execDenied, podCreate } from './fixtures-audit.js';
import * as f from './fixtures-shippers.js';

function events(items: BulkItem[]): Event[] {
  return items.flatMap((i) => (i.event ? [i.event] : []));
}

function summary(items: BulkItem[]): Array<[number, string | undefined, string | undefined]> {
  return items.map((i, n) => [n, i.error?.code, i.error?.field]);
}

const shipperBody = ndjson(
  f.fluentBitAction, f.fluentBitDoc,
  f.filebeatAction, f.filebeatDoc,
  f.vectorAction, f.vectorDoc,
  f.logstashAction, f.logstashDoc,
);

describe('decodeBulk: what shippers send', () => {
  it('maps Fluent Bit, Filebeat, Vector and Logstash documents', () => {
    const items = decodeBulk(shipperBody, { now: NOW });
    assert.deepEqual(summary(items), [[0, undefined, undefined], [1, undefined, undefined], [2, undefined, undefined], [3, undefined, undefined]]);
    assertValidEvents(events(items));
    const [fluent, filebeat, vector, logstash] = events(items) as [Event, Event, Event, Event];

    assert.deepEqual(items.map((i) => [i.action, i.index]), [
      ['create', 'logstash-2024.05.01'],
      ['create', 'filebeat-8.13.0'],
      ['index', 'vector-2024.05.01'],
      ['index', 'logstash-2024.05.01'],
    ]);

    // Fluent Bit kubernetes filter shape → ECS
    assert.equal(fluent['@timestamp'], '2024-05-01T10:00:00.123Z');
    assert.equal(fluent.message, f.fluentBitDoc.log.slice(0, -1));
    assert.equal(get(fluent, 'log'), undefined, 'the log string moved to message');
    assert.deepEqual(fluent.kubernetes, {
      labels: { app: 'web', 'pod-template-hash': '5d8f7c9b4', 'app.kubernetes.io/name': 'web' },
      annotations: f.fluentBitDoc.kubernetes.annotations,
      container_hash: f.fluentBitDoc.kubernetes.container_hash,
      pod: { name: 'web-1', uid: 'b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41' },
      namespace: 'default',
      node: { name: 'node-1' },
      container: { name: 'nginx' },
    });
    assert.deepEqual(fluent.container, { id: CONTAINER_ID, image: { name: 'docker.io/library/nginx:1.25' } });
    assert.deepEqual(fluent.orchestrator, { type: 'kubernetes', namespace: 'default' });
    assert.equal(get(fluent, 'stream'), 'stderr');
    assert.equal(fluent.event.dataset, 'logstash-2024.05.01');

    // Filebeat: already ECS, passes through; dedotted label keys stay
    assert.equal(get(filebeat, 'kubernetes.pod.name'), 'web-1');
    assert.equal(get(filebeat, 'kubernetes.namespace'), 'default');
    assert.equal(get(filebeat, 'kubernetes.node.name'), 'node-1');
    assert.equal(get(filebeat, 'kubernetes.labels.app_kubernetes_io_name'), 'web');
    assert.equal(get(filebeat, 'container.runtime'), 'containerd');
    assert.equal(get(filebeat, 'orchestrator.cluster.name'), 'prod-eu1');
    assert.equal(get(filebeat, 'orchestrator.type'), 'kubernetes');
    assert.equal(get(filebeat, 'log.file.path'), f.filebeatDoc.log.file.path);
    assert.equal(get(filebeat, 'agent.version'), '8.13.0', 'unknown fields are kept');

    // Vector kubernetes_logs shape → ECS, runtime split from the container id URI
    assert.equal(vector['@timestamp'], '2024-05-01T10:00:02.789Z');
    assert.equal(get(vector, 'kubernetes.pod.name'), 'web-1');
    assert.equal(get(vector, 'kubernetes.namespace'), 'default');
    assert.equal(get(vector, 'kubernetes.pod.uid'), 'b1946ac9-2b6a-4c8e-9f1d-5e0c3a7d2f41');
    assert.equal(get(vector, 'kubernetes.node.name'), 'node-1');
    assert.equal(get(vector, 'kubernetes.container.name'), 'nginx');
    assert.deepEqual(get(vector, 'kubernetes.labels'), { app: 'web', 'pod-template-hash': '5d8f7c9b4' });
    assert.deepEqual(vector.container, { id: CONTAINER_ID, runtime: 'containerd', image: { name: 'nginx:1.25' } });
    assert.equal(get(vector, 'kubernetes.pod_owner'), 'ReplicaSet/web-5d8f7c9b4');

    // Logstash: host string → host.name; _type accepted and ignored
    assert.deepEqual(logstash.host, { name: 'logstash-0' });
    assert.equal(get(logstash, '@version'), '1');
    assert.deepEqual(logstash.tags, ['syslog', 'beats_input_codec_plain_applied']);
    assert.equal(logstash.orchestrator, undefined);
    for (const e of [fluent, filebeat, vector, logstash]) assert.equal(e.event.ingested, NOW_ISO);
  });

  it('is deterministic: a retried batch gets the same ids, and _id is used when given', () => {
    const a = decodeBulk(shipperBody, { now: NOW }).map((i) => i.event!.event.id);
    const b = decodeBulk(shipperBody, { now: new Date() }).map((i) => i.event!.event.id);
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, 4);
    const withId = decodeBulk(ndjson({ index: { _index: 'app-logs', _id: 'evt-0042' } }, { message: 'x' }), { now: NOW });
    assert.equal(withId[0]!.id, 'evt-0042');
    assert.equal(withId[0]!.event!.event.id, 'evt-0042');
    const numericId = decodeBulk(ndjson({ create: { _id: 42 } }, { message: 'x' }), { now: NOW });
    assert.equal(numericId[0]!.id, '42');
  });

  it('derives dataset and data_stream: doc > data_stream > logs-<dataset>-<namespace> index > index name', () => {
    const items = decodeBulk(
      ndjson(
        { create: { _index: 'logs-nginx.access-prod' } }, { message: 'a', event: { dataset: 'nginx.error' } },
        { create: { _index: 'logs-nginx.access-prod' } }, { message: 'b', data_stream: { type: 'logs', dataset: 'k8s.events', namespace: 'staging' } },
        { create: { _index: 'logs-nginx.access-prod' } }, { message: 'c' },
        { index: { _index: 'fluent-bit' } }, { message: 'd' },
        { index: {} }, { message: 'e' },
      ),
      { now: NOW },
    );
    assert.deepEqual(
      items.map((i) => [i.event!.event.dataset, i.event!.data_stream]),
      [
        ['nginx.error', { type: 'logs', dataset: 'nginx.error', namespace: 'prod' }],
        ['k8s.events', { type: 'logs', dataset: 'k8s.events', namespace: 'staging' }],
        ['nginx.access', { type: 'logs', dataset: 'nginx.access', namespace: 'prod' }],
        ['fluent-bit', { type: 'logs', dataset: 'fluent-bit', namespace: 'default' }],
        ['generic', { type: 'logs', dataset: 'generic', namespace: 'default' }],
      ],
    );
    assert.equal(items[4]!.index, 'logs-generic-default');
    const inUrl = decodeBulk(ndjson({ index: {} }, { message: 'x' }), { now: NOW, defaultIndex: 'logs-app-default' });
    assert.equal(inUrl[0]!.index, 'logs-app-default');
    assert.equal(inUrl[0]!.event!.event.dataset, 'app');
  });

  it('tolerates CRLF, blank lines and a missing final newline', () => {
    const text = [
      '', JSON.stringify(f.logstashAction), JSON.stringify(f.logstashDoc), '   ', '',
      JSON.stringify(f.vectorAction), JSON.stringify(f.vectorDoc),
    ].join('\r\n');
    const items = decodeBulk(Buffer.from(text), { now: NOW });
    assert.deepEqual(summary(items), [[0, undefined, undefined], [1, undefined, undefined]]);
  });

  it('expands dotted keys safely and flattens nested labels back', () => {
    const doc = {
      '@timestamp': 1714557600123,
      message: 'dotted',
      'kubernetes.pod.name': 'web-1',
      'kubernetes.namespace': 'default',
      'kubernetes.labels.app': 'web',
      kubernetes: { container: { name: 'nginx' } },
      'host.name': 'node-1',
      'user.name': 'root',
      user: 'ignored-because-not-an-object',
    };
    const [item] = decodeBulk(ndjson({ index: {} }, doc), { now: NOW });
    const e = item!.event!;
    assertValidEvents([e]);
    assert.equal(e['@timestamp'], '2024-05-01T10:00:00.123Z');
    assert.deepEqual(e.kubernetes, { container: { name: 'nginx' }, pod: { name: 'web-1' }, namespace: 'default', labels: { app: 'web' } });
    assert.deepEqual(e.host, { name: 'node-1' });
    // `user` was a string, so `user.name` could not nest: both kept, the string moved to user.name.
    assert.deepEqual(e.user, { name: 'ignored-because-not-an-object' });
    assert.equal(get(e, ['user.name']), 'root');
    assert.deepEqual(e.orchestrator, { type: 'kubernetes', namespace: 'default' });
  });

  it('coerces known fields where nothing is lost', () => {
    const doc = {
      '@timestamp': '2024-05-01T10:00:00.123456789+02:00',
      message: { msg: 'structured', code: 7 },
      tags: 'single',
      labels: { replicas: 3, canary: true, nested: { 'app.kubernetes.io': { name: 'web' } }, gone: null },
      process: { pid: '4242', args: '--verbose' },
      log: { level: 'WARN' },
      event: { category: 'process', severity: '55' },
      source: '10.0.0.9:5140',
      container: { image: 'nginx:1.25' },
      kubernetes: { pod: 'web-1', namespace: 'default' },
      user: { roles: 'admin', id: 1000 },
      host: { ip: '10.0.0.1', name: null },
    };
    const [item] = decodeBulk(ndjson({ index: {} }, doc), { now: NOW });
    assert.equal(item!.error, undefined);
    const e = item!.event!;
    assertValidEvents([e]);
    assert.equal(e['@timestamp'], '2024-05-01T08:00:00.123Z');
    assert.equal(e.message, '{"msg":"structured","code":7}');
    assert.deepEqual(e.tags, ['single']);
    assert.deepEqual(e.labels, { replicas: '3', canary: 'true', 'nested.app.kubernetes.io.name': 'web' });
    assert.deepEqual(e.process, { pid: 4242, args: ['--verbose'] });
    assert.equal(e.event.severity, 55);
    assert.deepEqual(e.event.category, ['process']);
    assert.deepEqual(e.source, { address: '10.0.0.9:5140' });
    assert.deepEqual(e.container, { image: { name: 'nginx:1.25' } });
    assert.deepEqual(e.kubernetes, { pod: { name: 'web-1' }, namespace: 'default' });
    assert.deepEqual(e.user, { roles: ['admin'], id: '1000' });
    assert.deepEqual(e.host, { ip: ['10.0.0.1'] });
  });

  it('sets event.severity from log.level when none is given', () => {
    const [item] = decodeBulk(ndjson({ index: {} }, { message: 'x', log: { level: 'error' } }), { now: NOW });
    assert.equal(item!.event!.event.severity, 60);
  });

  it('rejects fields it cannot coerce, naming them', () => {
    const bad = [
      { process: { pid: 4.5 } },
      { event: { kind: 'incident' } },
      { event: { outcome: 'maybe' } },
      { event: { severity: 101 } },
      { tags: ['ok', { no: 1 }] },
      { labels: ['a'] },
      { kubernetes: 'web-1' },
      { host: { name: { first: 'a' } } },
      { event: 'not-an-object' },
      { kubernetes: { labels: { app: ['web'] } } },
    ];
    const items = decodeBulk(ndjson(...bad.flatMap((doc) => [{ index: {} }, { message: 'm', ...doc }])), { now: NOW });
    assert.deepEqual(
      items.map((i) => [i.error?.code, i.error?.field]),
      [
        ['BWK_INGEST_BAD_FIELD', 'process.pid'],
        ['BWK_INGEST_BAD_FIELD', 'event.kind'],
        ['BWK_INGEST_BAD_FIELD', 'event.outcome'],
        ['BWK_INGEST_BAD_FIELD', 'event.severity'],
        ['BWK_INGEST_BAD_FIELD', 'tags'],
        ['BWK_INGEST_BAD_FIELD', 'labels'],
        ['BWK_INGEST_BAD_FIELD', 'kubernetes'],
        ['BWK_INGEST_BAD_FIELD', 'host.name'],
        ['BWK_INGEST_BAD_FIELD', 'event'],
        ['BWK_INGEST_BAD_FIELD', 'kubernetes.labels.app'],
      ],
    );
    assert.match(items[1]!.error!.message, /event\.kind must be one of event, alert/);
  });

  it('handles timestamps: nanoseconds, epoch millis, Fluent Bit date seconds, missing, unparseable', () => {
    const items = decodeBulk(
      ndjson(
        { index: {} }, { '@timestamp': '2024-05-01T10:00:00.987654321Z' },
        { index: {} }, { '@timestamp': 1714557600987 },
        { index: {} }, { date: 1714557600.987654, log: 'fluent-bit without Time_Key' },
        { index: {} }, { message: 'no time at all' },
        { index: {} }, { '@timestamp': 'last tuesday', message: 'bad time', tags: ['t'] },
      ),
      { now: NOW },
    );
    const evs = events(items);
    assertValidEvents(evs);
    assert.deepEqual(evs.map((e) => e['@timestamp']), [
      '2024-05-01T10:00:00.987Z',
      '2024-05-01T10:00:00.987Z',
      '2024-05-01T10:00:00.987Z',
      NOW_ISO,
      NOW_ISO,
    ]);
    assert.deepEqual(evs[4]!.tags, ['t', '_timestampparsefailure']);
    assert.equal(get(evs[4], '_timestamp_unparsed'), 'last tuesday');
  });

  it('keeps the source line in event.original when asked', () => {
    const line = JSON.stringify(f.logstashDoc);
    const [item] = decodeBulk(Buffer.from(`${JSON.stringify(f.logstashAction)}\n${line}\n`), { now: NOW, keepOriginal: true });
    assert.equal(item!.event!.event.original, line);
    const [plain] = decodeBulk(Buffer.from(`${JSON.stringify(f.logstashAction)}\n${line}\n`), { now: NOW });
    assert.equal(plain!.event!.event.original, undefined);
  });
});

describe('normalizeDocument', () => {
  it('hashes the document when no id is given, independent of key order and of now', () => {
    const a = normalizeDocument({ message: 'm', host: { name: 'h' } }, { index: 'i', now: NOW });
    const b = normalizeDocument({ host: { name: 'h' }, message: 'm' }, { index: 'i', now: new Date() });
    assert.equal(a.event.id, b.event.id);
    assert.match(a.event.id, /^[0-9a-f]{32}$/);
    const c = normalizeDocument({ message: 'm', host: { name: 'h' } }, { index: 'other', now: NOW });
    assert.notEqual(a.event.id, c.event.id);
  });
});

describe('decodeBulk: audit log lines shipped by a file tailer', () => {
  it('maps a native audit event exactly as the webhook does, with the same id (a sender granted k8s-audit)', () => {
    const line = (e: object) => ({ '@timestamp': '2024-05-01T10:00:00.123Z', kind: 'Event', apiVersion: 'audit.k8s.io/v1', ...e });
    const items = decodeBulk(
      ndjson(
        { create: { _index: 'logs-kubernetes.audit-prod' } }, line(podCreate),
        { create: { _index: 'logs-kubernetes.audit-prod', _id: 'given' } }, line(execDenied),
        { create: {} }, line({ ...execDenied, verb: 7 }),
      ),
      { now: NOW, nativeSources: ['k8s-audit'] },
    );
    const webhook = decodeK8sAudit(Buffer.from(JSON.stringify(line(podCreate))), { now: NOW }).events[0]!;
    const viaBulk = items[0]!.event!;
    assertValidEvents([viaBulk]);
    assert.equal(viaBulk.event.id, `${podCreate.auditID}-ResponseComplete`);
    assert.deepEqual({ ...viaBulk, data_stream: undefined }, { ...webhook, data_stream: undefined });
    assert.deepEqual(viaBulk.data_stream, { type: 'logs', dataset: 'kubernetes.audit', namespace: 'prod' });
    assert.equal(get(viaBulk, 'kubernetes.audit.objectRef.resource'), 'pods');
    assert.equal(items[1]!.event!.event.id, 'given');
    assert.deepEqual([items[2]!.error?.code, items[2]!.error?.field], ['BWK_INGEST_BAD_FIELD', 'verb']);
  });
});
