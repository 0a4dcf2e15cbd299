// services: k8s
/**
 * Never Bulwark's own workloads: a pod or workload labelled `app.kubernetes.io/part-of: bulwark` (wherever it runs) is
 * refused by every action that would contain, remove, scale or relabel it — on the real API server, as the responder.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { deletePod, evictPod, label, quarantinePod, scaleWorkload, type KubeClients } from '../src/index.js';
import { applyResponderRole, testClients } from './helpers.js';

describe("Bulwark's own workloads are never acted on", () => {
  let admin: KubeClients;
  let responder: KubeClients;
  const namespace = `own-${randomBytes(3).toString('hex')}`;
  const own = { 'app.kubernetes.io/part-of': 'bulwark', app: 'bulwark-collector' };

  before(async () => {
    ({ admin, responder } = testClients());
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    await admin.core.createNamespacedPod({ namespace, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'collector-0', labels: own }, spec: { containers: [{ name: 'c', image: 'bulwark' }] } } });
    await admin.apps.createNamespacedDeployment({
      namespace,
      body: {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'bulwark-api', labels: own },
        spec: { replicas: 2, selector: { matchLabels: { app: 'bulwark-api' } }, template: { metadata: { labels: { app: 'bulwark-api' } }, spec: { containers: [{ name: 'c', image: 'bulwark' }] } } },
      },
    });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  it('refuses to quarantine, delete, evict, relabel or scale them, and changes nothing', async () => {
    const ctx = { kube: responder };
    const before = await admin.core.readNamespacedPod({ namespace, name: 'collector-0' });
    const attempts: Array<[string, () => Promise<unknown>]> = [
      ['quarantine', () => quarantinePod.run(ctx, { namespace, pod: 'collector-0' })],
      ['delete', () => deletePod.run(ctx, { namespace, pod: 'collector-0' })],
      ['evict', () => evictPod.run(ctx, { namespace, pod: 'collector-0' })],
      ['label', () => label.run(ctx, { kind: 'Pod', namespace, name: 'collector-0', set: { x: 'y' } })],
      ['scale', () => scaleWorkload.run(ctx, { namespace, kind: 'Deployment', name: 'bulwark-api', replicas: 0 })],
    ];
    for (const [what, attempt] of attempts) await assert.rejects(attempt(), /part of Bulwark itself/, what);
    const after = await admin.core.readNamespacedPod({ namespace, name: 'collector-0' });
    assert.equal(after.metadata?.resourceVersion, before.metadata?.resourceVersion, 'the pod is untouched');
    assert.equal((await admin.apps.readNamespacedDeploymentScale({ namespace, name: 'bulwark-api' })).spec?.replicas, 2);
    assert.equal((await admin.networking.listNamespacedNetworkPolicy({ namespace })).items.length, 0);
  });
});
