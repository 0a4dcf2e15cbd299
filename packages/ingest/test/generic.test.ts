import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeGenericEvents } from '../src/index.js';
import { assertThrowsCode, assertValidEvents, ndjson, NOW, NOW_ISO } from './helpers.js';

/** What a script or an integration posts: events already in Bulwark's model. */
const deployEvent = {
  '@timestamp': '2024-05-01T10:00:00.123456Z',
  message: 'deployment web rolled out revision 42',
  event: { kind: 'event', category: ['configuration'], type: ['change'], action: 'rollout', outcome: 'success', dataset: 'argocd.sync' },
  kubernetes: { namespace: 'default', labels: { app: 'web' } },
  user: { name: 'argocd' },
  tags: ['deploy'],
};
const alertEvent = {
  '@timestamp': 1714557605000,
  message: 'PagerDuty: web 5xx rate above 5%',
  event: { id: 'pd-Q1A2B3C4', kind: 'alert', severity: 70, dataset: 'pagerduty.incidents' },
};

describe('decodeGenericEvents', () => {
  it('takes one event, fills defaults and validates', () => {
    const { events, errors } = decodeGenericEvents(Buffer.from(JSON.stringify({ message: 'hello' })), { now: NOW });
    assert.deepEqual(errors, []);
    assertValidEvents(events);
    const e = events[0]!;
    assert.equal(e['@timestamp'], NOW_ISO);
    assert.equal(e.event.dataset, 'generic');
    assert.equal(e.event.ingested, NOW_ISO);
    assert.match(e.event.id, /^[0-9a-f]{32}$/);
    assert.deepEqual(e.data_stream, { type: 'logs', dataset: 'generic', namespace: 'default' });
  });

  it('takes an array and NDJSON; keeps given ids and datasets; normalizes timestamps', () => {
    const arr = decodeGenericEvents(Buffer.from(JSON.stringify([deployEvent, alertEvent])), { now: NOW });
    const lines = decodeGenericEvents(ndjson(deployEvent, alertEvent), { now: NOW });
    assert.deepEqual(arr.errors, []);
    assertValidEvents(arr.events);
    assert.deepEqual(arr.events, lines.events);
    const [deploy, alert] = arr.events as [(typeof arr.events)[0], (typeof arr.events)[0]];
    assert.equal(deploy['@timestamp'], '2024-05-01T10:00:00.123Z');
    assert.equal(deploy.event.dataset, 'argocd.sync');
    assert.equal(alert['@timestamp'], '2024-05-01T10:00:05.000Z');
    assert.equal(alert.event.id, 'pd-Q1A2B3C4');
  });

  it('is deterministic for events without an id', () => {
    const a = decodeGenericEvents(ndjson(deployEvent, { message: 'x' }), { now: NOW }).events.map((e) => e.event.id);
    const b = decodeGenericEvents(ndjson(deployEvent, { message: 'x' }), { now: new Date() }).events.map((e) => e.event.id);
    assert.deepEqual(a, b);
  });

  it('reports schema problems as BAD_FIELD with the dotted path', () => {
    const bad = [
      { '@timestamp': 'not a time' },
      { event: { kind: 'incident' } },
      { labels: { replicas: 3 } },
      { process: { pid: '42' } },
      { tags: ['a', 1] },
      { event: 'x' },
      [1, 2],
      { user: { roles: [{ name: 'admin' }] } },
    ];
    const { events, errors } = decodeGenericEvents(ndjson(...bad, deployEvent), { now: NOW });
    assert.equal(events.length, 1);
    assert.deepEqual(
      errors.map((e) => [e.index, e.code, e.field]),
      [
        [0, 'BWK_INGEST_BAD_FIELD', '@timestamp'],
        [1, 'BWK_INGEST_BAD_FIELD', 'event.kind'],
        [2, 'BWK_INGEST_BAD_FIELD', 'labels.replicas'],
        [3, 'BWK_INGEST_BAD_FIELD', 'process.pid'],
        [4, 'BWK_INGEST_BAD_FIELD', 'tags[1]'],
        [5, 'BWK_INGEST_BAD_FIELD', 'event'],
        [6, 'BWK_INGEST_BAD_FIELD', undefined],
        [7, 'BWK_INGEST_BAD_FIELD', 'user.roles[0]'],
      ],
    );
    assert.match(errors[1]!.message, /event\.kind is invalid/);
  });

  it('rejects reserved keys, deep records and bad lines individually', () => {
    const body = Buffer.concat([
      Buffer.from('{"message":"a","__proto__":{"polluted":true}}\n{"message":"b","x":{"constructor":{"prototype":{}}}}\n'),
      Buffer.from('{"message":"\xff"}\n', 'latin1'),
      Buffer.from('{"message":\n{"a":{"b":{"c":{}}}}\n{"message":"fine"}\n'),
    ]);
    const { events, errors } = decodeGenericEvents(body, { now: NOW, maxDepth: 3 });
    assert.deepEqual(events.map((e) => e.message), ['fine']);
    assert.deepEqual(
      errors.map((e) => [e.index, e.code, e.field]),
      [
        [0, 'BWK_INGEST_FORBIDDEN_KEY', '__proto__'],
        [1, 'BWK_INGEST_FORBIDDEN_KEY', 'x.constructor'],
        [2, 'BWK_INGEST_BAD_ENCODING', undefined],
        [3, 'BWK_INGEST_BAD_JSON', undefined],
        [4, 'BWK_INGEST_TOO_DEEP', 'a.b.c'],
      ],
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('keeps the record text when asked', () => {
    const { events } = decodeGenericEvents(ndjson({ message: 'x' }), { now: NOW, keepOriginal: true });
    assert.equal(events[0]!.event.original, '{"message":"x"}');
  });

  it('accepts UTF-16 NDJSON', () => {
    const body = Buffer.from('{"message":"ĊĀ – ok"}\n{"message":"two"}\n', 'utf16le');
    const { events, errors } = decodeGenericEvents(body, { now: NOW, charset: 'utf-16le' });
    assert.deepEqual(errors, []);
    assert.deepEqual(events.map((e) => e.message), ['ĊĀ – ok', 'two']);
  });

  it('fails the body when it is not JSON at all, or empty', () => {
    assertThrowsCode(() => decodeGenericEvents(Buffer.from('hello world'), { now: NOW }), 'BWK_INGEST_BAD_JSON');
    assertThrowsCode(() => decodeGenericEvents(Buffer.from('{\n  "message": "pretty but broken",\n'), { now: NOW }), 'BWK_INGEST_BAD_JSON');
    assertThrowsCode(() => decodeGenericEvents(Buffer.from('[{"message":"a"},'), { now: NOW }), 'BWK_INGEST_BAD_JSON');
    assertThrowsCode(() => decodeGenericEvents(Buffer.from(''), { now: NOW }), 'BWK_INGEST_EMPTY');
    assertThrowsCode(() => decodeGenericEvents(Buffer.from('[]'), { now: NOW }), 'BWK_INGEST_EMPTY');
  });

  it('takes a pretty-printed single event', () => {
    const { events } = decodeGenericEvents(Buffer.from(JSON.stringify(deployEvent, null, 2)), { now: NOW });
    assert.equal(events.length, 1);
    assert.equal(events[0]!.event.dataset, 'argocd.sync');
  });
});
