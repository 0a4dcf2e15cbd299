// services: k8s
/**
 * Idempotency across a crash (ActionContext.idempotencyKey, checkpoint/priorUndo) and quarantine's `detach`, on the
 * real API server of test/services as the responder identity. A step retried with the same key gets its earlier
 * attempt's record back from the run journal (StepJournal, as the engine does) and returns the same undo record (so
 * undo still restores the original state); a run with another key finds someone else's change and returns no undo
 * record. No controller runs: the ReplicaSet's pods are created by the test with it as owner.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import {
  ACTION_KEY_ANNOTATION,
  QUARANTINE_LABEL,
  cordonNode,
  deletePod,
  label,
  quarantinePod,
  scaleWorkload,
  type KubeClients,
} from '../src/index.js';
import { StepJournal, applyResponderRole, deploymentBody, testClients } from './helpers.js';

describe('idempotency keys and quarantine detach on a real API server', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  const namespace = `id-${randomBytes(3).toString('hex')}`;
  const node = `id-node-${randomBytes(3).toString('hex')}`;
  let rsUid = '';

  const createPod = async (name: string, labels: Record<string, string>, owned = false) =>
    admin.core.createNamespacedPod({
      namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {
          name,
          labels,
          ...(owned ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-7d9', uid: rsUid, controller: true }] } : {}),
        },
        spec: { containers: [{ name: 'app', image: 'nginx' }] },
      },
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
        metadata: { name: 'web-7d9' },
        spec: {
          replicas: 2,
          selector: { matchLabels: { app: 'web', 'pod-template-hash': '7d9' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['front'] }] },
          template: { metadata: { labels: { app: 'web', 'pod-template-hash': '7d9', tier: 'front' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
        },
      },
    });
    rsUid = rs.metadata!.uid!;
    for (const name of ['web-7d9-a', 'web-7d9-b']) await createPod(name, { app: 'web', 'pod-template-hash': '7d9', tier: 'front', team: 'pay' }, true);
    await createPod('plain', { app: 'plain' });
    await createPod('gone', { app: 'gone' });
    await admin.apps.createNamespacedDeployment({ namespace, body: deploymentBody('miner', 3) });
    await admin.core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name: node } } });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
    await admin?.core.deleteNode({ name: node }).catch(() => {});
  });

  const podMeta = async (name: string) => {
    const m = (await admin.core.readNamespacedPod({ namespace, name })).metadata!;
    return { labels: m.labels ?? {}, annotations: m.annotations ?? {} };
  };
  const policies = async () => (await admin.networking.listNamespacedNetworkPolicy({ namespace })).items.map((p) => p.metadata!.name);

  it('quarantine detach: takes the pod out of its ReplicaSet selector, keeps its other labels; undo restores them', async () => {
    const original = await podMeta('web-7d9-a');
    const sibling = await podMeta('web-7d9-b');
    const uid = (await admin.core.readNamespacedPod({ namespace, name: 'web-7d9-a' })).metadata!.uid!;
    const dry = await quarantinePod.run({ kube: responder, dryRun: true }, { namespace, pod: 'web-7d9-a', detach: true });
    assert.equal(dry.undo, null);
    assert.deepEqual(await podMeta('web-7d9-a'), original);
    assert.deepEqual(await policies(), []);

    const ctx = { kube: responder };
    const first = await quarantinePod.run(ctx, { namespace, pod: 'web-7d9-a', detach: true });
    assert.equal(first.changed, true);
    assert.deepEqual(first.undo?.detached, { app: 'web', 'pod-template-hash': '7d9', tier: 'front' });
    assert.deepEqual((await podMeta('web-7d9-a')).labels, { team: 'pay', [QUARANTINE_LABEL]: uid }, 'no longer matched by the selector');
    assert.deepEqual((await podMeta('web-7d9-a')).annotations, {}, 'no key, no bookkeeping');
    assert.deepEqual(await podMeta('web-7d9-b'), sibling);
    const second = await quarantinePod.run(ctx, { namespace, pod: 'web-7d9-a', detach: true });
    assert.equal(second.changed, false);

    assert.equal((await quarantinePod.undo(ctx, first.undo!)).changed, true);
    assert.deepEqual(await podMeta('web-7d9-a'), original);
    assert.deepEqual(await policies(), []);
    assert.equal((await quarantinePod.undo(ctx, first.undo!)).changed, false);
    assert.deepEqual(await podMeta('web-7d9-a'), original);
  });

  it('quarantine with key K twice returns the same undo record; another key on a quarantined pod returns none', async () => {
    const original = await podMeta('web-7d9-b');
    const K = `run-1/quarantine-${randomBytes(2).toString('hex')}`;
    const journal = new StepJournal({ kube: responder, idempotencyKey: K });
    const first = await quarantinePod.run(journal.attempt(), { namespace, pod: 'web-7d9-b', detach: true });
    assert.deepEqual(journal.saved, first.undo, 'journaled before the change');
    assert.equal(first.changed, true);
    assert.equal(first.undo?.key, K);
    const after1 = await podMeta('web-7d9-b');
    assert.equal(after1.annotations[ACTION_KEY_ANNOTATION], K);
    const policy = await admin.networking.readNamespacedNetworkPolicy({ namespace, name: 'bulwark-quarantine-web-7d9-b' });
    assert.equal(policy.metadata?.annotations?.[ACTION_KEY_ANNOTATION], K);

    // The retry after a crash between the change and the journal write.
    const retry = await quarantinePod.run(journal.attempt(), { namespace, pod: 'web-7d9-b', detach: true });
    assert.equal(retry.changed, false);
    assert.deepEqual(retry.undo, first.undo);
    assert.deepEqual(await podMeta('web-7d9-b'), after1);

    const other = await quarantinePod.run({ kube: responder, idempotencyKey: 'run-2/q' }, { namespace, pod: 'web-7d9-b' });
    assert.equal(other.changed, false);
    assert.equal(other.undo, null, "someone else's quarantine is not ours to undo");
    const plain = await quarantinePod.run({ kube: responder }, { namespace, pod: 'web-7d9-b' });
    assert.equal(plain.undo, null, 'without a key: as before');

    assert.equal((await quarantinePod.undo({ kube: responder }, retry.undo!)).changed, true);
    assert.deepEqual(await podMeta('web-7d9-b'), original, 'labels and the key record restored');
    assert.deepEqual(await policies(), []);
  });

  it('scaleWorkload with key K journals the previous count before scaling; a retry returns the same undo record', async () => {
    const K = 'run-1/scale';
    const ctx = { kube: responder, idempotencyKey: K };
    const journal = new StepJournal(ctx);
    const read = async () => admin.apps.readNamespacedDeployment({ namespace, name: 'miner' });
    const first = await scaleWorkload.run(journal.attempt(), { namespace, name: 'miner' });
    assert.deepEqual(journal.saved, first.undo, 'journaled before scaling');
    assert.deepEqual(first.undo, { namespace, kind: 'Deployment', name: 'miner', previous: 3, key: K });
    const d = await read();
    assert.equal(d.spec?.replicas, 0);
    assert.deepEqual(d.metadata?.annotations, { [ACTION_KEY_ANNOTATION]: K, 'bulwark.io/previous-replicas': '3' });
    const retry = await scaleWorkload.run(journal.attempt(), { namespace, name: 'miner' });
    assert.equal(retry.changed, false);
    assert.deepEqual(retry.undo, first.undo);
    assert.equal((await scaleWorkload.run({ kube: responder, idempotencyKey: 'run-2/scale' }, { namespace, name: 'miner' })).undo, null);
    assert.equal((await scaleWorkload.undo(ctx, retry.undo!)).changed, true);
    const restored = await read();
    assert.equal(restored.spec?.replicas, 3);
    assert.deepEqual(restored.metadata?.annotations ?? {}, {});
    assert.equal((await scaleWorkload.undo(ctx, retry.undo!)).changed, false);
  });

  it('cordonNode with key K: a retry returns the same undo record, another key none; undo uncordons and clears the key', async () => {
    const K = 'run-1/cordon';
    const ctx = { kube: responder, idempotencyKey: K };
    const journal = new StepJournal(ctx);
    const first = await cordonNode.run(journal.attempt(), { node });
    assert.deepEqual(first.undo, { node, key: K });
    const retry = await cordonNode.run(journal.attempt(), { node });
    assert.equal(retry.changed, false);
    assert.deepEqual(retry.undo, first.undo);
    assert.equal((await cordonNode.run({ kube: responder, idempotencyKey: 'other' }, { node })).undo, null);
    assert.equal((await cordonNode.undo(ctx, retry.undo!)).changed, true);
    const n = await admin.core.readNode({ name: node });
    assert.equal(n.spec?.unschedulable ?? false, false);
    assert.equal(n.metadata?.annotations?.[ACTION_KEY_ANNOTATION], undefined);
    assert.equal((await cordonNode.undo(ctx, retry.undo!)).changed, false);
  });

  it('label with key K: a retry returns the same undo record; deletePod with key K: the retry finds its journal record', async () => {
    const K = 'run-1/label';
    const ctx = { kube: responder, idempotencyKey: K };
    const journal = new StepJournal(ctx);
    const input = { kind: 'Pod' as const, namespace, name: 'plain', set: { app: 'evil' } };
    const first = await label.run(journal.attempt(), input);
    assert.deepEqual(first.undo, { kind: 'Pod', namespace, name: 'plain', previous: { app: 'plain' }, key: K });
    const retry = await label.run(journal.attempt(), input);
    assert.equal(retry.changed, false);
    assert.deepEqual(retry.undo, first.undo);
    assert.equal((await label.run({ kube: responder, idempotencyKey: 'other' }, input)).undo, null);
    await label.undo(ctx, retry.undo!);
    assert.deepEqual(await podMeta('plain'), { labels: { app: 'plain' }, annotations: {} });

    const D = 'run-1/delete';
    const dctx = { kube: responder, idempotencyKey: D };
    const djournal = new StepJournal(dctx);
    const removed = await deletePod.run(djournal.attempt(), { namespace, pod: 'gone' });
    assert.equal(removed.changed, true);
    const again = await deletePod.run(djournal.attempt(), { namespace, pod: 'gone' });
    assert.equal(again.changed, false);
    assert.deepEqual(again.undo, removed.undo, 'the same undo record, from the journal');
    assert.equal((await deletePod.run({ kube: responder, idempotencyKey: 'other' }, { namespace, pod: 'gone' })).undo, null);
    assert.equal((await deletePod.undo(dctx, again.undo!)).changed, true);
    assert.deepEqual((await podMeta('gone')).labels, { app: 'gone' });
  });
});
