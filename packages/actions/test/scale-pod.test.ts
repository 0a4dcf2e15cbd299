// services: k8s
/**
 * k8s.scaleWorkload named by a pod (`{ namespace, pod }`), on the real API server of test/services as the responder
 * identity. No controllers run there, so the test creates the whole chain itself — Deployment, its ReplicaSet, pods —
 * with ownerReferences as the controllers would set them (the pods stay Pending: no kubelet). The action follows the
 * chain to the workload, scales it, and the undo record names that workload.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { ACTION_KEY_ANNOTATION, scaleWorkload, type KubeClients } from '../src/index.js';
import { PREVIOUS_REPLICAS_ANNOTATION } from '../src/k8s/scale-workload.js';
import { StepJournal, applyResponderRole, testClients } from './helpers.js';

const template = (app: string) => ({
  metadata: { labels: { app } },
  spec: { containers: [{ name: 'x', image: 'xmrig' }] },
});

describe('k8s.scaleWorkload by pod on a real API server', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  const namespace = `sp-${randomBytes(3).toString('hex')}`;

  const owner = (kind: string, name: string, uid: string, apiVersion = 'apps/v1'): k8s.V1OwnerReference => ({
    apiVersion,
    kind,
    name,
    uid,
    controller: true,
    blockOwnerDeletion: true,
  });
  const createPod = async (name: string, owners: k8s.V1OwnerReference[] = []) =>
    admin.core.createNamespacedPod({
      namespace,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name }, ownerReferences: owners }, spec: template(name).spec },
    });
  const createDeployment = async (name: string, replicas: number) =>
    admin.apps.createNamespacedDeployment({
      namespace,
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name) } },
    });
  const createReplicaSet = async (name: string, replicas: number, owners: k8s.V1OwnerReference[] = []) =>
    admin.apps.createNamespacedReplicaSet({
      namespace,
      body: {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name, ownerReferences: owners },
        spec: { replicas, selector: { matchLabels: { app: name } }, template: template(name) },
      },
    });

  before(async () => {
    ({ admin, responder } = testClients());
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    // Pod → ReplicaSet → Deployment.
    const deployment = await createDeployment('miner', 3);
    const rs = await createReplicaSet('miner-5d8f', 3, [owner('Deployment', 'miner', deployment.metadata!.uid!)]);
    await createPod('miner-5d8f-abcde', [owner('ReplicaSet', 'miner-5d8f', rs.metadata!.uid!)]);
    // Pod → StatefulSet.
    const sts = await admin.apps.createNamespacedStatefulSet({
      namespace,
      body: {
        apiVersion: 'apps/v1',
        kind: 'StatefulSet',
        metadata: { name: 'db' },
        spec: { replicas: 2, serviceName: 'db', selector: { matchLabels: { app: 'db' } }, template: template('db') },
      },
    });
    await createPod('db-0', [owner('StatefulSet', 'db', sts.metadata!.uid!)]);
    // Pod → a bare ReplicaSet.
    const bare = await createReplicaSet('bare', 2);
    await createPod('bare-xyz12', [owner('ReplicaSet', 'bare', bare.metadata!.uid!)]);
    // Refused: no controller, a DaemonSet, a Job, an owner replaced by a same-named object, a ReplicaSet another controller runs.
    await createPod('loner');
    const ds = await admin.apps.createNamespacedDaemonSet({
      namespace,
      body: { apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent' }, spec: { selector: { matchLabels: { app: 'agent' } }, template: template('agent') } },
    });
    await createPod('agent-q7w8e', [owner('DaemonSet', 'agent', ds.metadata!.uid!)]);
    await createPod('backup-28f9s', [owner('Job', 'backup', '2b1e6a8e-3f4c-4f6e-9d1a-0c5e7b9a1f11', 'batch/v1')]);
    await createPod('stale-abcde', [owner('ReplicaSet', 'miner-5d8f', '7f0c2a9e-1111-4e2b-8c3d-5a6b7c8d9e0f')]);
    const rollout = await createReplicaSet('canary-6c7d', 1, [owner('Rollout', 'canary', 'a1b2c3d4-0000-4000-8000-000000000001', 'argoproj.io/v1alpha1')]);
    await createPod('canary-6c7d-zz9yx', [owner('ReplicaSet', 'canary-6c7d', rollout.metadata!.uid!)]);
    // Only the controller reference counts: an extra non-controller owner is ignored.
    await createPod('miner-5d8f-fghij', [
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'note', uid: 'c0ffee00-0000-4000-8000-000000000002' },
      owner('ReplicaSet', 'miner-5d8f', rs.metadata!.uid!),
    ]);
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  const deploymentReplicas = async () => (await admin.apps.readNamespacedDeployment({ namespace, name: 'miner' })).spec?.replicas;
  const deploymentAnnotations = async () => (await admin.apps.readNamespacedDeployment({ namespace, name: 'miner' })).metadata?.annotations ?? {};
  const rsReplicas = async (name: string) => (await admin.apps.readNamespacedReplicaSet({ namespace, name })).spec?.replicas;

  it('pod → ReplicaSet → Deployment: a dry run shows the Deployment and applies nothing; the run scales it; undo restores it', async () => {
    const dry = await scaleWorkload.run({ kube: responder, dryRun: true }, { namespace, pod: 'miner-5d8f-abcde' });
    assert.equal(dry.changed, false);
    assert.equal(dry.undo, null);
    assert.deepEqual(dry.plan, [
      {
        kind: 'patch',
        target: `deployments/${namespace}/miner/scale`,
        detail: { from: 3, to: 0, via: [`Pod ${namespace}/miner-5d8f-abcde`, 'ReplicaSet miner-5d8f', 'Deployment miner'] },
      },
    ]);
    assert.match(dry.summary, new RegExp(`^would scale deployments/${namespace}/miner/scale from 3 to 0 \\(Pod ${namespace}/miner-5d8f-abcde → ReplicaSet miner-5d8f → Deployment miner\\)$`));
    assert.deepEqual(dry.outputs, { namespace, kind: 'Deployment', name: 'miner', previous: 3, replicas: 0 });
    assert.equal(await deploymentReplicas(), 3);
    assert.equal(await rsReplicas('miner-5d8f'), 3, 'the ReplicaSet is left to its Deployment');

    const ctx = { kube: responder };
    const first = await scaleWorkload.run(ctx, { namespace, pod: 'miner-5d8f-abcde' });
    assert.equal(first.changed, true);
    assert.deepEqual(first.undo, { namespace, kind: 'Deployment', name: 'miner', previous: 3, pod: 'miner-5d8f-abcde' });
    assert.equal(await deploymentReplicas(), 0);
    assert.equal(await rsReplicas('miner-5d8f'), 3);
    const again = await scaleWorkload.run(ctx, { namespace, pod: 'miner-5d8f-fghij' });
    assert.equal(again.changed, false, 'a sibling pod names the same, already scaled Deployment');
    assert.equal(again.undo, null);

    assert.equal((await scaleWorkload.undo(ctx, first.undo!)).changed, true);
    assert.equal(await deploymentReplicas(), 3);
    assert.equal((await scaleWorkload.undo(ctx, first.undo!)).changed, false, 'undo is idempotent');
  });

  it('with an idempotency key: journaled before scaling (the key on the Deployment), a retry returns the same undo record, undo clears it', async () => {
    const key = `run-${randomBytes(3).toString('hex')}/scale_down`;
    const ctx = { kube: responder, idempotencyKey: key };
    const journal = new StepJournal(ctx);
    const first = await scaleWorkload.run(journal.attempt(), { namespace, pod: 'miner-5d8f-abcde', replicas: 1 });
    assert.deepEqual(first.undo, { namespace, kind: 'Deployment', name: 'miner', previous: 3, pod: 'miner-5d8f-abcde', key });
    assert.equal(await deploymentReplicas(), 1);
    assert.equal((await deploymentAnnotations())[ACTION_KEY_ANNOTATION], key);
    assert.equal((await deploymentAnnotations())[PREVIOUS_REPLICAS_ANNOTATION], '3');

    const retry = await scaleWorkload.run(journal.attempt(), { namespace, pod: 'miner-5d8f-abcde', replicas: 1 });
    assert.equal(retry.changed, false);
    assert.deepEqual(retry.undo, first.undo, 'the retry finds its own record in the journal');
    assert.equal((await scaleWorkload.run({ kube: responder, idempotencyKey: 'other/step' }, { namespace, pod: 'miner-5d8f-abcde', replicas: 1 })).undo, null);

    assert.equal((await scaleWorkload.undo(ctx, retry.undo!)).changed, true);
    assert.equal(await deploymentReplicas(), 3);
    const annotations = await deploymentAnnotations();
    assert.equal(annotations[ACTION_KEY_ANNOTATION], undefined);
    assert.equal(annotations[PREVIOUS_REPLICAS_ANNOTATION], undefined);
  });

  it('pod → StatefulSet and pod → a bare ReplicaSet scale those', async () => {
    const ctx = { kube: responder };
    const sts = await scaleWorkload.run(ctx, { namespace, pod: 'db-0' });
    assert.deepEqual(sts.undo, { namespace, kind: 'StatefulSet', name: 'db', previous: 2, pod: 'db-0' });
    assert.equal((await admin.apps.readNamespacedStatefulSet({ namespace, name: 'db' })).spec?.replicas, 0);
    await scaleWorkload.undo(ctx, sts.undo!);
    assert.equal((await admin.apps.readNamespacedStatefulSet({ namespace, name: 'db' })).spec?.replicas, 2);

    const bare = await scaleWorkload.run(ctx, { namespace, pod: 'bare-xyz12' });
    assert.deepEqual(bare.undo, { namespace, kind: 'ReplicaSet', name: 'bare', previous: 2, pod: 'bare-xyz12' });
    assert.equal(await rsReplicas('bare'), 0);
    await scaleWorkload.undo(ctx, bare.undo!);
    assert.equal(await rsReplicas('bare'), 2);
  });

  it('refuses pods scaling cannot stop, and pods that do not exist, changing nothing', async () => {
    const ctx = { kube: responder };
    const refused = async (pod: string, code: string, message: RegExp) =>
      assert.rejects(scaleWorkload.run(ctx, { namespace, pod }), (err: { code?: string; message: string; details?: { field?: string } }) => {
        assert.equal(err.code, code, err.message);
        assert.match(err.message, message);
        assert.equal(err.details?.field, 'pod');
        return true;
      });
    await refused('loner', 'BWK_BAD_REQUEST', new RegExp(`pod ${namespace}/loner has no controller`));
    await refused('agent-q7w8e', 'BWK_BAD_REQUEST', /is run by DaemonSet agent: only Deployments, StatefulSets and ReplicaSets can be scaled/);
    await refused('backup-28f9s', 'BWK_BAD_REQUEST', /is run by Job backup/);
    await refused('canary-6c7d-zz9yx', 'BWK_BAD_REQUEST', /is run by ReplicaSet canary-6c7d, which Rollout canary controls/);
    await refused('stale-abcde', 'BWK_NOT_FOUND', /ReplicaSet .*miner-5d8f, the controller of Pod .*stale-abcde, no longer exists/);
    await refused('nope', 'BWK_NOT_FOUND', new RegExp(`pod ${namespace}/nope does not exist`));
    assert.equal(await deploymentReplicas(), 3);
    assert.equal(await rsReplicas('canary-6c7d'), 1);
    await assert.rejects(scaleWorkload.run(ctx, { namespace: 'kube-system', pod: 'coredns-abc' }), /protected/);
  });

  it('takes exactly one of the two forms, and says which field is wrong', () => {
    const issues = (input: unknown) => {
      const parsed = scaleWorkload.params.safeParse(input);
      return parsed.success ? [] : parsed.error.issues.map((i) => [i.path.join('.'), i.message]);
    };
    assert.deepEqual(issues({ namespace: 'a', pod: 'p' }), []);
    assert.deepEqual(issues({ namespace: 'a', name: 'w' }), []);
    assert.deepEqual(issues({ namespace: 'a', kind: 'StatefulSet', name: 'w', replicas: 2 }), []);
    assert.deepEqual(issues({ namespace: 'a', pod: 'p', name: 'w' }), [
      ['name', 'give either the workload (kind, name) or a pod of it (pod), not both: drop name or pod'],
    ]);
    assert.deepEqual(issues({ namespace: 'a', pod: 'p', kind: 'Deployment' }), [
      ['kind', 'give either the workload (kind, name) or a pod of it (pod), not both: drop kind or pod'],
    ]);
    assert.deepEqual(issues({ namespace: 'a' }), [
      ['name', 'required: the workload name (with kind, default Deployment), or pod to scale the workload that runs that pod'],
    ]);
    assert.deepEqual(issues({ namespace: 'a', kind: 'Deployment' }).map(([path]) => path), ['name']);
    assert.deepEqual(issues({ namespace: 'a', pod: '' }).map(([path]) => path), ['pod']);
  });
});
