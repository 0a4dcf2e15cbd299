// services: k8s
/**
 * Adversarial undo and quarantine (docs/ARCHITECTURE.md, "Undo from the journal"): undo restores Bulwark's own
 * journal and nothing the target says, and a
 * quarantine can be believed. The real `npm start` process acts on the real test kube-apiserver as the responder
 * identity (deploy/responder-clusterrole.yaml); runs are started by hand (`respond` token) on small playbooks without
 * approval steps. Between run and undo the attacker — mallory (KUBE_ATTACKER_TOKEN: pods, ServiceAccounts and bindings
 * everywhere, `bind` on cluster roles; here also the owner of the namespace's Deployments and NetworkPolicies) —
 * edits the targets: plants a backup naming a cluster-admin binding on the revoked ServiceAccount and makes a role it
 * was bound to grant everything, rewrites the recorded replica count, plants detached labels on the quarantined pod,
 * pre-creates a permissive look-alike of the quarantine policy. Assertions are on the API server.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { QUARANTINE_LABEL, kubeClients, statusOf, type KubeClients } from '@bulwark/actions';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { kubeEnv } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { until } from '../support/until.js';

const RBAC = 'rbac.authorization.k8s.io';
const MERGE = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);
const playbook = (name: string, action: string, inputs: string[], withLine: string) =>
  [`name: ${name}`, `description: ${action} by hand (adversarial-undo)`, 'inputs:', ...inputs.map((i) => `  ${i}: { type: string }`), 'steps:', `  - id: act`, `    action: ${action}`, `    with: ${withLine}`, ''].join('\n');

type Step = { id: string; status: string; summary: string | null; undo_summary: string | null; outputs: Record<string, unknown> | null; undo: unknown };
type Run = { id: string; status: string; error: string | null; steps: Step[] };

describe('adversarial: undo after tampering restores exactly the journal; quarantine can be believed', () => {
  let p: BulwarkProcess;
  let admin: KubeClients;
  let attacker: KubeClients;
  let dir: string;
  let respond: string;
  const suffix = randomBytes(3).toString('hex');
  const ns = `adv-undo-${suffix}`;
  const planted = `bwk-pwn-${suffix}`;
  const sharedCrb = `bwk-shared-${suffix}`;

  const getRun = async (id: string) => p.get<Run>(`/v1/runs/${id}`, respond);
  async function start(name: string, inputs: Record<string, string>): Promise<Run> {
    const res = await p.fetch(`/v1/playbooks/${name}/run`, { method: 'POST', token: respond, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ inputs }) });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    const run = await until(`run ${id} finished`, async () => {
      const r = await getRun(id);
      return ['succeeded', 'failed'].includes(r.status) ? r : null;
    });
    assert.equal(run.status, 'succeeded', JSON.stringify(run.steps));
    return run;
  }
  async function undo(id: string): Promise<Run> {
    const res = await p.fetch(`/v1/runs/${id}/undo`, { method: 'POST', token: respond, headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(res.status < 300, true, await res.clone().text());
    return until(`run ${id} undone`, async () => {
      const r = await getRun(id);
      return ['undone', 'failed'].includes(r.status) ? r : null;
    });
  }
  const clusterAdminBindingsOf = async (match: (s: k8s.RbacV1Subject) => boolean) =>
    (await admin.rbac.listClusterRoleBinding()).items.filter((b) => b.roleRef.name === 'cluster-admin' && (b.subjects ?? []).some(match)).map((b) => b.metadata!.name);

  before(async () => {
    ({ admin } = await testKube(ns));
    attacker = kubeClients({ server: kubeEnv('KUBE_API_URL'), caFile: kubeEnv('KUBE_CA_FILE'), token: kubeEnv('KUBE_ATTACKER_TOKEN') });
    // Mallory also owns the namespace's Deployments and NetworkPolicies (spelled out: no controller-manager here
    // aggregates the built-in `edit` role).
    await admin.rbac.createNamespacedRole({
      namespace: ns,
      body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'owner' }, rules: [{ apiGroups: ['apps', 'networking.k8s.io'], resources: ['deployments', 'networkpolicies'], verbs: ['*'] }] },
    });
    await admin.rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'mallory-owner' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'owner' }, subjects: [{ apiGroup: RBAC, kind: 'User', name: 'mallory@example.com' }] },
    });
    dir = mkdtempSync(join(tmpdir(), 'bwk-adv-undo-'));
    mkdirSync(join(dir, 'playbooks'));
    const pod = "{ namespace: '{{ inputs.namespace }}', pod: '{{ inputs.pod }}' }";
    writeFileSync(join(dir, 'playbooks', 'q.yml'), playbook('hand-quarantine', 'k8s.quarantinePod', ['namespace', 'pod'], pod));
    writeFileSync(join(dir, 'playbooks', 'r.yml'), playbook('hand-revoke', 'credentials.revokeServiceAccount', ['namespace', 'name'], "{ namespace: '{{ inputs.namespace }}', name: '{{ inputs.name }}' }"));
    writeFileSync(join(dir, 'playbooks', 's.yml'), playbook('hand-scale', 'k8s.scaleWorkload', ['namespace', 'name'], "{ namespace: '{{ inputs.namespace }}', name: '{{ inputs.name }}', replicas: 0 }"));
    writeFileSync(join(dir, 'kube-token'), kubeEnv('KUBE_RESPONDER_TOKEN'));
    p = await startBulwark({
      configYaml: [
        'responder:',
        `  playbooks_dir: ${join(dir, 'playbooks')}`,
        `  kube: { server: '${kubeEnv('KUBE_API_URL')}', token_file: '${join(dir, 'kube-token')}', ca_file: '${kubeEnv('KUBE_CA_FILE')}' }`,
        '',
      ].join('\n'),
      env: { BULWARK_CORRELATOR: 'false' },
    });
    respond = (await p.mint('oncall-bob', ['respond', 'read'])).token;
  });
  after(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
    for (const name of [planted, sharedCrb]) await admin?.rbac.deleteClusterRoleBinding({ name }).catch(() => {});
  });

  it('revoked ServiceAccount: a planted cluster-admin backup and a role escalated since are not bound on undo; the journaled binding is', async () => {
    const sa = 'ci';
    await admin.core.createNamespacedServiceAccount({ namespace: ns, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: sa } } });
    await admin.rbac.createNamespacedRole({ namespace: ns, body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'app-reader' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] } });
    await admin.rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'ci-reader' }, roleRef: { apiGroup: RBAC, kind: 'Role', name: 'app-reader' }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }] },
    });
    const shared = [{ apiGroup: RBAC, kind: 'User', name: 'alice@example.com' }, { kind: 'ServiceAccount', name: sa, namespace: ns }];
    await admin.rbac.createClusterRoleBinding({
      body: { apiVersion: `${RBAC}/v1`, kind: 'ClusterRoleBinding', metadata: { name: sharedCrb }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'view' }, subjects: shared },
    });
    const run = await start('hand-revoke', { namespace: ns, name: sa });
    assert.equal(await admin.rbac.readNamespacedRoleBinding({ namespace: ns, name: 'ci-reader' }).catch((e) => statusOf(e)), 404);

    // The attacker's requests between run and undo.
    const isSa = (s: k8s.RbacV1Subject) => s.kind === 'ServiceAccount' && s.name === sa && s.namespace === ns;
    const backup = {
      namespace: ns,
      name: sa,
      previousUid: null,
      uid: null,
      tokenSecrets: [],
      bindings: [
        { kind: 'ClusterRoleBinding', name: planted, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'ServiceAccount', name: sa, namespace: ns }], removed: [{ kind: 'ServiceAccount', name: sa, namespace: ns }], change: 'deleted', roleGrantsAll: true },
      ],
    };
    await attacker.core.patchNamespacedServiceAccount(
      { namespace: ns, name: sa, body: { metadata: { annotations: { 'bulwark.io/revocation': JSON.stringify(backup), 'bulwark.io/action-key': `${run.id}/act` } } } },
      MERGE,
    );
    // Namespace-wide cluster-admin for herself (she may bind cluster roles), then the revoked role grants everything.
    await attacker.rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { apiVersion: `${RBAC}/v1`, kind: 'RoleBinding', metadata: { name: 'mallory-admin' }, roleRef: { apiGroup: RBAC, kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: RBAC, kind: 'User', name: 'mallory@example.com' }] },
    });
    await attacker.rbac.replaceNamespacedRole({
      namespace: ns,
      name: 'app-reader',
      body: { apiVersion: `${RBAC}/v1`, kind: 'Role', metadata: { name: 'app-reader' }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] },
    });

    const undone = await undo(run.id);
    assert.equal(undone.status, 'undone', JSON.stringify(undone));
    assert.match(undone.steps[0]!.undo_summary ?? '', /restored 1 binding\(s\).*rolebindings\/.*\/ci-reader \(refused: Role app-reader grants every verb on every resource/);
    assert.equal(await admin.rbac.readClusterRoleBinding({ name: planted }).catch((e) => statusOf(e)), 404, 'the planted binding was not created');
    assert.deepEqual(await clusterAdminBindingsOf(isSa), [], 'no cluster-admin binding names the account');
    assert.equal(await admin.rbac.readNamespacedRoleBinding({ namespace: ns, name: 'ci-reader' }).catch((e) => statusOf(e)), 404, 'no binding to the escalated role');
    const restored = await admin.rbac.readClusterRoleBinding({ name: sharedCrb });
    assert.deepEqual(JSON.parse(JSON.stringify(restored.subjects)), shared, 'the journaled binding is restored exactly');
  });

  it('scaled workload: undo restores the journaled count whatever the Deployment says', async () => {
    await admin.apps.createNamespacedDeployment({
      namespace: ns,
      body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'shop' }, spec: { replicas: 3, selector: { matchLabels: { app: 'shop' } }, template: { metadata: { labels: { app: 'shop' } }, spec: { containers: [{ name: 'shop', image: 'shop:1' }] } } } },
    });
    const run = await start('hand-scale', { namespace: ns, name: 'shop' });
    assert.equal((await admin.apps.readNamespacedDeployment({ namespace: ns, name: 'shop' })).spec?.replicas, 0);
    await attacker.apps.patchNamespacedDeployment(
      { namespace: ns, name: 'shop', body: { metadata: { labels: { tier: 'gold' }, annotations: { 'bulwark.io/previous-replicas': '500', 'bulwark.io/action-key': 'run-forged/act' } } } },
      MERGE,
    );
    const undone = await undo(run.id);
    assert.equal(undone.status, 'undone', JSON.stringify(undone));
    const d = await admin.apps.readNamespacedDeployment({ namespace: ns, name: 'shop' });
    assert.equal(d.spec?.replicas, 3, 'the journaled count, not the planted one');
    assert.match(undone.steps[0]!.undo_summary ?? '', /restored deployments\/.*\/shop\/scale to 3 \(its bulwark\.io\/action-key marker names run-forged\/act: the count comes from the run journal\)/);
  });

  it('quarantined pod: planted detached labels are not applied on undo; the labels are exactly as before', async () => {
    await admin.core.createNamespacedPod({
      namespace: ns,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-1', labels: { app: 'web', tier: 'front' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
    });
    const run = await start('hand-quarantine', { namespace: ns, pod: 'web-1' });
    const uid = (await admin.core.readNamespacedPod({ namespace: ns, name: 'web-1' })).metadata!.uid!;
    assert.equal((await admin.core.readNamespacedPod({ namespace: ns, name: 'web-1' })).metadata?.labels?.[QUARANTINE_LABEL], uid);
    await attacker.core.patchNamespacedPod(
      { namespace: ns, name: 'web-1', body: { metadata: { annotations: { 'bulwark.io/detached-labels': JSON.stringify({ app: 'payments-db', role: 'admin' }), 'bulwark.io/previous-labels': '{"tier":"db"}' } } } },
      MERGE,
    );
    const undone = await undo(run.id);
    assert.equal(undone.status, 'undone', JSON.stringify(undone));
    const pod = await admin.core.readNamespacedPod({ namespace: ns, name: 'web-1' });
    assert.deepEqual(pod.metadata?.labels, { app: 'web', tier: 'front' });
    assert.equal(await admin.networking.readNamespacedNetworkPolicy({ namespace: ns, name: 'bulwark-quarantine-web-1' }).catch((e) => statusOf(e)), 404);
  });

  it('a pre-created permissive quarantine policy is replaced; another policy allowing the pod is reported on the run', async () => {
    await admin.core.createNamespacedPod({
      namespace: ns,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'api-1', labels: { app: 'api' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
    });
    const np = (name: string, spec: k8s.V1NetworkPolicySpec) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name }, spec });
    await attacker.networking.createNamespacedNetworkPolicy({ namespace: ns, body: np('bulwark-quarantine-api-1', { podSelector: {}, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] }) });
    await attacker.networking.createNamespacedNetworkPolicy({ namespace: ns, body: np('api-egress-open', { podSelector: { matchLabels: { app: 'api' } }, policyTypes: ['Egress'], egress: [{}] }) });

    const run = await start('hand-quarantine', { namespace: ns, pod: 'api-1' });
    const uid = (await admin.core.readNamespacedPod({ namespace: ns, name: 'api-1' })).metadata!.uid!;
    const policy = await admin.networking.readNamespacedNetworkPolicy({ namespace: ns, name: 'bulwark-quarantine-api-1' });
    assert.deepEqual(JSON.parse(JSON.stringify(policy.spec)), {
      podSelector: { matchLabels: { [QUARANTINE_LABEL]: uid } },
      policyTypes: ['Ingress', 'Egress'],
      egress: [{ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] }],
    });
    const step = run.steps[0]!;
    assert.match(step.summary ?? '', /replaced the NetworkPolicy bulwark-quarantine-api-1/);
    assert.match(step.summary ?? '', /WARNING: the quarantine of pod .*\/api-1 does not hold: .*NetworkPolicy api-egress-open \(allows egress\) also selects the pod/);
    assert.deepEqual(step.outputs?.allowing_policies, [{ name: 'api-egress-open', allows: ['egress'] }]);
  });
});
