// services: k8s
/**
 * credentials.revokeServiceAccount on the real API server of test/services, as the responder identity: a token issued
 * earlier through TokenRequest authenticates before and is refused (401) after; the account comes back with its
 * configuration and a new uid; its legacy token secret is deleted and a mountable secret listed next to it is not;
 * its bindings lose exactly that subject; undo restores them exactly; a second run and a second undo are harmless; a
 * dry run applies nothing; protected namespaces and the responder's own account are refused.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { kubeClients, revokeServiceAccount, statusOf, type KubeClients } from '../src/index.js';
import { StepJournal, applyResponderRole, kubeConfigFor, kubeEnv, testClients } from './helpers.js';

const RBAC = 'rbac.authorization.k8s.io';

describe('credentials.revokeServiceAccount on a real API server', () => {
  let admin: KubeClients;
  let responder: KubeClients;
  let rbac: k8s.RbacAuthorizationV1Api;
  const suffix = randomBytes(3).toString('hex');
  const namespace = `cr-${suffix}`;
  const sa = 'victim';
  const crbShared = `bwk-test-shared-${suffix}`;
  const crbSelf = `bwk-test-self-${suffix}`;
  const ksBinding = `bwk-test-${suffix}`;
  const crbResponder = `bwk-test-responder-${suffix}`;

  const issueToken = async (name: string): Promise<string> => {
    const issued = await admin.core.createNamespacedServiceAccountToken({
      namespace,
      name,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 3600 } },
    });
    return issued.status!.token!;
  };
  /** The user name the API server authenticates `token` as, or its HTTP status when it refuses. */
  const whoIs = async (token: string): Promise<string | number> => {
    try {
      const review = await kubeConfigFor(token).makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({
        body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
      });
      return review.status!.userInfo!.username!;
    } catch (err) {
      return statusOf(err) ?? -1;
    }
  };
  const state = async () => ({
    rb: await rbac.readNamespacedRoleBinding({ namespace, name: 'victim-only' }).catch((e) => statusOf(e)),
    rbUser: await rbac.readNamespacedRoleBinding({ namespace, name: 'victim-as-user' }).catch((e) => statusOf(e)),
    crbShared: await rbac.readClusterRoleBinding({ name: crbShared }).catch((e) => statusOf(e)),
    crbSelf: await rbac.readClusterRoleBinding({ name: crbSelf }).catch((e) => statusOf(e)),
    ks: await rbac.readNamespacedRoleBinding({ namespace: 'kube-system', name: ksBinding }).catch((e) => statusOf(e)),
  });
  /** roleRef and subjects as plain JSON (the client returns class instances), or the HTTP status (404: gone). */
  const shape = (b: k8s.V1RoleBinding | k8s.V1ClusterRoleBinding | number | undefined) =>
    typeof b === 'object' ? JSON.parse(JSON.stringify({ roleRef: b.roleRef, subjects: b.subjects })) : b;

  before(async () => {
    ({ admin, responder } = testClients());
    rbac = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN')).makeApiClient(k8s.RbacAuthorizationV1Api);
    await applyResponderRole();
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
    await admin.core.createNamespacedServiceAccount({
      namespace,
      body: {
        apiVersion: 'v1',
        kind: 'ServiceAccount',
        metadata: { name: sa, labels: { app: 'ci' }, annotations: { owner: 'team-ci' } },
        imagePullSecrets: [{ name: 'registry' }],
        automountServiceAccountToken: false,
        secrets: [{ name: 'victim-token-x1' }, { name: 'victim-config' }],
      },
    });
    await admin.core.createNamespacedServiceAccount({ namespace, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'other' } } });
    // A legacy token secret (no controller-manager here to fill in its token, but the type and annotation are real)
    // and a mountable secret that the account lists but that is not a token.
    await admin.core.createNamespacedSecret({
      namespace,
      body: {
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: 'victim-token-x1', annotations: { 'kubernetes.io/service-account.name': sa } },
        type: 'kubernetes.io/service-account-token',
      },
    });
    await admin.core.createNamespacedSecret({ namespace, body: { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'victim-config' }, stringData: { a: 'b' } } });
    await rbac.createNamespacedRole({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] },
    });
    const roleRef = { apiGroup: RBAC, kind: 'Role', name: 'reader' };
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'victim-only', labels: { team: 'ci' } }, roleRef, subjects: [{ kind: 'ServiceAccount', name: sa, namespace }] },
    });
    // The same account named the other way a binding can: as its user name.
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        apiVersion: `${RBAC}/v1`,
        kind: 'RoleBinding',
        metadata: { name: 'victim-as-user' },
        roleRef,
        subjects: [
          { kind: 'ServiceAccount', name: 'other', namespace },
          { apiGroup: RBAC, kind: 'User', name: `system:serviceaccount:${namespace}:${sa}` },
        ],
      },
    });
    const view = { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' };
    await rbac.createClusterRoleBinding({
      body: {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: crbShared, annotations: { why: 'shared' } },
        roleRef: view,
        subjects: [
          { apiGroup: RBAC, kind: 'User', name: 'alice@example.com' },
          { kind: 'ServiceAccount', name: sa, namespace },
          { apiGroup: RBAC, kind: 'Group', name: 'auditors' },
        ],
      },
    });
    await rbac.createClusterRoleBinding({
      body: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: crbSelf }, roleRef: { ...view, name: 'edit' }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace }] },
    });
    // In a protected namespace: left alone.
    await rbac.createNamespacedRoleBinding({
      namespace: 'kube-system',
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: ksBinding }, roleRef: view, subjects: [{ kind: 'ServiceAccount', name: sa, namespace }] },
    });
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
    for (const name of [crbShared, crbSelf, crbResponder]) await rbac?.deleteClusterRoleBinding({ name }).catch(() => {});
    await rbac?.deleteNamespacedRoleBinding({ namespace: 'kube-system', name: ksBinding }).catch(() => {});
  });

  it('a token issued earlier is refused after the revocation; bindings lose exactly that subject; undo restores them', async () => {
    const token = await issueToken(sa);
    assert.equal(await whoIs(token), `system:serviceaccount:${namespace}:${sa}`, 'the token authenticates before');
    const before = await state();
    const oldUid = (await admin.core.readNamespacedServiceAccount({ namespace, name: sa })).metadata!.uid!;

    // Dry run: the exact plan, nothing applied.
    const dry = await revokeServiceAccount.run({ kube: responder, dryRun: true }, { namespace, name: sa });
    assert.equal(dry.changed, false);
    assert.equal(dry.undo, null);
    const planned = new Set(dry.plan.map((p) => `${p.kind} ${p.target}`));
    for (const want of [
      `delete serviceaccounts/${namespace}/${sa}`,
      `create serviceaccounts/${namespace}/${sa}`,
      `delete secrets/${namespace}/victim-token-x1`,
      `delete secrets/${namespace}/victim-config`,
      `delete rolebindings/${namespace}/victim-only`,
      `patch rolebindings/${namespace}/victim-as-user`,
      `delete clusterrolebindings/${crbSelf}`,
      `patch clusterrolebindings/${crbShared}`,
    ]) {
      assert.ok(planned.has(want), `planned: ${want} (${[...planned].join(', ')})`);
    }
    assert.equal(planned.size, 8, [...planned].join(', '));
    const patch = dry.plan.find((p) => p.target === `clusterrolebindings/${crbShared}`)!.detail as Array<{ op: string; value: unknown }>;
    assert.deepEqual(patch[1], {
      op: 'replace',
      path: '/subjects',
      value: [
        { apiGroup: RBAC, kind: 'User', name: 'alice@example.com' },
        { apiGroup: RBAC, kind: 'Group', name: 'auditors' },
      ],
    });
    assert.match(dry.summary, /kube-system\/.*protected/);
    assert.deepEqual(await state(), before, 'the dry run changed no binding');
    assert.equal((await admin.core.readNamespacedServiceAccount({ namespace, name: sa })).metadata!.uid, oldUid);
    assert.equal(await whoIs(token), `system:serviceaccount:${namespace}:${sa}`, 'the dry run revoked nothing');

    // The revocation, as the responder.
    const ctx = { kube: responder };
    const first = await revokeServiceAccount.run(ctx, { namespace, name: sa });
    assert.equal(first.changed, true);
    assert.match(first.summary, /tokens stay revoked/);
    let seen: string | number = '';
    const revokedAt = Date.now();
    for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 100))) {
      seen = await whoIs(token);
      if (seen === 401) break;
    }
    // The API server caches a successful token authentication for 10 s: within that, a token it just accepted still passes.
    assert.equal(seen, 401, 'the API server refuses the earlier token');
    console.log(`# the earlier token was refused ${Date.now() - revokedAt} ms after the revocation returned`);

    const now = await admin.core.readNamespacedServiceAccount({ namespace, name: sa });
    assert.notEqual(now.metadata!.uid, oldUid, 'a new account (new uid)');
    assert.deepEqual(now.metadata!.labels, { app: 'ci' });
    assert.deepEqual(now.metadata!.annotations, { owner: 'team-ci' });
    assert.deepEqual(now.imagePullSecrets?.map((r) => r.name), ['registry']);
    assert.equal(now.automountServiceAccountToken, false);
    assert.equal(await admin.core.readNamespacedSecret({ namespace, name: 'victim-token-x1' }).catch((e) => statusOf(e)), 404, 'legacy token secret deleted');
    assert.equal((await admin.core.readNamespacedSecret({ namespace, name: 'victim-config' })).data?.a, Buffer.from('b').toString('base64'), 'the mountable secret is untouched');
    assert.equal(await whoIs(await issueToken(sa)), `system:serviceaccount:${namespace}:${sa}`, 'a token issued now works (the account lives on)');

    const after1 = await state();
    assert.equal(after1.rb, 404, 'the binding only for it is deleted');
    assert.equal(after1.crbSelf, 404);
    assert.deepEqual(shape(after1.rbUser), { roleRef: shape(before.rbUser).roleRef, subjects: [{ kind: 'ServiceAccount', name: 'other', namespace }] });
    assert.deepEqual(shape(after1.crbShared).subjects, [
      { apiGroup: RBAC, kind: 'User', name: 'alice@example.com' },
      { apiGroup: RBAC, kind: 'Group', name: 'auditors' },
    ]);
    assert.deepEqual(shape(after1.ks), shape(before.ks), 'protected namespace left alone');
    assert.equal(first.undo!.bindings.length, 4);
    assert.equal(first.undo!.previousUid, oldUid);

    // Second run: rotates again (and says so), touches no binding.
    const second = await revokeServiceAccount.run(ctx, { namespace, name: sa });
    assert.equal(second.changed, true);
    assert.match(second.summary, /only rotated/);
    assert.deepEqual(second.undo!.bindings, []);
    assert.deepEqual(await state(), after1);

    // Undo restores the bindings exactly; the token stays refused.
    const undone = await revokeServiceAccount.undo(ctx, first.undo!);
    assert.equal(undone.changed, true);
    assert.match(undone.summary, /tokens stay revoked/);
    const restored = await state();
    for (const key of ['rb', 'rbUser', 'crbShared', 'crbSelf', 'ks'] as const) assert.deepEqual(shape(restored[key]), shape(before[key]), key);
    assert.deepEqual((restored.rb as k8s.V1RoleBinding).metadata!.labels, { team: 'ci' });
    assert.equal(await whoIs(token), 401, 'undo never restores a token');

    const again = await revokeServiceAccount.undo(ctx, first.undo!);
    assert.equal(again.changed, false, 'a second undo changes nothing');
    assert.equal(again.plan.length, 0);
    assert.equal((await revokeServiceAccount.undo(ctx, second.undo!)).changed, false);
    const final = await state();
    for (const key of ['rb', 'rbUser', 'crbShared', 'crbSelf'] as const) assert.deepEqual(shape(final[key]), shape(before[key]), key);
  });

  it('a retried run with the same idempotency key recognises its own recreation and returns the same undo record', async () => {
    const name = 'keyed';
    await admin.core.createNamespacedServiceAccount({ namespace, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } });
    await rbac.createNamespacedRoleBinding({
      namespace,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'keyed' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'reader' }, subjects: [{ kind: 'ServiceAccount', name, namespace }] },
    });
    const ctx = { kube: responder, idempotencyKey: `run-${suffix}/revoke` };
    const journal = new StepJournal(ctx);
    const first = await revokeServiceAccount.run(journal.attempt(), { namespace, name });
    const uid = (await admin.core.readNamespacedServiceAccount({ namespace, name })).metadata!;
    assert.equal(uid.annotations?.['bulwark.io/action-key'], ctx.idempotencyKey);
    const retried = await revokeServiceAccount.run(journal.attempt(), { namespace, name });
    assert.deepEqual(retried.undo, first.undo);
    assert.equal((await admin.core.readNamespacedServiceAccount({ namespace, name })).metadata!.uid, uid.uid, 'not rotated again');
    // Another step (another key) rotates.
    const other = await revokeServiceAccount.run({ kube: responder, idempotencyKey: `run-${suffix}/other` }, { namespace, name });
    assert.equal(other.changed, true);
    assert.notEqual((await admin.core.readNamespacedServiceAccount({ namespace, name })).metadata!.uid, uid.uid);
    await revokeServiceAccount.undo(ctx, first.undo!);
    assert.equal((await rbac.readNamespacedRoleBinding({ namespace, name: 'keyed' })).subjects?.[0]?.name, name);
  });

  it('refuses protected namespaces, the responder itself, and bad parameters (naming the field)', async () => {
    await assert.rejects(revokeServiceAccount.run({ kube: responder }, { namespace: 'kube-system', name: 'coredns' }), /protected/);
    await assert.rejects(revokeServiceAccount.run({ kube: responder }, { namespace } as never), (err: Error) => /name/.test(err.message));
    await assert.rejects(revokeServiceAccount.run({ kube: responder }, { namespace, name: sa, extra: 1 } as never), /extra/);
    assert.ok(revokeServiceAccount.params.safeParse(revokeServiceAccount.example).success);

    // A responder running as a service account of this namespace may not revoke itself.
    await admin.core.createNamespacedServiceAccount({ namespace, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'responder' } } });
    await rbac.createClusterRoleBinding({
      body: {
        apiVersion: `${RBAC}/v1`,
        kind: 'ClusterRoleBinding',
        metadata: { name: crbResponder },
        roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'bulwark-responder' },
        subjects: [{ kind: 'ServiceAccount', name: 'responder', namespace }],
      },
    });
    const self = kubeClients({ server: kubeEnv('KUBE_API_URL'), caFile: kubeEnv('KUBE_CA_FILE'), token: await issueToken('responder') });
    await assert.rejects(revokeServiceAccount.run({ kube: self }, { namespace, name: 'responder' }), /own identity/);
    assert.ok(await rbac.readClusterRoleBinding({ name: crbResponder }), 'its binding is untouched');
  });
});
