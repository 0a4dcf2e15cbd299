import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeK8sAudit } from '../src/index.js';
import { assertThrowsCode, assertValidEvents, get, NOW, NOW_ISO } from './helpers.js';
import { eventList, execDenied, podCreate, secretsList } from './fixtures-audit.js';

const body = Buffer.from(eventList([podCreate, execDenied, secretsList]));

describe('decodeK8sAudit', () => {
  it('maps an EventList from the API server', () => {
    const { events, errors } = decodeK8sAudit(body, { now: NOW });
    assert.deepEqual(errors, []);
    assert.equal(events.length, 3);
    assertValidEvents(events);

    const [create, exec, list] = events as unknown as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
    assert.equal(create['@timestamp'], '2024-05-01T10:00:00.123Z');
    assert.deepEqual(create.event, {
      id: '6c4d3a52-2d5f-4a8e-9d0b-1b5c9e3f7a10-ResponseComplete',
      kind: 'event',
      action: 'create',
      outcome: 'success',
      dataset: 'kubernetes.audit',
      module: 'kubernetes',
      ingested: NOW_ISO,
      reason: podCreate.annotations['authorization.k8s.io/reason'],
    });
    assert.deepEqual(create.user, { name: 'alice@example.com', roles: ['developers', 'system:authenticated'] });
    assert.equal(get(create, 'source.ip'), '203.0.113.24');
    assert.equal(get(create, 'user_agent.original'), podCreate.userAgent);
    assert.equal(get(create, 'url.original'), podCreate.requestURI);
    assert.equal(get(create, 'http.response.status_code'), 201);
    assert.deepEqual(create.orchestrator, {
      type: 'kubernetes',
      namespace: 'default',
      resource: { type: 'pods', name: 'web-1' },
      api_version: 'v1',
    });
    assert.equal(get(create, 'kubernetes.namespace'), 'default');
    assert.equal(get(create, 'kubernetes.pod.name'), 'web-1');
    assert.equal(create.message, 'alice@example.com create pods default/web-1 -> 201');
    assert.equal(get(create, 'kubernetes.audit.objectRef.resource'), 'pods');
    assert.equal(get(create, 'kubernetes.audit.requestObject.spec.containers.0.image'), 'nginx:1.25');
    assert.deepEqual(create.data_stream, { type: 'logs', dataset: 'kubernetes.audit', namespace: 'default' });

    assert.equal(get(exec, 'event.outcome'), 'failure');
    assert.equal(get(exec, 'orchestrator.resource.type'), 'pods/exec');
    assert.equal(get(exec, 'http.response.status_code'), 403);
    assert.equal(get(exec, 'user.id'), execDenied.user.uid);
    assert.equal(get(exec, 'source.ip'), '10.0.12.7');
    assert.equal(get(exec, 'event.reason'), undefined, 'an empty reason annotation is not a reason');
    assert.equal(exec.message, 'system:serviceaccount:ci:deployer create pods/exec default/web-1 -> 403');

    assert.equal(get(list, 'event.action'), 'list');
    assert.equal(get(list, 'user.name'), 'ops-admin');
    assert.equal(get(list, 'user.effective.name'), 'system:serviceaccount:kube-system:backup');
    assert.equal(get(list, 'orchestrator.resource.type'), 'secrets');
    assert.equal(get(list, 'orchestrator.resource.name'), undefined);
    assert.equal(get(list, 'kubernetes.pod'), undefined, 'secrets are not pods');
    assert.equal(list.message, 'ops-admin list secrets kube-system -> 200');
  });

  it('keeps the native event whole under kubernetes.audit', () => {
    const { events } = decodeK8sAudit(body, { now: NOW });
    assert.deepEqual(get(events[1], 'kubernetes.audit'), execDenied);
  });

  it('is deterministic: the same batch twice gives the same ids', () => {
    const a = decodeK8sAudit(body, { now: NOW }).events.map((e) => e.event.id);
    const b = decodeK8sAudit(body, { now: new Date() }).events.map((e) => e.event.id);
    assert.deepEqual(a, b);
    assert.equal(new Set(a).size, 3);
  });

  it('gives each stage of one request its own id', () => {
    const received = { ...podCreate, stage: 'RequestReceived', responseStatus: undefined };
    const { events } = decodeK8sAudit(Buffer.from(eventList([received, podCreate])), { now: NOW });
    assert.deepEqual(
      events.map((e) => e.event.id),
      [`${podCreate.auditID}-RequestReceived`, `${podCreate.auditID}-ResponseComplete`],
    );
    assert.equal(events[0]!.event.outcome, 'unknown');
    assert.equal(events[0]!.message, 'alice@example.com create pods default/web-1 -> no response');
  });

  it('takes a single Event (batching off) and keeps the raw text when asked', () => {
    const text = JSON.stringify({ kind: 'Event', apiVersion: 'audit.k8s.io/v1', ...execDenied });
    const { events, errors } = decodeK8sAudit(Buffer.from(text), { now: NOW, keepOriginal: true });
    assert.deepEqual(errors, []);
    assert.equal(events.length, 1);
    assert.equal(events[0]!.event.original, text);
    assertValidEvents(events);
  });

  it('forbid decision is a failure even without a response code', () => {
    const item = { ...execDenied, stage: 'ResponseStarted', responseStatus: undefined };
    const { events } = decodeK8sAudit(Buffer.from(eventList([item])), { now: NOW });
    assert.equal(events[0]!.event.outcome, 'failure');
  });

  it('rejects bad items one by one and keeps the good ones', () => {
    const items = [
      podCreate,
      'not an event',
      { ...secretsList, auditID: undefined },
      { ...secretsList, user: { username: 42 } },
      { ...secretsList, requestReceivedTimestamp: 'yesterday' },
      { ...execDenied, objectRef: { ...execDenied.objectRef, __proto__: null } },
      execDenied,
    ];
    // `__proto__: null` in a literal sets the prototype, not a key; build the reserved key the way JSON.parse does.
    const text = eventList(items).replace('"subresource":"exec"', '"subresource":"exec","__proto__":{"polluted":true}');
    const { events, errors } = decodeK8sAudit(Buffer.from(text), { now: NOW });
    assert.deepEqual(
      events.map((e) => e.event.id),
      [`${podCreate.auditID}-ResponseComplete`, `${execDenied.auditID}-ResponseComplete`],
    );
    assert.deepEqual(
      errors.map((e) => [e.index, e.code, e.field]),
      [
        [1, 'BWK_INGEST_BAD_FIELD', 'items[1]'],
        [2, 'BWK_INGEST_BAD_FIELD', 'items[2].auditID'],
        [3, 'BWK_INGEST_BAD_FIELD', 'items[3].user.username'],
        [4, 'BWK_INGEST_BAD_FIELD', 'items[4].requestReceivedTimestamp'],
        [5, 'BWK_INGEST_FORBIDDEN_KEY', 'items[5].objectRef.__proto__'],
      ],
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('reports an item nested deeper than maxDepth with its path', () => {
    // The item is depth 1, requestObject 2 … so `e` is the first container at depth 7.
    const deep = { ...podCreate, requestObject: { a: { b: { c: { d: { e: {} } } } } } };
    const { events, errors } = decodeK8sAudit(Buffer.from(eventList([deep, secretsList])), { now: NOW, maxDepth: 6 });
    assert.equal(events.length, 1);
    assert.deepEqual(errors.map((e) => [e.index, e.code, e.field]), [[0, 'BWK_INGEST_TOO_DEEP', 'items[0].requestObject.a.b.c.d.e']]);
  });

  it('fails the whole body when it is not an audit payload', () => {
    const notJson = assertThrowsCode(() => decodeK8sAudit(Buffer.from('{"kind":"EventList","items":['), { now: NOW }), 'BWK_INGEST_BAD_JSON');
    assert.match(notJson.message, /not valid JSON/);
    assertThrowsCode(() => decodeK8sAudit(Buffer.from(eventList([])), { now: NOW }), 'BWK_INGEST_EMPTY');
    assertThrowsCode(() => decodeK8sAudit(Buffer.from('{"kind":"PodList","items":{}}'), { now: NOW }), 'BWK_INGEST_BAD_FIELD');
    assertThrowsCode(() => decodeK8sAudit(Buffer.from('{"kind":"Pod"}'), { now: NOW }), 'BWK_INGEST_BAD_FIELD');
    assertThrowsCode(() => decodeK8sAudit(Buffer.from('[1,2]'), { now: NOW }), 'BWK_INGEST_BAD_FIELD');
    assertThrowsCode(() => decodeK8sAudit(Buffer.alloc(0), { now: NOW }), 'BWK_INGEST_BAD_JSON');
    const bytes = Buffer.concat([Buffer.from(eventList([podCreate]).slice(0, 40)), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    assertThrowsCode(() => decodeK8sAudit(bytes, { now: NOW }), 'BWK_INGEST_BAD_ENCODING');
    const unsupported = assertThrowsCode(() => decodeK8sAudit(body, { charset: 'klingon' }), 'BWK_INGEST_UNSUPPORTED_MEDIA_TYPE');
    assert.deepEqual(unsupported.details, { charset: 'klingon' });
  });

  it('survives absurd nesting without a stack overflow', () => {
    const deep = `{"kind":"Event","auditID":"a","verb":"get","x":${'['.repeat(200_000)}${']'.repeat(200_000)}}`;
    const { errors } = decodeK8sAudit(Buffer.from(deep), { now: NOW });
    assert.equal(errors[0]?.code, 'BWK_INGEST_TOO_DEEP');
  });
});

describe('decodeK8sAudit: the list wrapper', () => {
  it('fails the body for a reserved key outside the items', () => {
    const text = eventList([podCreate]).replace('"metadata":{}', '"metadata":{"__proto__":{"polluted":true}}');
    const err = assertThrowsCode(() => decodeK8sAudit(Buffer.from(text), { now: NOW }), 'BWK_INGEST_FORBIDDEN_KEY');
    assert.deepEqual(err.details, { field: 'metadata.__proto__' });
  });
});
