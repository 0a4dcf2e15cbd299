// services: k8s process
/**
 * The embedded path exactly as `npm start` runs it (docs/ARCHITECTURE.md, "Two modes, one code base"): the real
 * process, no Redis, so the correlator runs on its own worker thread over the SQLite file and hands each alert to the
 * responder in the same process. The real test kube-apiserver audits an attacker's calls into it through its webhook;
 * the bundled `contain-compromised-pod` playbook quarantines the attacker's pod on that API server.
 *
 * What the process shows about each hop is asserted, not assumed: `GET /v1/correlator/status` answers from the
 * thread (`thread: true`, its own counters), the alert's provenance and its evidence name the audit webhook and the
 * token only the API server holds, the run was started by the responder on that alert, and the NetworkPolicy selects
 * the attacker's pod and nothing else. Beside it, the same breach claimed through `_bulk` with a log shipper's token
 * is a log line and quarantines nothing.
 *
 * The API server's webhook posts over HTTPS (client-go sends its token only over TLS) to KUBE_AUDIT_PORT with
 * KUBE_AUDIT_TOKEN (test/services/k8s.sh). `npm start` serves that HTTPS itself (`server.tls` with the script's
 * certificate, no terminator in front); the API server's token is in the process's token store before it starts, as a
 * token minted earlier would be, granted exactly `k8s-audit`.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { rmSync } from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import { QUARANTINE_LABEL, type KubeClients } from '@bulwark/actions';
import type { BulwarkProcess } from '../support/bulwark-process.js';
import { startWebhookBulwark } from '../support/webhook-bulwark.js';
import { ATTACKER, bindToClusterAdmin, createPrivilegedPod, kubeConfigFor, kubeEnv, postExec } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { until } from '../support/until.js';

/** rules/kubernetes/secret_read.yml and rules/correlations/multi_stage_breach.yml. */
const SECRET_READ = '38eaadf0-deca-408e-8a4e-5ed4da013046';
const MULTI_STAGE = '4aa803c5-0e2f-4d2d-9bdd-9b1c4faf63ba';

type Alert = { id: string; rule: { id: string }; count: number; entity: { kind: string; value: string }; event_ids: string[]; annotations?: Record<string, string>; provenance?: { origin: string; sources: string[] } };
type Run = { id: string; status: string; inputs: Record<string, unknown>; trigger: { kind: string; actor: string; alert_id: string | null }; evidence: { trusted: boolean; alert_id: string; provenance: { origin: string; sources: string[] } }; steps: Array<{ id: string; status: string }> };
type Status = { thread?: boolean; answering?: boolean; restarts?: number; batches: number; events: number; alerts: number };

describe('the npm start worker-thread path: attacker audit events → correlator thread → responder → NetworkPolicy on the real test API server', () => {
  const ns = `npmstart-${randomBytes(3).toString('hex')}`;
  const pod = `evil-${randomBytes(3).toString('hex')}`;
  const claimedPod = `claimed-${randomBytes(3).toString('hex')}`;
  const claimedUser = `claimed-${randomBytes(3).toString('hex')}@example.com`;
  let p: BulwarkProcess;
  let admin: KubeClients;
  let dir: string | undefined;
  let reader = '';
  let shipper = '';
  let contained = false;

  const policies = async () => (await admin.networking.listNamespacedNetworkPolicy({ namespace: ns })).items;
  const status = () => p.get<Status>('/v1/correlator/status', reader);
  // Every audit event of the API server arrives here while the test holds the webhook's port: filter to ours.
  const attackerAlerts = async (rule: string) => (await p.get<{ items: Alert[] }>(`/v1/alerts?rule=${rule}&size=1000`, reader)).items.filter((a) => a.entity.value === ATTACKER);

  before(async () => {
    ({ admin } = await testKube(ns));
    // A bystander in the attacker's namespace (the quarantine must not select it) and the pod the forged claim names.
    for (const name of ['bystander', claimedPod]) {
      await admin.core.createNamespacedPod({ namespace: ns, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } });
    }
    ({ p, dir } = await startWebhookBulwark('bwk-npmstart-'));
    reader = (await p.mint('dashboard', ['read'])).token;
    shipper = (await p.mint('log-shipper', ['ingest'])).token;
  });
  after(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
    await admin?.rbac.deleteClusterRoleBinding({ name: `${pod}-admin` }).catch(() => {});
  });

  it("detects on the correlator thread from the API server's audit evidence; the in-process responder quarantines exactly the attacker's pod", async () => {
    const before = await status();
    assert.equal(before.thread, true, `detection runs on the correlator thread: ${JSON.stringify(before)}`);
    assert.notEqual(before.answering, false, 'the thread itself answers with its counters');

    // The attacker's calls on the real API server: a privileged pod, an exec into it (authorized, then refused for
    // want of a kubelet), a secrets list, a binding to cluster-admin.
    const attacker = kubeConfigFor(kubeEnv('KUBE_ATTACKER_TOKEN'));
    await createPrivilegedPod(attacker, ns, pod);
    assert.equal(await postExec(kubeEnv('KUBE_ATTACKER_TOKEN'), ns, pod), 400);
    await attacker.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: ns });
    await bindToClusterAdmin(attacker, `${pod}-admin`);

    const policy = await until('the quarantine NetworkPolicy on the API server', () =>
      admin.networking.readNamespacedNetworkPolicy({ namespace: ns, name: `bulwark-quarantine-${pod}` }), 40_000, 200);
    contained = true;
    // The action writes the policy first, then labels the pod: wait for the label.
    const target = await until('the quarantine label on the pod', async () => {
      const read = await admin.core.readNamespacedPod({ namespace: ns, name: pod });
      return read.metadata?.labels?.[QUARANTINE_LABEL] !== undefined ? read : null;
    }, 10_000, 200);
    assert.ok(target.metadata?.uid);
    assert.equal(target.metadata?.labels?.[QUARANTINE_LABEL], target.metadata?.uid, 'the pod carries its uid as the quarantine label');
    assert.deepEqual(policy.spec?.podSelector?.matchLabels, { [QUARANTINE_LABEL]: target.metadata?.uid }, 'the policy selects that pod by its uid');
    assert.deepEqual(policy.spec?.policyTypes, ['Ingress', 'Egress']);
    for (const name of ['bystander', claimedPod]) {
      const other = await admin.core.readNamespacedPod({ namespace: ns, name });
      assert.equal(other.metadata?.labels?.[QUARANTINE_LABEL], undefined, `${name} is not selected`);
    }
    assert.deepEqual((await policies()).map((x) => x.metadata?.name), [`bulwark-quarantine-${pod}`], 'the only policy in the namespace');

    // The alert that moved it: Bulwark's own correlation over evidence the API server's webhook delivered.
    const breach = await until('the multi-stage breach alert naming the pod', async () =>
      (await attackerAlerts(MULTI_STAGE)).find((a) => a.annotations?.pod === `${ns}/${pod}`));
    assert.deepEqual(breach.provenance && { origin: breach.provenance.origin, sources: breach.provenance.sources }, { origin: 'rule', sources: ['k8s-audit'] });
    assert.ok(breach.event_ids.length >= 3, `the breach's evidence: ${JSON.stringify(breach.event_ids)}`);
    for (const id of breach.event_ids) {
      const event = await p.get<Record<string, any>>(`/v1/events/${encodeURIComponent(id)}`, reader);
      assert.equal(event.event.dataset, 'kubernetes.audit');
      assert.equal(event.kubernetes.audit.user.username, ATTACKER);
      assert.equal(event.bulwark.provenance.route, '/v1/ingest/k8s-audit');
      assert.equal(event.bulwark.provenance.source, 'k8s-audit');
      assert.equal(event.bulwark.provenance.token.name, 'kube-apiserver', 'posted with the token only the API server holds');
    }

    // The thread counted what it evaluated and the alerts it recorded; it never had to be started again.
    const after = await status();
    assert.equal(after.thread, true);
    assert.notEqual(after.answering, false);
    assert.equal(after.restarts, 0);
    assert.ok(after.events > before.events, `events evaluated on the thread: ${before.events} → ${after.events}`);
    assert.ok(after.alerts >= before.alerts + 4, `the thread recorded the three stage alerts and the breach: ${before.alerts} → ${after.alerts}`);

    // The run: started by the responder on that alert, trusted, each step done by this process's responder.
    const run = await until('contain-compromised-pod succeeded', async () =>
      (await p.get<{ items: Run[] }>('/v1/runs?playbook=contain-compromised-pod&size=50', reader)).items.find((r) => r.inputs.pod === pod && r.status === 'succeeded'));
    assert.equal(run.trigger.actor, 'responder');
    assert.equal(run.trigger.alert_id, breach.id);
    assert.equal(run.evidence.trusted, true);
    assert.deepEqual(run.evidence.provenance.sources, ['k8s-audit']);
    assert.deepEqual(run.steps.map((s) => [s.id, s.status]), [['evidence', 'succeeded'], ['quarantine', 'succeeded'], ['mark_contained', 'succeeded'], ['notify', 'skipped']]);
    const audit = (await p.get<{ items: Array<{ step_id?: string; actor: string; result: string }> }>(`/v1/audit?run_id=${run.id}&size=20`, reader)).items;
    assert.ok(audit.some((a) => a.step_id === 'quarantine' && a.actor === 'playbook:contain-compromised-pod' && a.result === 'succeeded'), JSON.stringify(audit));
    // The responder is this process's (no bus is configured to reach another): it logged its start here.
    assert.match(p.output(), /"msg":"responder started"/);
  });

  it('the same breach claimed through _bulk with a log shipper token is a log line and quarantines nothing', async () => {
    assert.ok(contained, 'runs after the real attack was contained');
    const bulk = claimedBreach(ns, claimedPod, claimedUser).flatMap((doc) => [JSON.stringify({ create: { _index: 'logs-kubernetes.audit-default' } }), JSON.stringify(doc)]).join('\n') + '\n';
    const res = await p.fetch('/_bulk', { method: 'POST', token: shipper, headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    assert.equal(res.status, 200, await res.clone().text());
    const items = ((await res.json()) as { errors: boolean; items: Array<{ create: { _id: string; status: number } }> }).items;
    assert.deepEqual(items.map((i) => i.create.status), [201, 201, 201]);
    for (const { create } of items) {
      const event = await p.get<Record<string, any>>(`/v1/events/${encodeURIComponent(create._id)}`, reader);
      assert.notEqual(event.event.dataset, 'kubernetes.audit', 'never stored as audit evidence');
      assert.equal(event.kubernetes?.audit, undefined);
      assert.equal(event.bulwark.provenance.source, 'logs');
      assert.equal(event.bulwark.claimed.native, 'k8s-audit');
    }

    // The thread reads the store in order: once a real audit event stored after the claim has been evaluated (the
    // attacker lists secrets again, folding into the secret-read alerts' count), the claim was evaluated too.
    const secretReads = async () => (await attackerAlerts(SECRET_READ)).reduce((n, a) => n + a.count, 0);
    const seen = await secretReads();
    await kubeConfigFor(kubeEnv('KUBE_ATTACKER_TOKEN')).makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: ns });
    await until('the later real secrets list was evaluated', async () => (await secretReads()) > seen, 30_000, 200);

    assert.deepEqual((await policies()).map((x) => x.metadata?.name), [`bulwark-quarantine-${pod}`], 'no policy for the claimed pod');
    const claimed = await admin.core.readNamespacedPod({ namespace: ns, name: claimedPod });
    assert.equal(claimed.metadata?.labels?.[QUARANTINE_LABEL], undefined);
    const alerts = (await p.get<{ items: Alert[] }>('/v1/alerts?size=1000', reader)).items;
    assert.deepEqual(alerts.filter((a) => a.entity.value === claimedUser || JSON.stringify(a.annotations ?? {}).includes(claimedPod)), [], 'no alert about the claim');
    const runs = (await p.get<{ items: Run[] }>('/v1/runs?size=500', reader)).items;
    assert.deepEqual(runs.filter((r) => r.inputs.pod === claimedPod), [], 'no run for the claimed pod');
  });
});

/** The breach as audit events (exec into the pod, a secret read, a cluster-admin binding), as a log could carry them. */
function claimedBreach(namespace: string, pod: string, user: string): Array<Record<string, unknown>> {
  const t0 = Date.now() - 3 * 60_000;
  const event = (offset: number, fields: Record<string, unknown>) => ({
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: randomUUID(),
    stage: 'ResponseComplete',
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['203.0.113.45'],
    requestReceivedTimestamp: new Date(t0 + offset).toISOString(),
    stageTimestamp: new Date(t0 + offset + 40).toISOString(),
    annotations: { 'authorization.k8s.io/decision': 'allow' },
    ...fields,
  });
  return [
    event(0, { verb: 'create', requestURI: `/api/v1/namespaces/${namespace}/pods/${pod}/exec?command=sh`, objectRef: { resource: 'pods', subresource: 'exec', namespace, name: pod, apiVersion: 'v1' }, responseStatus: { code: 101 } }),
    event(60_000, { verb: 'get', requestURI: `/api/v1/namespaces/${namespace}/secrets/db`, objectRef: { resource: 'secrets', namespace, name: 'db', apiVersion: 'v1' }, responseStatus: { code: 200 } }),
    event(120_000, {
      verb: 'create',
      requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      objectRef: { resource: 'clusterrolebindings', name: `${pod}-admin`, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
      responseStatus: { code: 201 },
      requestObject: { kind: 'ClusterRoleBinding', roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ kind: 'User', name: user }] },
    }),
  ];
}
