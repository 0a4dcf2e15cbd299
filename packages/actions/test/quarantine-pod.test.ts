// services: k8s
/**
 * k8s.quarantinePod against the real API server of test/services (kube-apiserver on embedded etcd), acting as the
 * responder identity bound to deploy/responder-clusterrole.yaml: exactly the expected label and NetworkPolicy on the
 * right pod and nothing else; a second run changes nothing; undo restores the original state; dry-run applies nothing.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { QUARANTINE_LABEL, quarantinePod, type KubeClients } from '../src/index.js';
import { applyResponderRole, testClients } from './helpers.js';

describe('k8s.quarantinePod on a real API server', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  const namespace = `q-${randomBytes(3).toString('hex')}`;
  const pods = ['web-a', 'web-b'];

  before(async () => {
    ({ admin, responder } = testClients());
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    for (const name of pods) {
      await admin.core.createNamespacedPod({
        namespace,
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
      });
    }
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  const state = async () => ({
    labels: Object.fromEntries(
      await Promise.all(pods.map(async (name) => [name, (await admin.core.readNamespacedPod({ namespace, name })).metadata?.labels ?? {}])),
    ),
    policies: (await admin.networking.listNamespacedNetworkPolicy({ namespace })).items,
  });

  it('a dry run returns the plan and applies nothing', async () => {
    const before = await state();
    const result = await quarantinePod.run({ kube: responder, dryRun: true }, { namespace, pod: 'web-a' });
    assert.equal(result.changed, false);
    assert.deepEqual(result.plan.map((p) => [p.kind, p.target]), [
      ['patch', `pods/${namespace}/web-a`],
      ['create', `networkpolicies/${namespace}/bulwark-quarantine-web-a`],
    ]);
    assert.equal(result.undo, null);
    assert.deepEqual(await state(), before);
  });

  it('labels exactly that pod and creates one deny-all policy selecting only it; again changes nothing; undo restores', async () => {
    const original = await state();
    const uid = (await admin.core.readNamespacedPod({ namespace, name: 'web-a' })).metadata!.uid!;
    const ctx = { kube: responder };
    const first = await quarantinePod.run(ctx, { namespace, pod: 'web-a', allow: { dns: true, cidrs: ['10.9.0.0/24'] } });
    assert.equal(first.changed, true);

    const after1 = await state();
    assert.deepEqual(after1.labels['web-a'], { ...original.labels['web-a'], [QUARANTINE_LABEL]: uid });
    assert.deepEqual(after1.labels['web-b'], original.labels['web-b'], 'the other pod of the workload is untouched');
    assert.equal(after1.policies.length, 1);
    const policy = after1.policies[0]!;
    assert.equal(policy.metadata?.name, 'bulwark-quarantine-web-a');
    assert.deepEqual(JSON.parse(JSON.stringify(policy.spec?.podSelector)), { matchLabels: { [QUARANTINE_LABEL]: uid } });
    assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(policy.spec?.ingress ?? [], []);
    assert.deepEqual(
      policy.spec?.egress?.map((e) => ({ ports: e.ports?.map((p) => `${p.protocol}/${p.port}`), cidrs: e.to?.map((t) => t.ipBlock?.cidr) })),
      [
        { ports: ['UDP/53', 'TCP/53'], cidrs: undefined },
        { ports: undefined, cidrs: ['10.9.0.0/24'] },
      ],
    );

    const second = await quarantinePod.run(ctx, { namespace, pod: 'web-a', allow: { dns: true, cidrs: ['10.9.0.0/24'] } });
    assert.equal(second.changed, false);
    assert.deepEqual(second.plan, []);
    const after2 = await state();
    assert.deepEqual(after2.labels, after1.labels);
    assert.deepEqual(after2.policies.map((p) => p.metadata?.resourceVersion), after1.policies.map((p) => p.metadata?.resourceVersion));

    const undone = await quarantinePod.undo(ctx, first.undo!);
    assert.equal(undone.changed, true);
    assert.deepEqual(await state(), { labels: original.labels, policies: [] });
    // Undo is idempotent too: a second one finds nothing to release.
    assert.equal((await quarantinePod.undo(ctx, first.undo!)).changed, false);
    assert.deepEqual(await state(), { labels: original.labels, policies: [] });
  });

  it('refuses protected namespaces and bad parameters before touching anything', async () => {
    await assert.rejects(quarantinePod.run({ kube: responder }, { namespace: 'kube-system', pod: 'x' }), /protected/);
    await assert.rejects(quarantinePod.run({ kube: responder }, { namespace: 'Bad_NS', pod: 'x' }), /namespace/);
    await assert.rejects(quarantinePod.run({ kube: responder }, { namespace, pod: 'web-a', allow: { cidrs: ['everywhere'] } }), /CIDR/);
  });
});
