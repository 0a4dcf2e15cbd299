// services: k8s
/**
 * Undo from Bulwark's own journal only (docs/ARCHITECTURE.md, "Undo from the journal"), on the real API server of
 * test/services as the responder identity. The attacker (mallory, test/services/k8s.sh, here also `edit` in the test
 * namespace like a namespace's owner) edits what the targets carry between a step's first attempt and its retry: the
 * retry takes its undo record from the run journal (StepJournal, as the engine keeps it), never from the object, and
 * undo restores exactly that. Undo also re-checks each binding it would restore (the revoked identity only, protected
 * namespaces, no unrecorded binding to a role that grants everything), and refuses a record that belongs to another
 * step.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import {
  ACTION_KEY_ANNOTATION,
  REVOCATION_ANNOTATION,
  kubeClients,
  label,
  quarantinePod,
  revokeServiceAccount,
  revokeUserBindings,
  scaleWorkload,
  statusOf,
  type KubeClients,
  type RevokeServiceAccountUndo,
} from '../src/index.js';
import { StepJournal, applyResponderRole, deploymentBody, kubeEnv, testClients } from './helpers.js';

const RBAC = 'rbac.authorization.k8s.io';

describe('undo restores the run journal, not what the target says', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  let attacker: KubeClients;
  const suffix = randomBytes(3).toString('hex');
  const namespace = `uj-${suffix}`;
  const planted = `bwk-planted-${suffix}`;
  const adminCrb = `bwk-eve-admin-${suffix}`;
  const eve = `eve-${suffix}@example.com`;

  before(async () => {
    ({ admin, responder } = testClients());
    attacker = kubeClients({ server: kubeEnv('KUBE_API_URL'), caFile: kubeEnv('KUBE_CA_FILE'), token: kubeEnv('KUBE_ATTACKER_TOKEN') });
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    // The namespace's owner: mallory may edit its workloads, as `edit` would allow (the test API server runs no
    // controller-manager to aggregate the built-in `edit` role, so the same rights are spelled out).
    await admin.rbac.createNamespacedRole({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'owner' }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'patch', 'update'] }] },
    });
    await admin.rbac.createNamespacedRoleBinding({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'mallory-owner' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'owner' }, subjects: [{ apiGroup: RBAC, kind: 'User', name: 'mallory@example.com' }] },
    });
    await admin.rbac.createNamespacedRole({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'app-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
    });
    await admin.apps.createNamespacedDeployment({ namespace, body: deploymentBody('web', 3) });
    await admin.core.createNamespacedPod({
      namespace,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
    });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
    for (const name of [planted, adminCrb]) await admin?.rbac.deleteClusterRoleBinding({ name }).catch(() => {});
  });

  const bindingsNaming = async (subject: (s: k8s.RbacV1Subject) => boolean) =>
    (await admin.rbac.listClusterRoleBinding()).items.filter((b) => (b.subjects ?? []).some(subject)).map((b) => `${b.metadata!.name}->${b.roleRef.name}`);

  it('revokeServiceAccount: a backup planted on the account between attempts is never restored; undo recreates only the journaled binding', async () => {
    const sa = 'ci';
    await admin.core.createNamespacedServiceAccount({ namespace, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } } });
    await admin.rbac.createNamespacedRoleBinding({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'ci-reader' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'app-reader' }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace }] },
    });
    const journal = new StepJournal({ kube: responder, idempotencyKey: `run-${suffix}/revoke` });
    const first = await revokeServiceAccount.run(journal.attempt(), { namespace, name: sa });
    assert.deepEqual(first.undo!.bindings.map((b) => [b.name, b.change, b.roleGrantsAll]), [['ci-reader', 'deleted', false]]);

    // The attacker, who may edit ServiceAccounts, plants a "backup" naming a cluster-admin binding for the account.
    const forged: RevokeServiceAccountUndo = {
      ...first.undo!,
      bindings: [
        {
          kind: 'ClusterRoleBinding',
          name: planted,
          roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
          removed: [{ kind: 'ServiceAccount', name: sa, namespace }],
          change: 'deleted',
          roleGrantsAll: true,
        },
      ],
    };
    await attacker.core.patchNamespacedServiceAccount(
      { namespace, name: sa, body: { metadata: { annotations: { [REVOCATION_ANNOTATION]: JSON.stringify(forged) } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    // The step is retried (a crash after the rotation): its record comes from the journal.
    const retried = await revokeServiceAccount.run(journal.attempt(), { namespace, name: sa });
    assert.deepEqual(retried.undo!.bindings, first.undo!.bindings, 'the retry returns the journal record, not the planted one');

    const undone = await revokeServiceAccount.undo({ kube: responder }, retried.undo!);
    assert.equal(undone.changed, true);
    assert.equal(await admin.rbac.readClusterRoleBinding({ name: planted }).catch((e) => statusOf(e)), 404, 'no planted binding');
    assert.deepEqual(await bindingsNaming((s) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === namespace), []);
    const restored = await admin.rbac.readNamespacedRoleBinding({ namespace, name: 'ci-reader' });
    assert.deepEqual(JSON.parse(JSON.stringify({ roleRef: restored.roleRef, subjects: restored.subjects })), {
      roleRef: { apiGroup: RBAC, kind: 'Role', name: 'app-reader' },
      subjects: [{ kind: 'ServiceAccount', name: sa, namespace }],
    });

    // A forged record handed to undo directly is refused binding by binding.
    const refused = await revokeServiceAccount.undo({ kube: responder }, { ...forged, bindings: [{ ...forged.bindings[0]!, removed: [{ kind: 'User', name: 'mallory@example.com' }], subjects: [{ kind: 'User', name: 'mallory@example.com' }] }] });
    assert.equal(refused.changed, false);
    assert.match(refused.summary, /names subjects other than the revoked identity/);
    assert.equal(await admin.rbac.readClusterRoleBinding({ name: planted }).catch((e) => statusOf(e)), 404);
  });

  it('a role edited to grant everything after the revocation is not bound again; one recorded as cluster-admin is', async () => {
    const sa = 'deployer';
    await admin.core.createNamespacedServiceAccount({ namespace, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } } });
    await admin.rbac.createNamespacedRoleBinding({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'deployer-reader' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'app-reader' }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace }] },
    });
    const revoked = await revokeServiceAccount.run({ kube: responder }, { namespace, name: sa });
    // Since then the role grants everything in the namespace.
    await admin.rbac.replaceNamespacedRole({
      namespace,
      name: 'app-reader',
      body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'app-reader' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    });
    const undone = await revokeServiceAccount.undo({ kube: responder }, revoked.undo!);
    assert.match(undone.summary, /rolebindings\/.*\/deployer-reader \(refused: Role app-reader grants every verb on every resource/);
    assert.equal(await admin.rbac.readNamespacedRoleBinding({ namespace, name: 'deployer-reader' }).catch((e) => statusOf(e)), 404);
    await admin.rbac.replaceNamespacedRole({
      namespace,
      name: 'app-reader',
      body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'app-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
    });

    // The legitimate path: a person's cluster-admin binding, revoked and recorded as such, comes back on undo.
    await admin.rbac.createClusterRoleBinding({
      body: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: adminCrb }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: RBAC, kind: 'User', name: eve }] },
    });
    const user = await revokeUserBindings.run({ kube: responder }, { user: eve });
    assert.deepEqual(user.undo!.bindings.map((b) => [b.name, b.roleGrantsAll]), [[adminCrb, true]]);
    assert.deepEqual(await bindingsNaming((s) => s.name === eve), []);
    await revokeUserBindings.undo({ kube: responder }, user.undo!);
    assert.deepEqual(await bindingsNaming((s) => s.name === eve), [`${adminCrb}->cluster-admin`]);
    // The same record without that note: refused.
    await admin.rbac.deleteClusterRoleBinding({ name: adminCrb });
    const unnoted = { ...user.undo!, bindings: user.undo!.bindings.map(({ roleGrantsAll: _, ...b }) => b) };
    assert.match((await revokeUserBindings.undo({ kube: responder }, unnoted)).summary, /refused: ClusterRole cluster-admin grants every verb/);
    assert.deepEqual(await bindingsNaming((s) => s.name === eve), []);
  });

  it('undo re-checks protected namespaces and refuses a record of another step', async () => {
    const record = {
      user: eve,
      bindings: [
        {
          kind: 'RoleBinding' as const,
          namespace: 'kube-system',
          name: `bwk-ks-${suffix}`,
          roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' },
          subjects: [{ apiGroup: RBAC, kind: 'User', name: eve }],
          removed: [{ apiGroup: RBAC, kind: 'User', name: eve }],
          change: 'deleted' as const,
        },
      ],
    };
    const result = await revokeUserBindings.undo({ kube: responder }, record);
    assert.match(result.summary, /namespace kube-system is protected/);
    assert.equal(await admin.rbac.readNamespacedRoleBinding({ namespace: 'kube-system', name: `bwk-ks-${suffix}` }).catch((e) => statusOf(e)), 404);

    const ctx = { kube: responder, run: { id: 'run-b', step: 'scale', playbook: 'p' } };
    const other = await scaleWorkload.undo(ctx, { namespace, kind: 'Deployment', name: 'web', previous: 50, key: 'run-a/scale' });
    assert.equal(other.changed, false);
    assert.match(other.summary, /belongs to step run-a\/scale, not to run-b\/scale/);
    assert.equal((await admin.apps.readNamespacedDeployment({ namespace, name: 'web' })).spec?.replicas, 3);
  });

  it('scaleWorkload and label: counts and values planted on the object between attempts are ignored', async () => {
    const key = `run-${suffix}/scale`;
    const journal = new StepJournal({ kube: responder, idempotencyKey: key });
    await scaleWorkload.run(journal.attempt(), { namespace, name: 'web' });
    const merge = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
    await attacker.apps.patchNamespacedDeployment({ namespace, name: 'web', body: { metadata: { annotations: { 'bulwark.io/previous-replicas': '50' } } } }, merge);
    const retried = await scaleWorkload.run(journal.attempt(), { namespace, name: 'web' });
    assert.equal(retried.undo!.previous, 3);
    await scaleWorkload.undo({ kube: responder }, retried.undo!);
    assert.equal((await admin.apps.readNamespacedDeployment({ namespace, name: 'web' })).spec?.replicas, 3);

    const lkey = `run-${suffix}/label`;
    const ljournal = new StepJournal({ kube: responder, idempotencyKey: lkey });
    const input = { kind: 'Pod' as const, namespace, name: 'web-1', set: { 'security.bulwark.io/compromised': 'true' } };
    await label.run(ljournal.attempt(), input);
    await attacker.core.patchNamespacedPod(
      { namespace, name: 'web-1', body: { metadata: { annotations: { 'bulwark.io/previous-labels': JSON.stringify({ 'security.bulwark.io/compromised': null, app: 'payments-db' }) } } } },
      merge,
    );
    const lretry = await label.run(ljournal.attempt(), input);
    assert.deepEqual(lretry.undo!.previous, { 'security.bulwark.io/compromised': null });
    await label.undo({ kube: responder }, lretry.undo!);
    assert.deepEqual((await admin.core.readNamespacedPod({ namespace, name: 'web-1' })).metadata?.labels, { app: 'web', tier: 'front' });
  });

  it('quarantinePod: detached labels planted on the pod between attempts are not put back by undo', async () => {
    const key = `run-${suffix}/quarantine`;
    const journal = new StepJournal({ kube: responder, idempotencyKey: key });
    const first = await quarantinePod.run(journal.attempt(), { namespace, pod: 'web-1' });
    const uid = (await admin.core.readNamespacedPod({ namespace, name: 'web-1' })).metadata!.uid!;
    assert.deepEqual(first.undo, { namespace, pod: 'web-1', uid, policy: 'bulwark-quarantine-web-1', labelled: true, createdPolicy: true, key });
    await attacker.core.patchNamespacedPod(
      { namespace, name: 'web-1', body: { metadata: { annotations: { 'bulwark.io/detached-labels': JSON.stringify({ app: 'payments-db', role: 'admin' }) } } } },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
    );
    const retried = await quarantinePod.run(journal.attempt(), { namespace, pod: 'web-1' });
    assert.deepEqual(retried.undo, first.undo);
    await quarantinePod.undo({ kube: responder }, retried.undo!);
    const pod = await admin.core.readNamespacedPod({ namespace, name: 'web-1' });
    assert.deepEqual(pod.metadata?.labels, { app: 'web', tier: 'front' }, 'exactly the labels before');
    assert.equal(pod.metadata?.annotations?.[ACTION_KEY_ANNOTATION], undefined);
  });
});
