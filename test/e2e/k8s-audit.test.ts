// services: k8s
/**
 * The audit webhook end to end: a real Kubernetes API server (test/services/up k8s: kube-apiserver on an embedded etcd,
 * token auth, RBAC) sends its audit log through its webhook to the collector, which serves HTTPS itself (server.tls,
 * no terminator in front). An attacker's actions through the real API, made with @kubernetes/client-node — a privileged pod, an exec into it (refused later for want of a kubelet, but
 * authorized and audited), a secrets list, a ClusterRoleBinding to cluster-admin — arrive as audit events, are
 * searchable with the right user, verb and object, and raise the bundled detections as one incident. Then the
 * incident's critical breach alert names the pod, and the bundled `contain-compromised-pod` playbook quarantines
 * exactly that pod on the real API server, as the responder identity, with evidence, audit and timeline entries.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { kubeClients, QUARANTINE_LABEL } from '@bulwark/actions';
import { searchHits, startHarness, type Harness } from '../support/harness.js';
import { ATTACKER, applyResponderRole, bindToClusterAdmin, createPrivilegedPod, kubeConfigFor, kubeEnv, postExec } from '../support/kube.js';

/** rules/: pod_exec_attach, secret_read, cluster_admin_binding, privileged_pod_created; the multi-stage breach. */
const EXEC = '1fea1988-ca78-480b-a140-a99798d3a434';
const SECRET_READ = '38eaadf0-deca-408e-8a4e-5ed4da013046';
const CLUSTER_ADMIN = '7988ddd7-3007-4e87-b02a-71430693cb09';
const MULTI_STAGE = '4aa803c5-0e2f-4d2d-9bdd-9b1c4faf63ba';

const client = kubeConfigFor;

describe('a real kube-apiserver audits into the collector', () => {
  let h: Harness;
  const pod = `evil-${randomBytes(3).toString('hex')}`;
  const started = Date.now() - 1000;
  before(async () => {
    await applyResponderRole();
    // The API server's webhook authenticates with the ingest token test/services/k8s.sh gave it.
    h = await startHarness({}, {
      correlator: { pollIntervalMs: 50 },
      port: Number(kubeEnv('KUBE_AUDIT_PORT')),
      tokens: [{ name: 'kube-apiserver-audit', scopes: ['ingest'], secret: kubeEnv('KUBE_AUDIT_TOKEN') }],
      // client-go sends the webhook's token only over TLS: Bulwark serves it (server.tls) with the script's certificate.
      tls: { certFile: kubeEnv('KUBE_AUDIT_TLS_CERT'), keyFile: kubeEnv('KUBE_AUDIT_TLS_KEY') },
      // The bundled playbooks, acting as the responder identity bound to deploy/responder-clusterrole.yaml.
      responder: { kube: kubeClients({ server: kubeEnv('KUBE_API_URL'), caFile: kubeEnv('KUBE_CA_FILE'), token: kubeEnv('KUBE_RESPONDER_TOKEN') }) },
    });
  });
  after(async () => {
    await h?.close();
    const admin = client(kubeEnv('KUBE_ADMIN_TOKEN'));
    await admin.makeApiClient(k8s.CoreV1Api).deleteNamespacedPod({ namespace: 'default', name: pod }).catch(() => {});
    await admin.makeApiClient(k8s.NetworkingV1Api).deleteNamespacedNetworkPolicy({ namespace: 'default', name: `bulwark-quarantine-${pod}` }).catch(() => {});
    await admin.makeApiClient(k8s.RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: `${pod}-admin` }).catch(() => {});
  });

  it("the attacker's actions arrive, are searchable, and raise the detections as one incident", async () => {
    const attacker = client(kubeEnv('KUBE_ATTACKER_TOKEN'));
    const core = attacker.makeApiClient(k8s.CoreV1Api);
    await createPrivilegedPod(attacker, 'default', pod);
    assert.equal(await postExec(kubeEnv('KUBE_ATTACKER_TOKEN'), 'default', pod), 400, 'exec is authorized, then fails: no kubelet');
    await core.listNamespacedSecret({ namespace: 'kube-system' });
    await bindToClusterAdmin(attacker, `${pod}-admin`);

    // Searchable with the right user, verb and object (the webhook batches for up to a second).
    const wanted = [
      ['create', 'pods', undefined],
      ['create', 'pods', 'exec'],
      ['list', 'secrets', undefined],
      ['create', 'clusterrolebindings', undefined],
    ];
    let hits: Array<Record<string, any>> = [];
    const deadline = Date.now() + 30_000;
    for (;;) {
      hits = await searchHits(h, `user.name:"${ATTACKER}"`);
      const seen = (verb: string, resource: string, sub: string | undefined) =>
        hits.some((e) => e.kubernetes?.audit?.verb === verb && e.kubernetes.audit.objectRef?.resource === resource && e.kubernetes.audit.objectRef?.subresource === sub);
      if (wanted.every(([v, r, s]) => seen(v!, r!, s))) break;
      assert.ok(Date.now() < deadline, `audit events arrived: ${JSON.stringify(hits.map((e) => [e.kubernetes?.audit?.verb, e.kubernetes?.audit?.objectRef]))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const execEvent = hits.find((e) => e.kubernetes.audit.objectRef?.subresource === 'exec')!;
    assert.equal(execEvent.kubernetes.audit.objectRef.name, pod);
    assert.equal(execEvent.kubernetes.audit.user.username, ATTACKER);

    // One incident for the attacker, with the rule alerts and the critical multi-stage breach naming the pod.
    type Item = { id: string; severity: string; alert_count: number; entity: { kind: string; value: string } };
    type AlertItem = { rule: { id: string }; severity: string; annotations?: Record<string, string> };
    const get = async <T>(path: string): Promise<T> => (await (await h.fetch(path, { token: h.tokens.read })).json()) as T;
    let incidents: Item[] = [];
    let alerts: AlertItem[] = [];
    const until = Date.now() + 30_000;
    for (;;) {
      incidents = (await get<{ items: Item[] }>('/v1/incidents')).items.filter((i) => i.entity.value === ATTACKER);
      alerts = incidents.length === 1 ? (await get<{ items: AlertItem[] }>(`/v1/incidents/${incidents[0]!.id}/alerts`)).items : [];
      if (alerts.some((a) => a.rule.id === MULTI_STAGE)) break;
      assert.ok(Date.now() < until, `incident: ${JSON.stringify(incidents)} alerts: ${JSON.stringify(alerts.map((a) => a.rule.id))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.equal(incidents.length, 1);
    const rules = new Set(alerts.map((a) => a.rule.id));
    for (const id of [EXEC, SECRET_READ, CLUSTER_ADMIN, MULTI_STAGE]) assert.ok(rules.has(id), `rule ${id} fired: ${[...rules].join(', ')}`);
    const breach = alerts.find((a) => a.rule.id === MULTI_STAGE)!;
    assert.equal(breach.severity, 'critical');
    assert.equal(breach.annotations?.pod, `default/${pod}`);
    assert.equal(incidents[0]!.severity, 'critical');
  });

  it('the critical breach starts contain-compromised-pod: evidence, exactly that pod quarantined, incident contained', async () => {
    const admin = client(kubeEnv('KUBE_ADMIN_TOKEN'));
    const networking = admin.makeApiClient(k8s.NetworkingV1Api);
    const core = admin.makeApiClient(k8s.CoreV1Api);
    const policyName = `bulwark-quarantine-${pod}`;
    let policy: k8s.V1NetworkPolicy | null = null;
    const deadline = Date.now() + 30_000;
    while (!policy) {
      policy = await networking.readNamespacedNetworkPolicy({ namespace: 'default', name: policyName }).catch(() => null);
      if (!policy) {
        assert.ok(Date.now() < deadline, 'the quarantine NetworkPolicy appeared');
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    // The action writes the policy first, then labels the pod (the policy selects nothing until then): wait for both.
    let target = await core.readNamespacedPod({ namespace: 'default', name: pod });
    while (target.metadata?.labels?.[QUARANTINE_LABEL] === undefined && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
      target = await core.readNamespacedPod({ namespace: 'default', name: pod });
    }
    assert.equal(target.metadata?.labels?.[QUARANTINE_LABEL], target.metadata?.uid, 'the pod carries the quarantine label with its uid');
    assert.deepEqual(policy.spec?.podSelector?.matchLabels, { [QUARANTINE_LABEL]: target.metadata?.uid });
    assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress']);
    assert.deepEqual(policy.spec?.ingress ?? [], []);
    const policies = (await networking.listNamespacedNetworkPolicy({ namespace: 'default' })).items.filter(
      (p) => p.metadata?.name?.startsWith('bulwark-quarantine-') && new Date(p.metadata.creationTimestamp!).getTime() >= started,
    );
    assert.deepEqual(policies.map((p) => p.metadata?.name), [policyName], 'only that pod is quarantined');

    type Run = { id: string; playbook: string; status: string; trigger: { incident_id: string }; steps: Array<{ id: string; status: string; outputs: Record<string, unknown> | null }> };
    const get = async <T>(path: string): Promise<T> => (await (await h.fetch(path, { token: h.tokens.read })).json()) as T;
    let run: Run | undefined;
    const until = Date.now() + 30_000;
    for (;;) {
      run = (await get<{ items: Run[] }>('/v1/runs?playbook=contain-compromised-pod')).items[0];
      if (run && run.status === 'succeeded') break;
      assert.ok(Date.now() < until, `the run finished: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.deepEqual(run.steps.map((s) => [s.id, s.status]), [['evidence', 'succeeded'], ['quarantine', 'succeeded'], ['mark_contained', 'succeeded'], ['notify', 'skipped']]);
    assert.match(String(run.steps[0]!.outputs?.sha256), /^[0-9a-f]{64}$/);

    const incident = await get<{ status: string; tags: string[]; timeline: Array<{ kind: string; summary: string }> }>(`/v1/incidents/${run.trigger.incident_id}`);
    assert.equal(incident.status, 'contained');
    assert.ok(incident.tags.includes('contained-by-bulwark'));
    assert.ok(incident.timeline.some((e) => e.kind === 'evidence' && e.summary.includes(String(run.steps[0]!.outputs?.sha256))), 'evidence on the timeline with its hash');
    assert.ok(incident.timeline.some((e) => e.kind === 'action' && /quarantined pod default\//.test(e.summary)), 'the quarantine on the timeline');
    const audit = await h.deps.cases.query<{ id: string; step_id: string; result: string; actor: string }>('audit', { filter: { run_id: run.id }, size: 20 });
    assert.deepEqual(audit.items.map((a) => a.record.step_id).sort(), ['evidence', 'mark_contained', 'quarantine']);
    assert.ok(audit.items.every((a) => a.record.actor === 'playbook:contain-compromised-pod' && a.record.result === 'succeeded'));
  });
});

describe('the responder ClusterRole Bulwark ships (deploy/responder-clusterrole.yaml)', () => {
  it('allows a containment action and refuses reading secret values', async () => {
    const admin = client(kubeEnv('KUBE_ADMIN_TOKEN')).makeApiClient(k8s.CoreV1Api);
    const name = `victim-${randomBytes(3).toString('hex')}`;
    await admin.createNamespacedPod({
      namespace: 'default',
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } },
    });
    await admin.createNamespacedSecret({ namespace: 'default', body: { apiVersion: 'v1', kind: 'Secret', metadata: { name }, stringData: { password: 'hunter2' } } });

    const responder = client(kubeEnv('KUBE_RESPONDER_TOKEN'));
    // Quarantine: label the pod and isolate it with a deny-all NetworkPolicy selecting that label.
    await responder.makeApiClient(k8s.CoreV1Api).patchNamespacedPod(
      { namespace: 'default', name, body: [{ op: 'add', path: '/metadata/labels/bulwark.io~1quarantine', value: 'true' }] },
      k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch),
    );
    await responder.makeApiClient(k8s.NetworkingV1Api).createNamespacedNetworkPolicy({
      namespace: 'default',
      body: {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: `quarantine-${name}` },
        spec: { podSelector: { matchLabels: { 'bulwark.io/quarantine': 'true' } }, policyTypes: ['Ingress', 'Egress'] },
      },
    });
    const patched = await admin.readNamespacedPod({ namespace: 'default', name });
    assert.equal(patched.metadata?.labels?.['bulwark.io/quarantine'], 'true');

    // Reading secret values is refused, by name and by listing.
    const core = responder.makeApiClient(k8s.CoreV1Api);
    await assert.rejects(core.readNamespacedSecret({ namespace: 'default', name }), (err: { code?: number }) => err.code === 403);
    await assert.rejects(core.listNamespacedSecret({ namespace: 'default' }), (err: { code?: number }) => err.code === 403);
  });
});

describe('service accounts on the test control plane', () => {
  it('the TokenRequest API issues a token the API server then accepts as that service account', async () => {
    const attacker = client(kubeEnv('KUBE_ATTACKER_TOKEN')).makeApiClient(k8s.CoreV1Api);
    const name = `sa-${randomBytes(3).toString('hex')}`;
    await attacker.createNamespacedServiceAccount({ namespace: 'default', body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name } } });
    const issued = await attacker.createNamespacedServiceAccountToken({
      namespace: 'default',
      name,
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 600 } },
    });
    const token = issued.status?.token;
    assert.ok(token, 'a token was issued');
    const review = await client(token).makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    assert.equal(review.status?.userInfo?.username, `system:serviceaccount:default:${name}`);
  });
});
