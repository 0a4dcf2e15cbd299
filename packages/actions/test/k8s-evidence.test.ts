// services: k8s
/**
 * k8s.captureEvidence on the real API server of test/services, as the responder identity: the bundle holds the pod's
 * spec and status and the events about it (not another pod's), logs are "unavailable" (no kubelet) without failing
 * the action, the returned hash is the SHA-256 of exactly the stored bytes, and nothing in the cluster changes.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { captureEvidence, type IncidentPort, type KubeClients } from '../src/index.js';
import { applyResponderRole, testClients } from './helpers.js';

type Stored = { incidentId: string; name: string; mediaType: string; content: string; sha256: string };

function recordingIncidents(): IncidentPort & { stored: Stored[] } {
  const stored: Stored[] = [];
  return {
    stored,
    async summary() {
      return null;
    },
    async addEvidence(incidentId, evidence) {
      stored.push({ incidentId, ...evidence });
      return `ev-${stored.length}`;
    },
    async update() {
      return { before: {}, after: {}, changed: false };
    },
  };
}

describe('k8s.captureEvidence on a real API server', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  const namespace = `ev-${randomBytes(3).toString('hex')}`;

  const event = (name: string, pod: string, reason: string, message: string) => ({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name },
    involvedObject: { apiVersion: 'v1', kind: 'Pod', namespace, name: pod },
    reason,
    message,
    type: 'Warning',
    source: { component: 'falco' },
    firstTimestamp: new Date(),
    lastTimestamp: new Date(),
    count: 1,
  });

  before(async () => {
    ({ admin, responder } = testClients());
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    for (const name of ['suspect', 'innocent']) {
      await admin.core.createNamespacedPod({
        namespace,
        body: {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: { name, labels: { app: name } },
          spec: { initContainers: [{ name: 'init', image: 'busybox' }], containers: [{ name: 'app', image: `registry.example/${name}:1.0` }] },
        },
      });
    }
    await admin.core.createNamespacedEvent({ namespace, body: event('suspect.shell', 'suspect', 'ShellSpawned', 'a shell was spawned in container app') });
    await admin.core.createNamespacedEvent({ namespace, body: event('innocent.noise', 'innocent', 'Unrelated', 'about another pod') });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  const podVersion = async () => (await admin.core.readNamespacedPod({ namespace, name: 'suspect' })).metadata?.resourceVersion;

  it('bundles spec, status, its events and log failures; the hash is that of the stored bytes; changes nothing', async () => {
    const rv = await podVersion();
    const incidents = recordingIncidents();
    const ctx = { kube: responder, incidents, run: { id: 'run-1', step: 'capture', playbook: 'pb', incidentId: 'inc-9' } };
    const result = await captureEvidence.run(ctx, { namespace, pod: 'suspect' });
    assert.equal(result.changed, false);
    assert.equal(result.undo, null);
    assert.equal(incidents.stored.length, 1);
    const stored = incidents.stored[0]!;
    assert.equal(stored.incidentId, 'inc-9');
    assert.equal(stored.mediaType, 'application/json');
    assert.match(stored.name, new RegExp(`^pod-${namespace}-suspect-.*\\.json$`));
    const sha256 = createHash('sha256').update(stored.content, 'utf8').digest('hex');
    assert.equal(stored.sha256, sha256);
    assert.deepEqual(result.outputs, { sha256, evidence: 'ev-1', bytes: Buffer.byteLength(stored.content) });

    const bundle = JSON.parse(stored.content);
    assert.equal(bundle.pod, 'suspect');
    assert.deepEqual(bundle.run, { id: 'run-1', step: 'capture', playbook: 'pb' });
    assert.equal(bundle.manifest.spec.containers[0].image, 'registry.example/suspect:1.0');
    assert.equal(bundle.manifest.status.phase, 'Pending');
    assert.equal(bundle.manifest.metadata.labels.app, 'suspect');
    assert.deepEqual(
      bundle.events.map((e: { reason: string; message: string; source: string }) => [e.reason, e.message, e.source]),
      [['ShellSpawned', 'a shell was spawned in container app', 'falco']],
      "its events only, not the other pod's",
    );
    assert.deepEqual(Object.keys(bundle.logs), ['init', 'app']);
    for (const log of Object.values(bundle.logs)) assert.match(log as string, /^logs unavailable: \S/);

    assert.equal(await podVersion(), rv, 'the pod is untouched');
    assert.deepEqual(await captureEvidence.undo(ctx, null), { changed: false, summary: 'evidence capture changes nothing: nothing to undo', plan: [], undo: null });
    assert.equal(captureEvidence.limited, false);
  });

  it('without an incident returns the hash and stores nothing; a dry run says what it would capture and stores nothing', async () => {
    const plain = await captureEvidence.run({ kube: responder }, { namespace, pod: 'suspect' });
    assert.equal(plain.outputs?.evidence, null);
    assert.match(String(plain.outputs?.sha256), /^[0-9a-f]{64}$/);

    const incidents = recordingIncidents();
    const dry = await captureEvidence.run(
      { kube: responder, dryRun: true, incidents, run: { id: 'r', step: 's', playbook: 'p', incidentId: 'inc-9' } },
      { namespace, pod: 'suspect', tail_lines: 50 },
    );
    assert.equal(incidents.stored.length, 0);
    assert.equal(dry.outputs, undefined);
    assert.deepEqual(dry.plan, [
      {
        kind: 'create',
        target: 'incidents/inc-9/evidence',
        detail: {
          pod: `pods/${namespace}/suspect`,
          events: { fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=suspect', max: 100 },
          logs: { containers: ['init', 'app'], tail_lines: 50, limit_bytes: 1024 * 1024 },
        },
      },
    ]);
  });

  it('refuses protected namespaces and bad parameters, naming the field', async () => {
    const ctx = { kube: responder };
    await assert.rejects(captureEvidence.run(ctx, { namespace: 'kube-system', pod: 'x' }), /protected/);
    await assert.rejects(captureEvidence.run(ctx, { namespace, pod: 'suspect', tail_lines: 0 }), /tail_lines/);
    await assert.rejects(captureEvidence.run(ctx, { namespace, pod: '' }), /pod/);
  });
});
