// services: process
/**
 * Each native protocol end to end over HTTP: the sample a real sender emits lands as searchable events with the mapped
 * fields. (Field-by-field mapping is covered by the decoder tests in packages/ingest.)
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ndjson, searchHits, startHarness, type Harness } from '../support/harness.js';

const auditList = {
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items: [
    {
      level: 'RequestResponse',
      auditID: '5b1f3c2e-0d6a-4c7e-9a51-2f0c8e7d1a01',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/payments/pods',
      verb: 'create',
      user: { username: 'mallory', uid: 'u-1', groups: ['developers', 'system:authenticated'] },
      sourceIPs: ['10.0.4.17'],
      userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc',
      objectRef: { resource: 'pods', namespace: 'payments', name: 'debug-shell', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: { kind: 'Pod', apiVersion: 'v1', spec: { containers: [{ name: 'sh', image: 'alpine', securityContext: { privileged: true } }] } },
      requestReceivedTimestamp: '2026-11-10T09:00:00.100000Z',
      stageTimestamp: '2026-11-10T09:00:00.180000Z',
      annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "dev"' },
    },
    {
      level: 'Metadata',
      auditID: '5b1f3c2e-0d6a-4c7e-9a51-2f0c8e7d1a02',
      stage: 'ResponseComplete',
      requestURI: '/api/v1/namespaces/payments/pods/api-0/exec?command=sh&container=api&stdin=true&tty=true',
      verb: 'create',
      user: { username: 'mallory', groups: ['developers'] },
      sourceIPs: ['10.0.4.17'],
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'api-0', apiVersion: 'v1' },
      responseStatus: { metadata: {}, status: 'Failure', reason: 'Forbidden', code: 403 },
      requestReceivedTimestamp: '2026-11-10T09:00:01.000000Z',
      stageTimestamp: '2026-11-10T09:00:01.002000Z',
      annotations: { 'authorization.k8s.io/decision': 'forbid', 'authorization.k8s.io/reason': '' },
    },
  ],
};

describe('native protocols over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => h.close());

  async function post(path: string, body: string | Buffer, contentType = 'application/json'): Promise<Response> {
    return h.fetch(path, { method: 'POST', token: h.tokens.ingest, headers: { 'content-type': contentType }, body });
  }

  it('Kubernetes audit EventList; a webhook retry creates no duplicates', async () => {
    const res = await post('/v1/ingest/k8s-audit', JSON.stringify(auditList));
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: 2, created: 2, duplicates: 0, rejected: 0 });
    const retry = await post('/v1/ingest/k8s-audit', JSON.stringify(auditList));
    assert.deepEqual(await retry.json(), { accepted: 2, created: 0, duplicates: 2, rejected: 0 });
    const hits = await searchHits(h, 'user.name:mallory AND event.dataset:kubernetes.audit', { sort: 'asc' });
    assert.equal(hits.length, 2);
    assert.equal(hits[0]!.event.action, 'create');
    assert.equal(hits[0]!.source.ip, '10.0.4.17');
    assert.equal(hits[0]!.kubernetes.audit.objectRef.resource, 'pods');
    assert.equal(hits[0]!.kubernetes.audit.requestObject.spec.containers[0].securityContext.privileged, true);
    assert.equal(hits[1]!.event.outcome, 'failure');
    const exec = await searchHits(h, 'kubernetes.audit.objectRef.subresource:exec');
    assert.equal(exec.length, 1);
    assert.equal(exec[0]!.kubernetes.namespace, 'payments');
  });

  it('a Falco alert and a Falcosidekick payload', async () => {
    const falco = {
      hostname: 'node-a',
      output: '09:10:11.123456789: Notice A shell was spawned in a container with an attached terminal (user=root container_id=0123456789ab k8s.ns=payments k8s.pod=api-0 shell=bash)',
      priority: 'Notice',
      rule: 'Terminal shell in container',
      source: 'syscall',
      tags: ['container', 'shell', 'mitre_execution', 'T1059'],
      time: '2026-11-10T09:10:11.123456789Z',
      output_fields: {
        'container.id': '0123456789ab',
        'container.name': 'api',
        'k8s.ns.name': 'payments',
        'k8s.pod.name': 'api-0',
        'proc.cmdline': 'bash',
        'proc.name': 'bash',
        'user.name': 'root',
        'evt.time': 1794647411123456789,
      },
    };
    const res = await post('/v1/ingest/falco', JSON.stringify(falco));
    assert.equal(res.status, 200);
    const sidekick = { ...falco, uuid: '8f1ad0a4-5b6d-4bd0-9a53-6a6f3f5b1c11', priority: 'Critical', rule: 'Read sensitive file untrusted', time: '2026-11-10T09:10:12.5Z' };
    const res2 = await post('/v1/ingest/falco', JSON.stringify(sidekick));
    assert.equal(res2.status, 200);
    const hits = await searchHits(h, 'event.dataset:falco.alerts', { sort: 'asc' });
    assert.equal(hits.length, 2);
    assert.equal(hits[0]!.rule.name, 'Terminal shell in container');
    assert.equal(hits[0]!.kubernetes.pod.name, 'api-0');
    assert.equal(hits[0]!.process.command_line, 'bash');
    assert.ok(hits[1]!.event.severity > hits[0]!.event.severity, 'Critical outranks Notice');
    assert.equal(hits[1]!.event.id, sidekick.uuid);
  });

  it('a Loki push (JSON) answers 204 and maps stream labels', async () => {
    const push = {
      streams: [
        {
          stream: { namespace: 'checkout', pod: 'cart-7d9f', container: 'cart', job: 'checkout/cart', level: 'warn' },
          values: [
            ['1794647500000000000', 'cart total mismatch order=81'],
            ['1794647501000000000', 'retrying payment', { trace_id: 'abc123' }],
          ],
        },
      ],
    };
    const res = await post('/loki/api/v1/push', JSON.stringify(push));
    assert.equal(res.status, 204);
    const hits = await searchHits(h, 'kubernetes.pod.name:cart-7d9f', { sort: 'asc' });
    assert.equal(hits.length, 2);
    assert.equal(hits[0]!.kubernetes.namespace, 'checkout');
    assert.equal(hits[0]!.labels.job, 'checkout/cart');
    assert.equal(hits[0]!['@timestamp'], new Date(1794647500000).toISOString());
  });

  it('Docker json-file and CRI lines, partials reassembled, pod from the file name', async () => {
    const path = '/var/log/containers/web-5c9b_storefront_nginx-0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0.log';
    const cri = [
      '2026-11-10T10:00:00.000000001Z stdout F GET /index.html 200',
      '2026-11-10T10:00:01.000000001Z stdout P a long line that was ',
      '2026-11-10T10:00:01.000000002Z stdout P split by the runtime ',
      '2026-11-10T10:00:01.000000003Z stdout F into three parts',
      '2026-11-10T10:00:02.000000001Z stderr F upstream timed out',
    ].join('\n');
    const res = await h.fetch(`/v1/ingest/container-logs?path=${encodeURIComponent(path)}`, { method: 'POST', token: h.tokens.ingest, headers: { 'content-type': 'text/plain' }, body: cri });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { accepted: number }).accepted, 3);
    const hits = await searchHits(h, 'kubernetes.pod.name:web-5c9b', { sort: 'asc' });
    assert.deepEqual(hits.map((e) => e.message), ['GET /index.html 200', 'a long line that was split by the runtime into three parts', 'upstream timed out']);
    assert.equal(hits[0]!.kubernetes.namespace, 'storefront');
    assert.equal(hits[0]!.kubernetes.container.name, 'nginx');
    assert.equal(hits[0]!.container.id, '0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0');

    const chunk = 'x'.repeat(16 * 1024);
    const docker = ndjson([
      { log: chunk, stream: 'stdout', time: '2026-11-10T10:01:00.000000001Z' },
      { log: 'tail of the big line\n', stream: 'stdout', time: '2026-11-10T10:01:00.000000002Z' },
      { log: 'small line\n', stream: 'stdout', time: '2026-11-10T10:01:01.000000001Z' },
    ]);
    const dres = await h.fetch('/v1/ingest/container-logs', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-type': 'application/x-ndjson', 'x-bulwark-log-path': '/var/log/containers/batch-1_jobs_worker-aaaabbbbccccddddeeeeffff00001111aaaabbbbccccddddeeeeffff00001111.log' },
      body: docker,
    });
    assert.equal(dres.status, 200);
    const dhits = await searchHits(h, 'kubernetes.namespace:jobs', { sort: 'asc' });
    assert.equal(dhits.length, 2);
    assert.equal(dhits[0]!.message, `${chunk}tail of the big line`);
    assert.equal(dhits[1]!.message, 'small line');
  });

  it('generic events: one, an array, NDJSON', async () => {
    const one = await post('/v1/ingest/events', JSON.stringify({ message: 'one event', tags: ['generic-test'] }));
    assert.equal(one.status, 200);
    const arr = await post('/v1/ingest/events', JSON.stringify([{ message: 'array a', tags: ['generic-test'] }, { message: 'array b', tags: ['generic-test'] }]));
    assert.equal(arr.status, 200);
    const nd = await post('/v1/ingest/events', ndjson([{ message: 'nd a', tags: ['generic-test'] }, { message: 'nd b', tags: ['generic-test'], event: { dataset: 'custom.app' } }]), 'application/x-ndjson');
    assert.equal(nd.status, 200);
    const hits = await searchHits(h, 'tags:generic-test');
    assert.equal(hits.length, 5);
    assert.equal(hits.filter((e) => e.event.dataset === 'custom.app').length, 1);
  });
});
