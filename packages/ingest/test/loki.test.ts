import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import snappy from 'snappyjs';
import { decodeLokiPush, parseLabelSet, PushRequestType } from '../src/index.js';
import { assertThrowsCode, assertValidEvents, NOW } from './helpers.js';

/** What Promtail / Grafana Alloy push for two pods (JSON form). */
const jsonPush = {
  streams: [
    {
      stream: { namespace: 'default', pod: 'web-1', container: 'nginx', node_name: 'node-1', job: 'default/web', app: 'web' },
      values: [
        ['1714557600123456789', '10.0.3.4 - - [01/May/2024:10:00:00 +0000] "GET / HTTP/1.1" 200 615'],
        ['1714557601000000000', '10.0.3.4 - - [01/May/2024:10:00:01 +0000] "GET /favicon.ico HTTP/1.1" 404 153', { trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' }],
      ],
    },
    {
      stream: { k8s_namespace_name: 'payments', k8s_pod_name: 'api-7d9c', k8s_container_name: 'api', detected_level: 'error', service_name: 'api' },
      values: [['1714557602500000000', 'level=error msg="card declined" order=8812']],
    },
  ],
};

/** The same push as protobuf: labels in Prometheus text form, timestamps as seconds + nanos. */
function protoPush(labelsOverride?: string, line2?: Uint8Array): Buffer {
  const message = PushRequestType.fromObject({
    streams: [
      {
        labels: Buffer.from(labelsOverride ?? '{namespace="default", pod="web-1", container="nginx", node_name="node-1", job="default/web", app="web"}'),
        entries: [
          { timestamp: { seconds: 1714557600, nanos: 123456789 }, line: Buffer.from(jsonPush.streams[0]!.values[0]![1] as string) },
          {
            timestamp: { seconds: 1714557601, nanos: 0 },
            line: line2 ?? Buffer.from(jsonPush.streams[0]!.values[1]![1] as string),
            structuredMetadata: [{ name: Buffer.from('trace_id'), value: Buffer.from('4bf92f3577b34da6a3ce929d0e0e4736') }],
          },
        ],
      },
      {
        labels: Buffer.from('{k8s_namespace_name="payments",k8s_pod_name="api-7d9c",k8s_container_name="api",detected_level="error",service_name="api"}'),
        entries: [{ timestamp: { seconds: 1714557602, nanos: 500000000 }, line: Buffer.from('level=error msg="card declined" order=8812') }],
      },
    ],
  });
  return Buffer.from(snappy.compress(PushRequestType.encode(message).finish()));
}

describe('decodeLokiPush', () => {
  it('maps a JSON push: labels, kubernetes fields, levels, structured metadata', () => {
    const { events, errors } = decodeLokiPush(Buffer.from(JSON.stringify(jsonPush)), 'application/json', { now: NOW });
    assert.deepEqual(errors, []);
    assert.equal(events.length, 3);
    assertValidEvents(events);
    const [first, second, third] = events as [(typeof events)[0], (typeof events)[0], (typeof events)[0]];
    assert.equal(first['@timestamp'], '2024-05-01T10:00:00.123Z');
    assert.equal(first.message, jsonPush.streams[0]!.values[0]![1]);
    assert.deepEqual(first.labels, jsonPush.streams[0]!.stream);
    assert.deepEqual(first.kubernetes, { namespace: 'default', pod: { name: 'web-1' }, container: { name: 'nginx' } });
    assert.deepEqual(first.host, { name: 'node-1' });
    assert.deepEqual(first.orchestrator, { type: 'kubernetes', namespace: 'default' });
    assert.equal(first.event.dataset, 'loki.logs');
    assert.equal(second.labels?.trace_id, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(first.labels?.trace_id, undefined, 'metadata belongs to its entry only');
    assert.deepEqual(third.kubernetes, { namespace: 'payments', pod: { name: 'api-7d9c' }, container: { name: 'api' } });
    assert.deepEqual(third.log, { level: 'error' });
    assert.equal(third.event.severity, 60);
  });

  it('decodes a snappy-compressed protobuf push to the same events, with the same ids', () => {
    const proto = decodeLokiPush(protoPush(), 'application/x-protobuf', { now: NOW });
    const json = decodeLokiPush(Buffer.from(JSON.stringify(jsonPush)), 'application/json; charset=utf-8', { now: NOW });
    assert.deepEqual(proto.errors, []);
    assertValidEvents(proto.events);
    assert.deepEqual(proto.events, json.events);
  });

  it('is deterministic, and distinguishes entries that differ only in time', () => {
    const a = decodeLokiPush(protoPush(), 'application/x-protobuf', { now: NOW }).events.map((e) => e.event.id);
    const b = decodeLokiPush(protoPush(), 'application/x-protobuf', { now: new Date() }).events.map((e) => e.event.id);
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, 3);
  });

  it('lets a dataset label choose the dataset', () => {
    const push = { streams: [{ stream: { dataset: 'nginx.access' }, values: [['1714557600000000000', 'x']] }] };
    const { events } = decodeLokiPush(Buffer.from(JSON.stringify(push)), 'application/json', { now: NOW });
    assert.equal(events[0]!.event.dataset, 'nginx.access');
    assert.equal(events[0]!.data_stream?.dataset, 'nginx.access');
  });

  it('numbers records across streams and rejects bad entries one by one', () => {
    const push = {
      streams: [
        { stream: { app: 'a' }, values: [['1714557600000000000', 'ok'], [1714557600000000000, 'ts not a string'], ['1714557600000000000', { line: 'object' }]] },
        { stream: { app: ['b'] }, values: [['1714557600000000000', 'bad stream label'], ['1714557600000000000', 'also skipped']] },
        { stream: { app: 'c' }, values: [['17145576000000000000000', 'ts too long'], ['1714557600000000000', 'ok', 'meta not an object'], ['1714557600000000000', 'ok too']] },
        { stream: { app: 'd' }, values: 'nope' },
      ],
    };
    const { events, errors } = decodeLokiPush(Buffer.from(JSON.stringify(push)), 'application/json', { now: NOW });
    assert.deepEqual(events.map((e) => e.message), ['ok', 'ok too']);
    assert.deepEqual(
      errors.map((e) => [e.index, e.code, e.field]),
      [
        [1, 'BWK_INGEST_BAD_FIELD', 'streams[0].values[1][0]'],
        [2, 'BWK_INGEST_BAD_FIELD', 'streams[0].values[2][1]'],
        [3, 'BWK_INGEST_BAD_FIELD', 'streams[1].stream.app'],
        [5, 'BWK_INGEST_BAD_FIELD', 'streams[2].values[0][0]'],
        [6, 'BWK_INGEST_BAD_FIELD', 'streams[2].values[1][2]'],
        [8, 'BWK_INGEST_BAD_FIELD', 'streams[3].values'],
      ],
    );
  });

  it('names the path of a reserved key or a too-deep value inside a JSON stream', () => {
    const text =
      '{"streams":[{"stream":{"__proto__":"x"},"values":[["1714557600000000000","a"]]},' +
      '{"stream":{"a":"b"},"values":[["1714557600000000000","b",{"deep":{"deeper":{}}}]]},' +
      '{"stream":{"a":"b"},"values":[["1714557600000000000","c"]]}]}';
    const { events, errors } = decodeLokiPush(Buffer.from(text), 'application/json', { now: NOW, maxDepth: 5 });
    assert.deepEqual(events.map((e) => e.message), ['c']);
    assert.deepEqual(
      errors.map((e) => [e.index, e.code, e.field]),
      [
        [0, 'BWK_INGEST_FORBIDDEN_KEY', 'streams[0].stream.__proto__'],
        [1, 'BWK_INGEST_TOO_DEEP', 'streams[1].values[0][2].deep.deeper'],
      ],
    );
  });

  it('rejects bad protobuf streams and entries without losing the good ones', () => {
    const badLabels = decodeLokiPush(protoPush('{namespace="default", pod=web-1}'), 'application/x-protobuf', { now: NOW });
    assert.equal(badLabels.events.length, 1, 'the second stream still decodes');
    assert.deepEqual(badLabels.errors.map((e) => [e.index, e.code, e.field]), [[0, 'BWK_INGEST_BAD_FIELD', 'streams[0].labels']]);
    assert.match(badLabels.errors[0]!.message, /expected '"' at position 26/);

    const reserved = decodeLokiPush(protoPush('{__proto__="x"}'), 'application/x-protobuf', { now: NOW });
    assert.deepEqual(reserved.errors.map((e) => [e.index, e.code]), [[0, 'BWK_INGEST_FORBIDDEN_KEY']]);

    const badUtf8 = decodeLokiPush(protoPush(undefined, Buffer.from([0x68, 0x69, 0xc3, 0x28])), 'application/x-protobuf', { now: NOW });
    assert.equal(badUtf8.events.length, 2);
    assert.deepEqual(badUtf8.errors.map((e) => [e.index, e.code, e.field]), [[1, 'BWK_INGEST_BAD_ENCODING', 'streams[0].entries[1].line']]);
  });

  it('fails the body for bad snappy, bad protobuf, a decompression bomb, bad JSON or an unknown type', () => {
    assertThrowsCode(() => decodeLokiPush(Buffer.from('not snappy at all'), 'application/x-protobuf'), 'BWK_INGEST_BAD_PROTOBUF');
    const notProto = Buffer.from(snappy.compress(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])));
    const e = assertThrowsCode(() => decodeLokiPush(notProto, 'application/x-protobuf'), 'BWK_INGEST_BAD_PROTOBUF');
    assert.deepEqual(e.details, { stage: 'protobuf' });
    // A 6-byte body whose snappy header claims 4 GiB of output: refused before allocating.
    const bomb = Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f, 0x00]);
    const b = assertThrowsCode(() => decodeLokiPush(bomb, 'application/x-protobuf'), 'BWK_INGEST_BAD_PROTOBUF');
    assert.deepEqual(b.details, { stage: 'snappy' });
    assertThrowsCode(() => decodeLokiPush(Buffer.from('{"streams":'), 'application/json'), 'BWK_INGEST_BAD_JSON');
    assertThrowsCode(() => decodeLokiPush(Buffer.from('{"streams":{}}'), 'application/json'), 'BWK_INGEST_BAD_FIELD');
    assertThrowsCode(() => decodeLokiPush(Buffer.from('{"streams":[]}'), 'application/json'), 'BWK_INGEST_EMPTY');
    assertThrowsCode(() => decodeLokiPush(Buffer.alloc(0), 'application/x-protobuf'), 'BWK_INGEST_EMPTY');
    assertThrowsCode(() => decodeLokiPush(Buffer.from('{}'), 'text/plain'), 'BWK_INGEST_UNSUPPORTED_MEDIA_TYPE');
  });
});

describe('parseLabelSet', () => {
  it('parses quoted values with escapes, spacing and a trailing comma', () => {
    assert.deepEqual(parseLabelSet('{}'), []);
    assert.deepEqual(parseLabelSet(' { a = "1" ,b="x\\"y\\\\z\\n", } '), [['a', '1'], ['b', 'x"y\\z\n']]);
    assert.deepEqual(parseLabelSet('{filename="/var/log/pods/a_b_c/d/0.log",job="x,y=z"}'), [
      ['filename', '/var/log/pods/a_b_c/d/0.log'],
      ['job', 'x,y=z'],
    ]);
  });

  it('reports the position of a syntax error', () => {
    assert.throws(() => parseLabelSet('namespace="x"'), /expected '\{' at position 0/);
    assert.throws(() => parseLabelSet('{a="1"'), /expected '}' at position 6/);
    assert.throws(() => parseLabelSet('{a="1\\q"}'), /unknown escape "\\q" at position 5/);
    assert.throws(() => parseLabelSet('{1a="x"}'), /expected a label name at position 1/);
    assert.throws(() => parseLabelSet('{a="1"} x'), /unexpected text/);
    assert.throws(() => parseLabelSet('{a="open'), /unterminated/);
  });
});
