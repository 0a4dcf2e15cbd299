/**
 * The OTLP logs decoder on its own: both encodings give the same events (and ids), identity only from the resource,
 * reserved datasets claimed, values and severities mapped, and every problem a record error naming its field.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { decodeOtlpLogs, encodeOtlpResponse } from '../src/index.js';

const str = (s: string) => ({ stringValue: s });
const kv = (key: string, value: unknown) => ({ key, value });
const NOW = new Date('2026-12-07T12:00:00Z');

function request(records: unknown[], resource: unknown[] = [kv('k8s.pod.name', str('web-1')), kv('k8s.namespace.name', str('shop'))]) {
  return { resourceLogs: [{ resource: { attributes: resource }, scopeLogs: [{ scope: { name: 'app', version: '2' }, logRecords: records }] }] };
}

const json = (value: unknown) => decodeOtlpLogs(Buffer.from(JSON.stringify(value)), 'application/json', { now: NOW });

/** The same request in protobuf, encoded with a schema written from opentelemetry-proto independently of the decoder's. */
function proto(value: unknown): Buffer {
  const root = protobuf.parse(`
    syntax = "proto3";
    message Req { repeated RL resourceLogs = 1; }
    message RL { Res resource = 1; repeated SL scopeLogs = 2; }
    message Res { repeated KV attributes = 1; }
    message SL { Scope scope = 1; repeated LR logRecords = 2; }
    message Scope { string name = 1; string version = 2; }
    message LR { fixed64 timeUnixNano = 1; int32 severityNumber = 2; string severityText = 3; AV body = 5; repeated KV attributes = 6;
                 bytes traceId = 9; bytes spanId = 10; fixed64 observedTimeUnixNano = 11; }
    message AV { oneof value { string stringValue = 1; bool boolValue = 2; int64 intValue = 3; double doubleValue = 4; AL arrayValue = 5; KVL kvlistValue = 6; bytes bytesValue = 7; } }
    message AL { repeated AV values = 1; }
    message KVL { repeated KV values = 1; }
    message KV { string key = 1; AV value = 2; }
  `).root;
  const Req = root.lookupType('Req');
  return Buffer.from(Req.encode(Req.fromObject(value as Record<string, unknown>)).finish());
}

describe('OTLP logs decoder', () => {
  const record = {
    timeUnixNano: '1796644800123456789',
    severityNumber: 17,
    body: { kvlistValue: { values: [kv('user', str('alice')), kv('attempts', { intValue: '3' }), kv('ok', { boolValue: false })] } },
    attributes: [kv('http.route', str('/login')), kv('k8s.pod.name', str('someone-else'))],
  };

  it('maps a record: time, severity number → level, structured body, attributes flat, identity from the resource', () => {
    const { events, errors } = json(request([record]));
    assert.deepEqual(errors, []);
    const e = events[0] as Record<string, any>;
    assert.equal(e['@timestamp'], '2026-12-07T12:00:00.123Z');
    assert.equal(e.log.level, 'error');
    assert.deepEqual(e.body, { user: 'alice', attempts: 3, ok: false });
    assert.equal(e.message, '{"user":"alice","attempts":3,"ok":false}');
    assert.equal(e.attributes['http.route'], '/login');
    assert.equal(e.kubernetes.pod.name, 'web-1', 'the resource names the pod');
    assert.deepEqual(e.bulwark.claimed, { kubernetes: { pod: { name: 'someone-else' } } }, 'a record attribute naming another pod is a claim');
    assert.equal(e.scope.name, 'app');
    assert.equal(e.event.dataset, 'otel.logs');
  });

  it('protobuf and JSON of the same records give the same events and ids', () => {
    const traced = { ...record, traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) };
    const fromJson = json(request([traced]));
    const wire = {
      ...request([{ ...traced, traceId: Buffer.from('ab'.repeat(16), 'hex'), spanId: Buffer.from('cd'.repeat(8), 'hex') }]),
    };
    const fromProto = decodeOtlpLogs(proto(wire), 'application/x-protobuf', { now: NOW });
    assert.deepEqual(fromProto.errors, []);
    assert.deepEqual(fromProto.events, fromJson.events);
    assert.equal((fromProto.events[0] as any).trace.id, 'ab'.repeat(16));
  });

  it('a reserved dataset named by an attribute is claimed, never taken', () => {
    const { events } = json(request([{ body: str('x'), attributes: [kv('data_stream.dataset', str('kubernetes.audit'))] }]));
    assert.equal((events[0] as any).event.dataset, 'claimed.kubernetes.audit');
  });

  it('each bad record is an error naming its field; the good ones are decoded', () => {
    const deep = (n: number): unknown => (n === 0 ? str('leaf') : { arrayValue: { values: [deep(n - 1)] } });
    const { events, errors } = decodeOtlpLogs(
      Buffer.from(JSON.stringify(request([{ body: str('ok') }, { traceId: '12', body: str('x') }, { body: deep(80) }, { timeUnixNano: '-5' }]))),
      'application/json',
      { now: NOW, maxDepth: 64 },
    );
    assert.equal(events.length, 1);
    assert.deepEqual(errors.map((e) => [e.index, e.code, e.field]), [
      [1, 'BWK_INGEST_BAD_FIELD', 'resourceLogs[0].scopeLogs[0].logRecords[1].traceId'],
      [2, 'BWK_INGEST_TOO_DEEP', errors[1]!.field],
      [3, 'BWK_INGEST_BAD_FIELD', 'resourceLogs[0].scopeLogs[0].logRecords[3].timeUnixNano'],
    ]);
    assert.equal((events[0] as any)['@timestamp'], NOW.toISOString(), 'no time: the arrival time');
  });

  it('invalid UTF-8 in a protobuf string is refused per record; a body that is not the message is refused whole', () => {
    const wire = request([{ body: str('fine') }, { body: str('x') }]);
    const bytes = proto(wire);
    // Corrupt the second record's body text ("x") into a lone continuation byte.
    const at = bytes.lastIndexOf(0x78);
    bytes[at] = 0x80;
    const { events, errors } = decodeOtlpLogs(bytes, 'application/x-protobuf', { now: NOW });
    assert.equal(events.length, 1);
    assert.equal(errors[0]!.code, 'BWK_INGEST_BAD_ENCODING');
    assert.throws(() => decodeOtlpLogs(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f]), 'application/x-protobuf'), { code: 'BWK_INGEST_BAD_PROTOBUF' });
    assert.throws(() => decodeOtlpLogs(Buffer.from('x'), 'text/plain'), { code: 'BWK_INGEST_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('answers in the encoding it was sent: empty, or partialSuccess', () => {
    assert.equal(encodeOtlpResponse(false, 0, '').body.toString(), '{}');
    assert.deepEqual(JSON.parse(encodeOtlpResponse(false, 2, 'record 1: bad').body.toString()), { partialSuccess: { rejectedLogRecords: '2', errorMessage: 'record 1: bad' } });
    const pb = encodeOtlpResponse(true, 2, 'bad');
    assert.equal(pb.type, 'application/x-protobuf');
    assert.ok(pb.body.length > 0);
    assert.equal(encodeOtlpResponse(true, 0, '').body.length, 0);
  });
});
