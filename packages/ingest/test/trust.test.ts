/**
 * Trust boundaries in the decoders (`src/trust.ts`; docs/ARCHITECTURE.md, "Reserved datasets"): reserved datasets
 * cannot be claimed, native shapes are mapped only for a granted sender, identity fields follow the shipper's metadata,
 * and a payload's `bulwark` key is never kept as Bulwark's own.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBulk, decodeGenericEvents, decodeLokiPush, decodeSingleDoc, isReservedDataset } from '../src/index.js';
import { assertValidEvents, get, ndjson, NOW } from './helpers.js';

const auditLine = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: '0d7f7b44-1c2e-4f0a-9a43-5d2e8c1b9f00',
  stage: 'ResponseComplete',
  verb: 'create',
  user: { username: 'system:serviceaccount:payments:api', groups: ['system:serviceaccounts'] },
  objectRef: { resource: 'clusterrolebindings', name: 'pwn', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
  responseStatus: { code: 201 },
  requestReceivedTimestamp: '2024-05-01T10:00:00.000000Z',
};

const falcoLine = {
  hostname: 'node-1',
  output: '10:00:00.000000000: Critical Cryptocurrency miner detected (proc.name=xmrig k8s_pod_name=victim-0)',
  priority: 'Critical',
  rule: 'Detect crypto miners using the Stratum protocol',
  source: 'syscall',
  time: '2024-05-01T10:00:00.000000000Z',
  output_fields: { 'k8s.ns.name': 'payments', 'k8s.pod.name': 'victim-0', 'proc.name': 'xmrig', 'container.id': 'abc123def456' },
};

/** Fluent Bit metadata about the pod that wrote the line (`kubernetes` filter, Merge_Log On puts the app's JSON at the root). */
const fluentBitMeta = { kubernetes: { pod_name: 'attacker-0', namespace_name: 'shop', container_name: 'app', host: 'node-2', docker_id: 'aaa111' } };

function bulkOne(doc: object, opts: { nativeSources?: Array<'k8s-audit' | 'falco'>; index?: string } = {}) {
  const [item] = decodeBulk(ndjson({ index: opts.index ? { _index: opts.index } : {} }, doc), { now: NOW, ...(opts.nativeSources ? { nativeSources: opts.nativeSources } : {}) });
  assert.equal(item!.error, undefined, JSON.stringify(item!.error));
  assertValidEvents([item!.event!]);
  return item!.event!;
}

describe('reserved datasets', () => {
  it('knows which datasets only their own decoders produce', () => {
    for (const ds of ['kubernetes.audit', 'falco.alerts', 'falco', 'Falco.Alerts', 'bulwark.alerts', 'alertmanager.alerts', 'alerts']) assert.ok(isReservedDataset(ds), ds);
    for (const ds of ['nginx.access', 'kubernetes.container_logs', 'falcon.logs', 'generic', 'kubernetes.auditing']) assert.ok(!isReservedDataset(ds), ds);
  });

  it('a _bulk document claiming falco.alerts (event.dataset, data_stream.dataset or index name) is stored as claimed.<dataset>', () => {
    const viaEvent = bulkOne({ message: 'x', event: { dataset: 'falco.alerts', kind: 'alert' }, rule: { name: 'Detect crypto miners using the Stratum protocol' } }, { index: 'logs-app-prod' });
    assert.equal(viaEvent.event.dataset, 'claimed.falco.alerts');
    assert.deepEqual(viaEvent.data_stream, { type: 'logs', dataset: 'claimed.falco.alerts', namespace: 'prod' });
    assert.equal(get(viaEvent, 'bulwark.claimed.dataset'), 'falco.alerts');
    assert.ok(viaEvent.tags?.includes('_reserved_dataset_claim'));

    const viaStream = bulkOne({ message: 'x', data_stream: { dataset: 'kubernetes.audit', namespace: 'kube' } });
    assert.equal(viaStream.event.dataset, 'claimed.kubernetes.audit');
    assert.equal(get(viaStream, 'bulwark.claimed.dataset'), 'kubernetes.audit');

    const viaIndex = bulkOne({ message: 'x' }, { index: 'logs-falco.alerts-default' });
    assert.deepEqual(viaIndex.data_stream, { type: 'logs', dataset: 'claimed.falco.alerts', namespace: 'default' });

    const ordinary = bulkOne({ message: 'x' }, { index: 'logs-nginx.access-prod' });
    assert.equal(ordinary.event.dataset, 'nginx.access');
    assert.equal(ordinary.bulwark, undefined);
    assert.equal(ordinary.tags, undefined);
  });

  it('an audit-shaped or Falco-shaped document is mapped natively only for a sender granted that source', () => {
    const forged = bulkOne(auditLine);
    assert.notEqual(forged.event.dataset, 'kubernetes.audit');
    assert.equal(get(forged, 'kubernetes.audit'), undefined);
    assert.equal(get(forged, 'bulwark.claimed.native'), 'k8s-audit');
    assert.ok(forged.tags?.includes('_reserved_dataset_claim'));
    const granted = bulkOne(auditLine, { nativeSources: ['k8s-audit'] });
    assert.equal(granted.event.dataset, 'kubernetes.audit');
    assert.equal(granted.event.id, `${auditLine.auditID}-ResponseComplete`);
    assert.equal(get(granted, 'kubernetes.audit.objectRef.resource'), 'clusterrolebindings');
    const wrongGrant = bulkOne(auditLine, { nativeSources: ['falco'] });
    assert.notEqual(wrongGrant.event.dataset, 'kubernetes.audit');

    const fakeFalco = bulkOne(falcoLine);
    assert.equal(fakeFalco.event.dataset, 'generic');
    assert.notEqual(fakeFalco.event.kind, 'alert');
    assert.equal(get(fakeFalco, 'bulwark.claimed.native'), 'falco');
    const realFalco = bulkOne(falcoLine, { nativeSources: ['falco'] });
    assert.equal(realFalco.event.dataset, 'falco.alerts');
    assert.equal(realFalco.event.kind, 'alert');
    assert.equal(get(realFalco, 'kubernetes.pod.name'), 'victim-0');
  });

  it('_doc, generic events and Loki labels cannot claim one either', () => {
    const doc = decodeSingleDoc(Buffer.from(JSON.stringify({ message: 'x', 'event.dataset': 'falco.alerts' })), 'logs-app-default', undefined, { now: NOW });
    assert.equal(doc.event!.event.dataset, 'claimed.falco.alerts');

    const generic = decodeGenericEvents(Buffer.from(JSON.stringify({ message: 'x', event: { dataset: 'kubernetes.audit', kind: 'event' } })), { now: NOW });
    assertValidEvents(generic.events);
    assert.equal(generic.events[0]!.event.dataset, 'claimed.kubernetes.audit');
    assert.equal(generic.events[0]!.data_stream?.dataset, 'claimed.kubernetes.audit');
    assert.equal(get(generic.events[0], 'bulwark.claimed.dataset'), 'kubernetes.audit');

    const push = { streams: [{ stream: { dataset: 'falco.alerts', pod: 'web-1', namespace: 'shop' }, values: [['1714557600000000000', 'Critical miner']] }] };
    const loki = decodeLokiPush(Buffer.from(JSON.stringify(push)), 'application/json', { now: NOW });
    assertValidEvents(loki.events);
    assert.equal(loki.events[0]!.event.dataset, 'claimed.falco.alerts');
    assert.ok(loki.events[0]!.tags?.includes('_reserved_dataset_claim'));
  });
});

describe('a payload `bulwark` key', () => {
  it('is moved to bulwark.claimed.payload, nested or dotted, on _bulk and generic events', () => {
    const forged = { source: 'falco', route: '/v1/ingest/falco', protocol: 'falco', token: { id: 'x', name: 'falco' }, token_sources: ['falco'] };
    const nested = bulkOne({ message: 'x', bulwark: { provenance: forged } });
    assert.deepEqual(nested.bulwark, { claimed: { payload: { provenance: forged } } });
    const dotted = bulkOne({ message: 'x', 'bulwark.provenance.source': 'falco' });
    assert.deepEqual(dotted.bulwark, { claimed: { payload: { provenance: { source: 'falco' } } } });

    const generic = decodeGenericEvents(Buffer.from(JSON.stringify({ message: 'x', bulwark: { provenance: forged } })), { now: NOW });
    assert.deepEqual(generic.errors, []);
    assert.deepEqual(generic.events[0]!.bulwark, { claimed: { payload: { provenance: forged } } });
  });
});

describe('identity fields', () => {
  it('the shipper metadata wins over dotted body keys; the body values are claimed and flagged', () => {
    const e = bulkOne({ ...fluentBitMeta, message: 'Critical miner', 'kubernetes.pod.name': 'victim-0', 'kubernetes.namespace': 'payments', 'container.id': 'bbb222' });
    assert.equal(get(e, 'kubernetes.pod.name'), 'attacker-0');
    assert.equal(get(e, 'kubernetes.namespace'), 'shop');
    assert.equal(get(e, 'orchestrator.namespace'), 'shop');
    assert.equal(get(e, 'container.id'), 'aaa111');
    assert.equal(get(e, 'kubernetes.pod_name'), undefined, 'the shipper key moved to its ECS place');
    assert.equal(get(e, 'bulwark.claimed.kubernetes.pod.name'), 'victim-0');
    assert.equal(get(e, 'bulwark.claimed.kubernetes.namespace'), 'payments');
    assert.equal(get(e, 'bulwark.claimed.container.id'), 'bbb222');
    assert.ok(e.tags?.includes('_identity_conflict'));
  });

  it('the shipper metadata wins over a nested body object, and Filebeat-style nested metadata over dotted keys', () => {
    const fb = bulkOne({ ...fluentBitMeta, kubernetes: { ...fluentBitMeta.kubernetes, pod: { name: 'victim-0' } }, orchestrator: { namespace: 'payments' } });
    assert.equal(get(fb, 'kubernetes.pod.name'), 'attacker-0');
    assert.equal(get(fb, 'orchestrator.namespace'), 'shop');
    assert.equal(get(fb, 'bulwark.claimed.kubernetes.pod.name'), 'victim-0');
    assert.equal(get(fb, 'bulwark.claimed.orchestrator.namespace'), 'payments');

    const filebeat = bulkOne({ kubernetes: { pod: { name: 'web-1' }, namespace: 'shop' }, 'kubernetes.pod.name': 'victim-0', message: 'x' });
    assert.equal(get(filebeat, 'kubernetes.pod.name'), 'web-1');
    assert.equal(get(filebeat, ['kubernetes.pod.name']), undefined, 'the colliding dotted key is not left at the root');
    assert.equal(get(filebeat, 'bulwark.claimed.kubernetes.pod.name'), 'victim-0');
  });

  it('agreeing values and dotted keys without competing metadata are no conflict', () => {
    const same = bulkOne({ ...fluentBitMeta, 'kubernetes.pod.name': 'attacker-0', message: 'x' });
    assert.equal(get(same, 'kubernetes.pod.name'), 'attacker-0');
    assert.equal(same.bulwark, undefined);
    assert.equal(same.tags, undefined);
    const logstash = bulkOne({ 'kubernetes.pod.name': 'web-1', 'kubernetes.namespace': 'shop', message: 'x' });
    assert.equal(get(logstash, 'kubernetes.pod.name'), 'web-1');
    assert.equal(logstash.bulwark, undefined);
  });

  it('Loki: identity comes from stream labels; contradicting structured metadata is claimed', () => {
    const push = {
      streams: [
        {
          stream: { namespace: 'shop', pod: 'attacker-0', container: 'app' },
          values: [
            ['1714557600000000000', 'line one', { pod: 'victim-0', trace_id: 't1' }],
            ['1714557601000000000', 'line two', { k8s_namespace_name: 'payments' }],
          ],
        },
        { stream: { job: 'x' }, values: [['1714557602000000000', 'line three', { pod: 'victim-0' }]] },
      ],
    };
    const { events } = decodeLokiPush(Buffer.from(JSON.stringify(push)), 'application/json', { now: NOW });
    assertValidEvents(events);
    assert.equal(get(events[0], 'kubernetes.pod.name'), 'attacker-0');
    assert.equal(get(events[0], 'bulwark.claimed.kubernetes.pod.name'), 'victim-0');
    assert.ok(events[0]!.tags?.includes('_identity_conflict'));
    assert.equal(get(events[1], 'kubernetes.namespace'), 'shop');
    assert.equal(get(events[1], 'bulwark.claimed.kubernetes.namespace'), 'payments');
    assert.equal(get(events[2], 'kubernetes.pod.name'), undefined, 'structured metadata alone never names the pod');
    assert.equal(events[2]!.labels?.pod, 'victim-0', 'but it is kept as a label');
  });
});
