// services: k8s
/**
 * A quarantine that can be believed (the target's owner may have prepared look-alikes), on the real API server of
 * test/services as the responder identity. The attacker (mallory, given NetworkPolicy rights in the namespace like its
 * owner) pre-creates `bulwark-quarantine-<pod>` allowing everything, and another policy that keeps allowing the pod's
 * traffic. The step replaces the look-alike with exactly the quarantine spec, reports the other policy (summary WARNING
 * and outputs), or with `fail_on_allowing_policies` fails changing nothing; policies that allow nothing, or select
 * other pods, are not reported. Also: cordonNode refuses control-plane nodes unless allowed.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import { ESTABLISHED_NOTE, QUARANTINE_LABEL, cordonNode, kubeClients, quarantinePod, statusOf, type KubeClients } from '../src/index.js';
import { applyResponderRole, kubeEnv, testClients } from './helpers.js';

const RBAC = 'rbac.authorization.k8s.io';

describe('k8s.quarantinePod checks the policies around the pod', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  let attacker: KubeClients;
  const suffix = randomBytes(3).toString('hex');
  const namespace = `qb-${suffix}`;
  const nodes = [`cp-${suffix}`, `master-${suffix}`, `worker-${suffix}`];

  const policy = (name: string, spec: k8s.V1NetworkPolicySpec): k8s.V1NetworkPolicy => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec });
  const specOf = async (name: string) => JSON.parse(JSON.stringify((await admin.networking.readNamespacedNetworkPolicy({ namespace, name })).spec));
  const podLabels = async (name: string) => (await admin.core.readNamespacedPod({ namespace, name })).metadata?.labels ?? {};

  before(async () => {
    ({ admin, responder } = testClients());
    attacker = kubeClients({ server: kubeEnv('KUBE_API_URL'), caFile: kubeEnv('KUBE_CA_FILE'), token: kubeEnv('KUBE_ATTACKER_TOKEN') });
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    await admin.rbac.createNamespacedRole({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'netpol-editor' }, rules: [{ apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['*'] }] },
    });
    await admin.rbac.createNamespacedRoleBinding({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'mallory' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'netpol-editor' }, subjects: [{ apiGroup: RBAC, kind: 'User', name: 'mallory@example.com' }] },
    });
    for (const name of ['web-a', 'web-b', 'db-a', 'solo-a']) {
      await admin.core.createNamespacedPod({
        namespace,
        body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name.split('-')[0]! } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
      });
    }
    await admin.core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name: nodes[0]!, labels: { 'node-role.kubernetes.io/control-plane': '' } } } });
    await admin.core.createNode({
      body: { apiVersion: 'v1', kind: 'Node', metadata: { name: nodes[1]! }, spec: { taints: [{ key: 'node-role.kubernetes.io/master', effect: 'NoSchedule' }] } },
    });
    await admin.core.createNode({ body: { apiVersion: 'v1', kind: 'Node', metadata: { name: nodes[2]! } } });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
    for (const name of nodes) await admin?.core.deleteNode({ name }).catch(() => {});
  });

  it('replaces a pre-created permissive policy of the same name and reports another policy that allows traffic', async () => {
    // The attacker's preparation: a look-alike allowing everything, and an allow-all ingress for the app.
    await attacker.networking.createNamespacedNetworkPolicy({
      namespace,
      body: policy('bulwark-quarantine-web-a', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] }),
    });
    await attacker.networking.createNamespacedNetworkPolicy({ namespace, body: policy('web-open', { podSelector: { matchLabels: { app: 'web' } }, ingress: [{}] }) });
    // Not reported: a deny-only policy selecting the pod, and an allowing policy for other pods.
    await admin.networking.createNamespacedNetworkPolicy({ namespace, body: policy('deny-all', { podSelector: {}, policyTypes: ['Ingress'] }) });
    await admin.networking.createNamespacedNetworkPolicy({ namespace, body: policy('db-open', { podSelector: { matchLabels: { app: 'db' } }, ingress: [{}] }) });

    const uid = (await admin.core.readNamespacedPod({ namespace, name: 'web-a' })).metadata!.uid!;
    const key = `run-${suffix}/quarantine`;
    const result = await quarantinePod.run({ kube: responder, idempotencyKey: key }, { namespace, pod: 'web-a', allow: { dns: true, cidrs: [] } });
    assert.equal(result.changed, true);
    assert.deepEqual(await specOf('bulwark-quarantine-web-a'), {
      podSelector: { matchLabels: { [QUARANTINE_LABEL]: uid } },
      policyTypes: ['Ingress', 'Egress'],
      egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
    });
    const replaced = await admin.networking.readNamespacedNetworkPolicy({ namespace, name: 'bulwark-quarantine-web-a' });
    assert.equal(replaced.metadata?.annotations?.['bulwark.io/action-key'], key);
    assert.deepEqual(result.outputs, { policy: 'bulwark-quarantine-web-a', replaced_policy: true, allowing_policies: [{ name: 'web-open', allows: ['ingress'] }] });
    assert.match(result.summary, /replaced the NetworkPolicy bulwark-quarantine-web-a found under the quarantine's name/);
    assert.match(result.summary, /WARNING: the quarantine of pod .*\/web-a does not hold: NetworkPolicies add up, and NetworkPolicy web-open \(allows ingress\) also selects the pod\. /);
    assert.ok(result.summary.endsWith(ESTABLISHED_NOTE), 'and that connections open before may go on');
    assert.equal(result.undo!.createdPolicy, true);

    // A second run finds the exact policy: no change, the warning stays.
    const again = await quarantinePod.run({ kube: responder, idempotencyKey: key }, { namespace, pod: 'web-a', allow: { dns: true, cidrs: [] } });
    assert.equal(again.changed, false);
    assert.match(again.summary, /already quarantined\. WARNING: .*web-open/);

    // Tampered again after the run: the next run puts the spec back.
    await attacker.networking.replaceNamespacedNetworkPolicy({
      namespace,
      name: 'bulwark-quarantine-web-a',
      body: { ...policy('bulwark-quarantine-web-a', { podSelector: { matchLabels: { [QUARANTINE_LABEL]: uid } }, policyTypes: ['Egress'], egress: [{}] }), metadata: { name: 'bulwark-quarantine-web-a', resourceVersion: replaced.metadata!.resourceVersion! } },
    });
    const third = await quarantinePod.run({ kube: responder }, { namespace, pod: 'web-a', allow: { dns: true, cidrs: [] } });
    assert.equal(third.changed, true);
    assert.equal((await specOf('bulwark-quarantine-web-a')).policyTypes.length, 2);

    // Undo deletes the policy (the attacker's look-alike is not brought back) and the label.
    await quarantinePod.undo({ kube: responder }, { ...result.undo!, key: undefined });
    assert.equal(await admin.networking.readNamespacedNetworkPolicy({ namespace, name: 'bulwark-quarantine-web-a' }).catch((e) => statusOf(e)), 404);
    assert.deepEqual(await podLabels('web-a'), { app: 'web' });
  });

  it('fail_on_allowing_policies: fails naming the policy and changes nothing', async () => {
    const before = (await admin.networking.listNamespacedNetworkPolicy({ namespace })).items.map((p) => p.metadata!.name).sort();
    await assert.rejects(quarantinePod.run({ kube: responder }, { namespace, pod: 'web-b', fail_on_allowing_policies: true }), (err: { code?: string; message: string; details?: { field?: string } }) => {
      assert.equal(err.code, 'BWK_CASE_INVALID_STATE');
      assert.equal(err.details?.field, 'fail_on_allowing_policies');
      assert.match(err.message, /NetworkPolicy web-open \(allows ingress\) also selects the pod; fail_on_allowing_policies is set: nothing was changed/);
      return true;
    });
    assert.deepEqual((await admin.networking.listNamespacedNetworkPolicy({ namespace })).items.map((p) => p.metadata!.name).sort(), before);
    assert.deepEqual(await podLabels('web-b'), { app: 'web' });
    // A pod only a deny policy selects is quarantined with no warning.
    const solo = await quarantinePod.run({ kube: responder }, { namespace, pod: 'solo-a', fail_on_allowing_policies: true });
    assert.equal(solo.changed, true);
    assert.deepEqual((solo.outputs as { allowing_policies: unknown[] }).allowing_policies, []);
    assert.doesNotMatch(solo.summary, /WARNING/);
  });

  it('cordonNode refuses control-plane nodes (label or taint) unless allow_control_plane', async () => {
    for (const node of nodes.slice(0, 2)) {
      await assert.rejects(cordonNode.run({ kube: responder }, { node }), (err: { details?: { field?: string }; message: string }) => {
        assert.equal(err.details?.field, 'allow_control_plane');
        assert.match(err.message, /is a control-plane node \((label|taint) node-role\.kubernetes\.io\/(control-plane|master)/);
        return true;
      });
      assert.equal((await admin.core.readNode({ name: node })).spec?.unschedulable ?? false, false);
    }
    const allowed = await cordonNode.run({ kube: responder }, { node: nodes[0]!, allow_control_plane: true });
    assert.equal(allowed.changed, true);
    assert.equal((await admin.core.readNode({ name: nodes[0]! })).spec?.unschedulable, true);
    await cordonNode.undo({ kube: responder }, allowed.undo!);
    assert.equal((await admin.core.readNode({ name: nodes[0]! })).spec?.unschedulable ?? false, false);
    assert.equal((await cordonNode.run({ kube: responder }, { node: nodes[2]! })).changed, true, 'a worker is cordoned as before');
  });
});
