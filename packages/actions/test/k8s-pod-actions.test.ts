// services: k8s
/**
 * k8s.deletePod and k8s.evictPod on the real API server of test/services, as the responder identity. No scheduler or
 * kubelet runs, so pods stay Pending and unscheduled pods are removed at once; no controller runs, so a "ReplicaSet's
 * pod" is a pod this test creates with the ReplicaSet as its controller owner.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { deletePod, evictPod, type KubeClients } from '../src/index.js';
import { applyResponderRole, kubeConfigFor, kubeEnv, testClients } from './helpers.js';

describe('k8s.deletePod and k8s.evictPod on a real API server', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  const namespace = `pd-${randomBytes(3).toString('hex')}`;
  let rsUid = '';

  const podBody = (name: string, labels: Record<string, string>, owner = false): k8s.V1Pod => ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name,
      labels,
      annotations: { note: name },
      ...(owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-rs', uid: rsUid, controller: true, blockOwnerDeletion: true }] } : {}),
    },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', env: [{ name: 'MODE', value: 'x' }] }] },
  });

  before(async () => {
    ({ admin, responder } = testClients());
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    const rs = await admin.apps.createNamespacedReplicaSet({
      namespace,
      body: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'web-rs' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'web' } },
          template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
        },
      },
    });
    rsUid = rs.metadata!.uid!;
    for (const name of ['lone', 'lone-2', 'bystander']) await admin.core.createNamespacedPod({ namespace, body: podBody(name, { app: 'solo' }) });
    await admin.core.createNamespacedPod({ namespace, body: podBody('web-rs-abcde', { app: 'web' }, true) });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  const pods = async () =>
    Object.fromEntries(
      (await admin.core.listNamespacedPod({ namespace })).items.map((p) => [p.metadata!.name!, { uid: p.metadata!.uid, labels: p.metadata!.labels }]),
    );
  const essentials = async (name: string) => {
    const p = await admin.core.readNamespacedPod({ namespace, name });
    return JSON.parse(JSON.stringify({ labels: p.metadata?.labels, annotations: p.metadata?.annotations, containers: p.spec?.containers }));
  };

  it('deletePod: a dry run applies nothing; deletes exactly that pod; again changes nothing; undo recreates it once', async () => {
    const original = await pods();
    const originalLone = await essentials('lone');
    const dry = await deletePod.run({ kube: responder, dryRun: true }, { namespace, pod: 'lone', grace_period_seconds: 0 });
    assert.equal(dry.changed, false);
    assert.equal(dry.undo, null);
    assert.deepEqual(dry.plan, [
      { kind: 'delete', target: `pods/${namespace}/lone`, detail: { preconditions: { uid: original['lone']!.uid }, gracePeriodSeconds: 0 } },
    ]);
    assert.deepEqual(await pods(), original);

    const ctx = { kube: responder };
    const first = await deletePod.run(ctx, { namespace, pod: 'lone', grace_period_seconds: 0 });
    assert.equal(first.changed, true);
    const { lone, ...others } = original;
    assert.ok(lone);
    assert.deepEqual(await pods(), others, 'only that pod is gone');
    assert.equal(first.undo!.controller, null);
    assert.equal(first.undo!.uid, lone.uid);
    for (const stripped of ['uid', 'resourceVersion', 'creationTimestamp', 'managedFields']) {
      assert.equal((first.undo!.manifest.metadata as Record<string, unknown>)[stripped], undefined, stripped);
    }
    assert.equal((first.undo!.manifest as { status?: unknown }).status, undefined);

    const second = await deletePod.run(ctx, { namespace, pod: 'lone' });
    assert.equal(second.changed, false);
    assert.equal(second.undo, null);
    assert.deepEqual(await pods(), others);

    const undone = await deletePod.undo(ctx, first.undo!);
    assert.equal(undone.changed, true);
    assert.deepEqual(await essentials('lone'), originalLone, 'recreated with its labels, annotations and containers');
    const recreated = await pods();
    assert.deepEqual(Object.keys(recreated).sort(), Object.keys(original).sort());
    const again = await deletePod.undo(ctx, first.undo!);
    assert.equal(again.changed, false, 'the pod exists again: a second undo recreates nothing');
    assert.match(again.summary, /exists again/);
    assert.deepEqual(await pods(), recreated);
  });

  it('deletePod with uid deletes only the pod with that uid', async () => {
    const before = await pods();
    const result = await deletePod.run({ kube: responder }, { namespace, pod: 'bystander', uid: 'not-its-uid' });
    assert.equal(result.changed, false);
    assert.match(result.summary, /another pod/);
    assert.deepEqual(await pods(), before);
  });

  it("deletePod of a controller's pod: undo is a no-op that says its controller replaces it", async () => {
    const ctx = { kube: responder };
    const first = await deletePod.run(ctx, { namespace, pod: 'web-rs-abcde' });
    assert.equal(first.changed, true);
    assert.equal(first.undo!.controller, 'ReplicaSet/web-rs');
    assert.equal((await pods())['web-rs-abcde'], undefined);
    const undone = await deletePod.undo(ctx, first.undo!);
    assert.equal(undone.changed, false);
    assert.match(undone.summary, /owned by ReplicaSet\/web-rs, which replaces it/);
    assert.equal((await pods())['web-rs-abcde'], undefined, 'not recreated');
  });

  it('evictPod: a dry run applies nothing; evicts exactly that pod; again changes nothing; undo recreates it', async () => {
    const original = await pods();
    const originalPod = await essentials('lone-2');
    const dry = await evictPod.run({ kube: responder, dryRun: true }, { namespace, pod: 'lone-2' });
    assert.deepEqual(dry.plan.map((p) => [p.kind, p.target]), [['delete', `pods/${namespace}/lone-2/eviction`]]);
    assert.deepEqual((dry.plan[0]!.detail as { kind: string }).kind, 'Eviction');
    assert.deepEqual(await pods(), original);

    const ctx = { kube: responder };
    const first = await evictPod.run(ctx, { namespace, pod: 'lone-2' });
    assert.equal(first.changed, true);
    const { 'lone-2': gone, ...others } = original;
    assert.ok(gone);
    assert.deepEqual(await pods(), others);
    assert.equal((await evictPod.run(ctx, { namespace, pod: 'lone-2' })).changed, false);
    assert.deepEqual(await pods(), others);
    assert.equal((await evictPod.undo(ctx, first.undo!)).changed, true);
    assert.deepEqual(await essentials('lone-2'), originalPod);
    assert.equal((await evictPod.undo(ctx, first.undo!)).changed, false);
  });

  it('evictPod: a PodDisruptionBudget refusal (429) is a clear error and the pod stays', async () => {
    await admin.core.createNamespacedPod({ namespace, body: podBody('guarded', { app: 'guarded' }) });
    // Eviction ignores budgets for Pending pods: make it Running (no kubelet would).
    await admin.core.patchNamespacedPodStatus(
      { namespace, name: 'guarded', body: { status: { phase: 'Running' } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const policy = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN')).makeApiClient(k8s.PolicyV1Api);
    await policy.createNamespacedPodDisruptionBudget({
      namespace,
      body: { apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'guarded' }, spec: { minAvailable: 1, selector: { matchLabels: { app: 'guarded' } } } },
    });
    const before = await pods();
    await assert.rejects(evictPod.run({ kube: responder }, { namespace, pod: 'guarded' }), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'BWK_CONFLICT');
      assert.match(err.message, /refused by a PodDisruptionBudget/);
      return true;
    });
    assert.deepEqual(await pods(), before);
  });

  it('refuses protected namespaces and bad parameters, naming the field', async () => {
    const ctx = { kube: responder };
    await assert.rejects(deletePod.run(ctx, { namespace: 'kube-system', pod: 'x' }), /protected/);
    await assert.rejects(evictPod.run(ctx, { namespace: 'bulwark', pod: 'x' }), /protected/);
    await assert.rejects(deletePod.run(ctx, { namespace, pod: 'lone', grace_period_seconds: -1 }), /grace_period_seconds/);
    await assert.rejects(evictPod.run(ctx, { namespace: 'Bad_NS', pod: 'x' }), /namespace/);
    await assert.rejects(deletePod.run(ctx, { namespace, pod: 'lone', force: true } as never), /force/);
    await assert.rejects(deletePod.undo(ctx, { namespace: 'kube-system', pod: 'x', uid: 'u', controller: null, manifest: {} }), /protected/);
  });
});
