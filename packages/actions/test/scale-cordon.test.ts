// services: k8s
/**
 * k8s.scaleWorkload and k8s.cordonNode on the real API server of test/services, as the responder identity: the
 * change is made, a second run changes nothing, undo restores the original state, dry run applies nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { cordonNode, scaleWorkload, type KubeClients } from '../src/index.js';
import { applyResponderRole, deploymentBody, testClients } from './helpers.js';

describe('k8s.scaleWorkload and k8s.cordonNode on a real API server', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  const namespace = `s-${randomBytes(3).toString('hex')}`;
  const node = `worker-${randomBytes(3).toString('hex')}`;

  before(async () => {
    ({ admin, responder } = testClients());
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    await admin.apps.createNamespacedDeployment({ namespace, body: deploymentBody('miner', 3) });
    // A Node object: there is no kubelet, but the API server stores and serves it like any other.
    await admin.core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name: node } } });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
    await admin?.core.deleteNode({ name: node }).catch(() => {});
  });

  const replicas = async () => (await admin.apps.readNamespacedDeployment({ namespace, name: 'miner' })).spec?.replicas;
  const unschedulable = async () => (await admin.core.readNode({ name: node })).spec?.unschedulable ?? false;

  it('scales to zero, again changes nothing, undo restores the previous count; a dry run applies nothing', async () => {
    const dry = await scaleWorkload.run({ kube: responder, dryRun: true }, { namespace, name: 'miner' });
    assert.deepEqual(dry.plan.map((p) => p.detail), [{ from: 3, to: 0 }]);
    assert.equal(await replicas(), 3);

    const ctx = { kube: responder };
    const first = await scaleWorkload.run(ctx, { namespace, name: 'miner' });
    assert.equal(first.changed, true);
    assert.equal(await replicas(), 0);
    assert.equal((await scaleWorkload.run(ctx, { namespace, name: 'miner' })).changed, false);
    assert.equal(await replicas(), 0);
    assert.equal((await scaleWorkload.undo(ctx, first.undo!)).changed, true);
    assert.equal(await replicas(), 3);
    assert.equal((await scaleWorkload.undo(ctx, first.undo!)).changed, false, 'undo is idempotent');
    await assert.rejects(scaleWorkload.run(ctx, { namespace: 'kube-system', name: 'coredns' }), /protected/);
  });

  it('cordons, again changes nothing, undo uncordons; an operator-cordoned node stays cordoned', async () => {
    const ctx = { kube: responder };
    assert.equal((await cordonNode.run({ kube: responder, dryRun: true }, { node })).plan.length, 1);
    assert.equal(await unschedulable(), false);
    const first = await cordonNode.run(ctx, { node });
    assert.equal(first.changed, true);
    assert.equal(await unschedulable(), true);
    const second = await cordonNode.run(ctx, { node });
    assert.equal(second.changed, false);
    assert.equal(second.undo, null, 'nothing to undo for a node that was already cordoned');
    assert.equal((await cordonNode.undo(ctx, first.undo!)).changed, true);
    assert.equal(await unschedulable(), false);
  });
});
