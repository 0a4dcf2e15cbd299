// services: k8s
/**
 * credentials.revokeUserBindings on the real API server of test/services, as the responder identity: a user in two
 * bindings (one shared) loses both, and with them the access (SubjectAccessReview); `system:` bindings and protected
 * namespaces are left alone and listed; undo restores the bindings exactly; a second run and a second undo change
 * nothing; a dry run applies nothing; built-in identities and bad parameters are refused, naming the field.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { revokeUserBindings, statusOf, type KubeClients } from '../src/index.js';
import { applyResponderRole, kubeConfigFor, kubeEnv, testClients } from './helpers.js';

const RBAC = 'rbac.authorization.k8s.io';

describe('credentials.revokeUserBindings on a real API server', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  let rbac: k8s.RbacAuthorizationV1Api;
  let authz: k8s.AuthorizationV1Api;
  const suffix = randomBytes(3).toString('hex');
  const namespace = `cu-${suffix}`;
  const user = `mallory-${suffix}@example.com`;
  const group = `contractors-${suffix}`;
  const shared = `bwk-test-shared-${suffix}`;
  const sys = `system:bwk-test-${suffix}`;

  const can = async (who: { user?: string; groups?: string[] }, verb: string, resource: string, ns?: string): Promise<boolean> => {
    const review = await authz.createSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SubjectAccessReview',
        spec: { user: who.user ?? 'nobody', groups: who.groups ?? [], resourceAttributes: { verb, resource, group: resource === 'deployments' ? 'apps' : '', ...(ns ? { namespace: ns } : {}) } },
      },
    });
    return review.status?.allowed ?? false;
  };
  const plain = (b: k8s.V1RoleBinding | k8s.V1ClusterRoleBinding | number | undefined) =>
    typeof b === 'object' ? JSON.parse(JSON.stringify({ roleRef: b.roleRef, subjects: b.subjects })) : b;
  const state = async () => ({
    only: plain(await rbac.readNamespacedRoleBinding({ namespace, name: 'mallory-only' }).catch((e) => statusOf(e))),
    shared: plain(await rbac.readClusterRoleBinding({ name: shared }).catch((e) => statusOf(e))),
    sys: plain(await rbac.readClusterRoleBinding({ name: sys }).catch((e) => statusOf(e))),
    ks: plain(await rbac.readNamespacedRoleBinding({ namespace: 'kube-system', name: `bwk-test-${suffix}` }).catch((e) => statusOf(e))),
  });

  before(async () => {
    ({ admin, responder } = testClients());
    const kc = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN'));
    rbac = kc.makeApiClient(k8s.RbacAuthorizationV1Api);
    authz = kc.makeApiClient(k8s.AuthorizationV1Api);
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    // Own roles: the bootstrap edit/view roles are aggregated by the controller manager, which the test server lacks.
    await rbac.createClusterRole({
      body: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: `bwk-test-editor-${suffix}` }, rules: [{ apiGroups: ['apps'], resources: ['deployments'], verbs: ['create'] }] },
    });
    await rbac.createClusterRole({
      body: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRole', metadata: { name: `bwk-test-viewer-${suffix}` }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] },
    });
    const edit = { apiGroup: RBAC, kind: 'ClusterRole', name: `bwk-test-editor-${suffix}` };
    const view = { apiGroup: RBAC, kind: 'ClusterRole', name: `bwk-test-viewer-${suffix}` };
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'mallory-only', annotations: { ticket: 'OPS-1' } }, roleRef: edit, subjects: [{ apiGroup: RBAC, kind: 'User', name: user }] },
    });
    await rbac.createClusterRoleBinding({
      body: {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: shared, labels: { team: 'sre' } },
        roleRef: view,
        subjects: [
          { apiGroup: RBAC, kind: 'Group', name: group },
          { apiGroup: RBAC, kind: 'User', name: user },
          { apiGroup: RBAC, kind: 'User', name: 'bob@example.com' },
        ],
      },
    });
    // Left alone: a system: binding, and a binding in a protected namespace.
    await rbac.createClusterRoleBinding({
      body: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: sys }, roleRef: view, subjects: [{ apiGroup: RBAC, kind: 'User', name: user }] },
    });
    await rbac.createNamespacedRoleBinding({
      namespace: 'kube-system',
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: `bwk-test-${suffix}` }, roleRef: edit, subjects: [{ apiGroup: RBAC, kind: 'User', name: user }] },
    });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
    for (const name of [shared, sys]) await rbac?.deleteClusterRoleBinding({ name }).catch(() => {});
    for (const name of [`bwk-test-editor-${suffix}`, `bwk-test-viewer-${suffix}`]) await rbac?.deleteClusterRole({ name }).catch(() => {});
    await rbac?.deleteNamespacedRoleBinding({ namespace: 'kube-system', name: `bwk-test-${suffix}` }).catch(() => {});
  });

  it('removes the user from both bindings, again changes nothing, undo restores them exactly; a dry run applies nothing', async () => {
    const before = await state();
    assert.equal(await can({ user }, 'create', 'deployments', namespace), true, 'mallory can edit the namespace before');

    const dry = await revokeUserBindings.run({ kube: responder, dryRun: true }, { user });
    assert.equal(dry.changed, false);
    assert.equal(dry.undo, null);
    assert.deepEqual(dry.plan.map((p) => `${p.kind} ${p.target}`).sort(), [`delete rolebindings/${namespace}/mallory-only`, `patch clusterrolebindings/${shared}`].sort());
    assert.deepEqual(dry.plan.find((p) => p.kind === 'patch')!.detail, [
      { op: 'test', path: '/subjects', value: before.shared.subjects },
      { op: 'replace', path: '/subjects', value: [before.shared.subjects[0], before.shared.subjects[2]] },
    ]);
    assert.deepEqual(await state(), before, 'the dry run changed nothing');

    const ctx = { kube: responder };
    const first = await revokeUserBindings.run(ctx, { user });
    assert.equal(first.changed, true);
    assert.match(first.summary, /cannot revoke a client certificate or an OIDC token/);
    assert.match(first.summary, new RegExp(`left alone: .*${sys.replace(/[:]/g, '.')}.*system: binding`));
    assert.match(first.summary, /kube-system.*protected/);
    const after1 = await state();
    assert.equal(after1.only, 404, 'the binding only for the user is deleted');
    assert.deepEqual(after1.shared, { roleRef: before.shared.roleRef, subjects: [before.shared.subjects[0], before.shared.subjects[2]] });
    assert.deepEqual(after1.sys, before.sys, 'system: binding untouched');
    assert.deepEqual(after1.ks, before.ks, 'protected namespace untouched');
    assert.equal(await can({ user }, 'create', 'deployments', namespace), false, 'no longer allowed');
    assert.equal(await can({ user: 'bob@example.com' }, 'list', 'pods', namespace), true, 'the other subject keeps its access');

    const second = await revokeUserBindings.run(ctx, { user });
    assert.equal(second.changed, false);
    assert.equal(second.undo, null);
    assert.deepEqual(await state(), after1);

    const undone = await revokeUserBindings.undo(ctx, first.undo!);
    assert.equal(undone.changed, true);
    assert.deepEqual(await state(), before, 'restored exactly (subjects, roleRef)');
    const restored = await rbac.readNamespacedRoleBinding({ namespace, name: 'mallory-only' });
    assert.deepEqual(restored.metadata?.annotations, { ticket: 'OPS-1' });
    assert.deepEqual((await rbac.readClusterRoleBinding({ name: shared })).metadata?.labels, { team: 'sre' });
    const again = await revokeUserBindings.undo(ctx, first.undo!);
    assert.equal(again.changed, false, 'a second undo changes nothing');
    assert.deepEqual(await state(), before);
  });

  it('checkpoints every backup before changing anything: a retry after a crash still returns, and undo restores, what the first attempt changed', async () => {
    const before = await state();
    let saved: { bindings: Array<{ name: string }> } | null = null;
    // The first attempt changes the bindings, then its process dies before the step's result is journaled.
    await revokeUserBindings.run({ kube: responder, checkpoint: async (undo) => void (saved = undo as typeof saved) }, { user });
    assert.deepEqual(saved!.bindings.map((b) => b.name).sort(), ['mallory-only', shared].sort(), 'backed up before the first change');
    const retry = await revokeUserBindings.run({ kube: responder, priorUndo: saved }, { user });
    assert.equal(retry.changed, false, 'nothing left to change');
    assert.deepEqual(retry.undo, saved, 'the retry returns what the first attempt changed');
    await revokeUserBindings.undo({ kube: responder }, retry.undo!);
    assert.deepEqual(await state(), before, 'and undo restores it');
  });

  it('a group: removed from the shared binding; a binding that exists again is left alone by undo', async () => {
    const ctx = { kube: responder };
    const first = await revokeUserBindings.run(ctx, { group });
    assert.equal(first.changed, true);
    assert.deepEqual(first.undo!.bindings.map((b) => [b.name, b.change]), [[shared, 'patched']]);
    assert.equal(await can({ groups: [group] }, 'list', 'pods', namespace), false);
    // Someone puts the group back by hand before undo: undo leaves it as it is.
    const crb = await rbac.readClusterRoleBinding({ name: shared });
    await rbac.replaceClusterRoleBinding({ name: shared, body: { ...crb, subjects: [...(crb.subjects ?? []), { apiGroup: RBAC, kind: 'Group', name: group }] } });
    const undone = await revokeUserBindings.undo(ctx, first.undo!);
    assert.equal(undone.changed, false);
    assert.match(undone.summary, /already names/);
    assert.equal((await rbac.readClusterRoleBinding({ name: shared })).subjects?.filter((s) => s.name === group).length, 1);
  });

  it('refuses built-in identities, the responder itself, and bad parameters (naming the field)', async () => {
    const field = async (input: unknown): Promise<string> => {
      try {
        await revokeUserBindings.run({ kube: responder }, input as never);
      } catch (err) {
        return JSON.stringify((err as { issues?: Array<{ path: unknown[] }> }).issues?.map((i) => i.path) ?? (err as Error).message);
      }
      return 'accepted';
    };
    assert.equal(await field({ group: 'system:masters' }), '[["group"]]');
    assert.equal(await field({ user: 'system:kube-scheduler' }), '[["user"]]');
    assert.equal(await field({ user: 'system:serviceaccount:bulwark:responder' }), '[["user"]]', 'the responder itself');
    assert.equal(await field({}), '[["user"]]');
    assert.equal(await field({ user: 'a', group: 'b' }), '[["group"]]');
    assert.equal(await field({ user: '' }), '[["user"]]');
    await assert.rejects(revokeUserBindings.run({ kube: responder }, { user: 'a', extra: 1 } as never), /extra/);
    assert.ok(revokeUserBindings.params.safeParse(revokeUserBindings.example).success);
  });
});
