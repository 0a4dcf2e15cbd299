// services: k8s
/**
 * What acts without a person, and separation of duties (docs/ARCHITECTURE.md, "Trust model"), as an attacker tries
 * them against the real `npm start` process, acting on the real test
 * kube-apiserver as the responder identity. Each attack is the attacker's exact requests; each is answered by no
 * automatic action on the API server, and the legitimate path beside it still works:
 * - an `alerts` token posts a critical alert naming a real pod, or Alertmanager sends one with namespace/pod labels:
 *   the run waits for a person, the pod is not quarantined — while a real audit-webhook breach quarantines its pod by
 *   itself;
 * - a miner pool string gets into a workload's container log (say, an ingress access log): scale-to-zero waits for a
 *   person, the replicas stay — while a real Falco miner alert quarantines the pod at once and its scale-to-zero is
 *   approved by a person and acts;
 * - a decoy alert about the same user, posted first (with a far-future last_seen), does not take the incident's one
 *   automatic run: the audit breach that follows still quarantines the pod it names, and only that pod;
 * - whoever starts a run cannot approve it (any token of their name, 403 BWK_SELF_APPROVAL); `respond` cannot approve;
 *   a second person with `approve` can and the workload is scaled; the breaker reset needs admin; the audit trail
 *   names both people.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { QUARANTINE_LABEL, type KubeClients } from '@bulwark/actions';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { kubeEnv } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { until as untilDone } from '../support/until.js';
import { falcoMinerEvent } from '../support/falco.js';
const until = <T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 45_000): Promise<T> => untilDone(what, probe, ms, 200);

type Step = { id: string; action: string; status: string; params: any; approval: { reason: string; decided_by: string | null; why?: string | null } | null };
type Run = { id: string; playbook: string; status: string; trigger: { kind: string; actor: string; token_id: string | null; alert_id: string | null; incident_id: string | null }; inputs: Record<string, unknown>; evidence: any; steps: Step[] };


describe('adversarial: only trusted evidence moves the responder, and nobody approves their own run', () => {
  const ns = `adv-${randomBytes(3).toString('hex')}`;
  const user = `mallory-${randomBytes(3).toString('hex')}@example.com`;
  let p: BulwarkProcess;
  let admin: KubeClients;
  let secrets: string | undefined;
  const t: Record<string, string> = {};

  const json = (token: string, body: unknown, method = 'POST'): RequestInit & { token: string } => ({ method, token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const policy = (pod: string) => admin.networking.readNamespacedNetworkPolicy({ namespace: ns, name: `bulwark-quarantine-${pod}` }).then(() => true, () => false);
  const replicas = async (name: string) => (await admin.apps.readNamespacedDeployment({ namespace: ns, name })).spec?.replicas;
  const runs = async (playbook: string): Promise<Run[]> => (await p.get<{ items: Run[] }>(`/v1/runs?playbook=${playbook}&size=200`, t.read)).items;
  const runFor = (playbook: string, pod: string, done: (r: Run) => boolean) =>
    until(`${playbook} for ${pod}`, async () => (await runs(playbook)).find((r) => r.inputs.pod === pod && done(r)));

  /** A Deployment with its ReplicaSet and one pod, linked as the controllers would (the test API server runs none). */
  async function workload(name: string, count: number): Promise<string> {
    const hash = randomBytes(4).toString('hex').slice(0, 8);
    const rsName = `${name}-${hash}`;
    const pod = `${rsName}-x${randomBytes(2).toString('hex')}`;
    const labels = { app: name, 'pod-template-hash': hash };
    const template = { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `${name}:1` }] } };
    const owner = (kind: string, n: string, uid: string): k8s.V1OwnerReference => ({ apiVersion: 'apps/v1', kind, name: n, uid, controller: true, blockOwnerDeletion: true });
    const dep = await admin.apps.createNamespacedDeployment({ namespace: ns, body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: { replicas: count, selector: { matchLabels: { app: name } }, template } } });
    const rs = await admin.apps.createNamespacedReplicaSet({
      namespace: ns,
      body: { apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: rsName, labels, ownerReferences: [owner('Deployment', name, dep.metadata!.uid!)] }, spec: { replicas: count, selector: { matchLabels: labels }, template: { ...template, metadata: { labels } } } },
    });
    await admin.core.createNamespacedPod({ namespace: ns, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, labels, ownerReferences: [owner('ReplicaSet', rsName, rs.metadata!.uid!)] }, spec: template.spec } });
    return pod;
  }
  const barePod = (name: string) => admin.core.createNamespacedPod({ namespace: ns, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } });

  before(async () => {
    ({ admin } = await testKube(ns));
    await Promise.all(['victim', 'am-victim', 'breached', 'decoy-target', 'real-breach'].map(barePod));
    secrets = mkdtempSync(join(tmpdir(), 'bwk-adv-rsp-'));
    const token = join(secrets, 'kube-token');
    writeFileSync(token, kubeEnv('KUBE_RESPONDER_TOKEN'));
    p = await startBulwark({
      configYaml: ['responder:', `  kube: { server: '${kubeEnv('KUBE_API_URL')}', token_file: '${token}', ca_file: '${kubeEnv('KUBE_CA_FILE')}' }`, ''].join('\n'),
    });
    for (const [key, name, scopes] of [
      ['monitoring', 'monitoring', ['alerts']],
      ['shipper', 'log-shipper', ['ingest']],
      ['read', 'dashboard', ['read']],
      ['bob', 'oncall-bob', ['respond', 'read']],
      ['bobApprove', 'oncall-bob', ['approve']],
      ['alice', 'oncall-alice', ['approve', 'read']],
      ['root', 'platform-admin', ['admin']],
    ] as const) {
      t[key] = (await p.mint(name, [...scopes])).token;
    }
    // The API server's audit webhook and Falco each hold a token granted exactly their source.
    t.apiserver = (await p.mint('kube-apiserver', ['ingest'], { sources: ['k8s-audit'] })).token;
    t.falco = (await p.mint('falco', ['ingest'], { sources: ['falco'] })).token;
  });
  after(async () => {
    await p?.stop();
    if (secrets) rmSync(secrets, { recursive: true, force: true });
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
  });

  it('an alerts token posts a critical alert naming a real pod: the run waits, no quarantine; a real audit breach quarantines by itself', async () => {
    const now = new Date().toISOString();
    const posted = await p.fetch('/v1/alerts', json(t.monitoring!, {
      id: `ext-${randomUUID()}`,
      rule: { id: 'breach-detected', name: 'Breach detected', level: 'critical', tags: ['attack.execution'] },
      severity: 'critical',
      entity: { kind: 'workload', namespace: ns, value: 'victim' },
      annotations: { pod_namespace: ns, pod_name: 'victim' },
      first_seen: now,
      last_seen: now,
    }));
    assert.equal(posted.status, 201, await posted.clone().text());
    const waiting = await runFor('contain-compromised-pod', 'victim', (r) => r.status === 'waiting_approval');
    assert.equal(waiting.trigger.actor, 'responder');
    assert.equal(waiting.evidence.trusted, false);
    assert.equal(waiting.steps[0]!.status, 'waiting_approval', 'not even the evidence of a pod the alert chose is copied');
    assert.equal(waiting.steps[0]!.approval!.reason, 'untrusted_evidence');
    assert.deepEqual(waiting.steps[0]!.params, { namespace: ns, pod: 'victim' }, 'the plan shown for approval');
    assert.equal(await policy('victim'), false, 'no NetworkPolicy on the API server');
    const pod = await admin.core.readNamespacedPod({ namespace: ns, name: 'victim' });
    assert.equal(pod.metadata?.labels?.[QUARANTINE_LABEL], undefined);

    // The legitimate path: the API server's audit webhook reports a breach (exec, secret read, cluster-admin binding).
    const audit = breach(ns, 'breached', user);
    const sent = await p.fetch('/v1/ingest/k8s-audit', json(t.apiserver!, audit));
    assert.equal(sent.status, 200, await sent.clone().text());
    await until('the breached pod is quarantined', () => policy('breached'));
    const contained = await runFor('contain-compromised-pod', 'breached', (r) => r.status === 'succeeded');
    assert.equal(contained.evidence.trusted, true);
    assert.deepEqual(contained.evidence.provenance.sources, ['k8s-audit']);
    assert.equal(await policy('victim'), false, 'the external alert still moved nothing');
  });

  it("a decoy posted first into the incident does not take its automatic run: the real breach quarantines what it names", async () => {
    const victim = `decoy-${randomBytes(3).toString('hex')}@example.com`;
    const now = Date.now();
    const decoy = await p.fetch('/v1/alerts', json(t.monitoring!, {
      id: `decoy-${randomUUID()}`,
      rule: { id: 'multi-stage-breach', name: 'Multi-stage breach', level: 'critical', tags: ['attack.privilege_escalation'] },
      severity: 'critical',
      group_key: `user:${victim}`,
      entity: { kind: 'user', value: victim },
      annotations: { pod: `${ns}/decoy-target`, pod_namespace: ns, pod_name: 'decoy-target' },
      first_seen: new Date(now).toISOString(),
      last_seen: new Date(now + 365 * 24 * 3600_000).toISOString(),
    }));
    assert.equal(decoy.status, 201, await decoy.clone().text());
    const decoyRun = await runFor('contain-compromised-pod', 'decoy-target', (r) => r.status === 'waiting_approval');

    const sent = await p.fetch('/v1/ingest/k8s-audit', json(t.apiserver!, breach(ns, 'real-breach', victim)));
    assert.equal(sent.status, 200, await sent.clone().text());
    await until('the pod the audit evidence names is quarantined', () => policy('real-breach'));
    const real = await runFor('contain-compromised-pod', 'real-breach', (r) => r.status === 'succeeded');
    assert.notEqual(real.id, decoyRun.id);
    assert.equal(real.trigger.incident_id, decoyRun.trigger.incident_id, 'the same incident: the decoy came first');
    assert.equal(real.evidence.trusted, true);
    assert.equal(await policy('decoy-target'), false, 'the pod the decoy named is untouched');
    assert.equal((await p.get<Run>(`/v1/runs/${decoyRun.id}`, t.read)).status, 'waiting_approval');
  });

  it('a critical Alertmanager alert with namespace/pod labels: the run waits, no quarantine', async () => {
    const startsAt = new Date().toISOString();
    const res = await p.fetch('/v1/ingest/alertmanager', json(t.monitoring!, {
      version: '4',
      groupKey: '{}:{alertname="PodCompromised"}',
      status: 'firing',
      receiver: 'bulwark',
      groupLabels: { alertname: 'PodCompromised' },
      commonLabels: { alertname: 'PodCompromised', severity: 'critical' },
      commonAnnotations: {},
      externalURL: 'http://alertmanager.example:9093',
      alerts: [
        {
          status: 'firing',
          labels: { alertname: 'PodCompromised', severity: 'critical', namespace: ns, pod: 'am-victim' },
          annotations: { summary: 'pod compromised' },
          startsAt,
          endsAt: '0001-01-01T00:00:00Z',
          generatorURL: 'http://prometheus.example:9090/graph',
          fingerprint: randomBytes(8).toString('hex'),
        },
      ],
    }));
    assert.equal(res.status, 200, await res.clone().text());
    const waiting = await runFor('contain-compromised-pod', 'am-victim', (r) => r.status === 'waiting_approval');
    assert.equal(waiting.evidence.trusted, false);
    assert.ok(waiting.steps.every((s) => s.status === 'waiting_approval' || s.status === 'pending'), JSON.stringify(waiting.steps.map((s) => s.status)));
    assert.equal(await policy('am-victim'), false);
  });

  it('a miner pool string in a container log: scale-to-zero waits, replicas unchanged; a real Falco miner is quarantined at once and scaled once approved', async () => {
    const ingressPod = await workload('ingress', 2);
    const line = `${new Date().toISOString()} stdout F 203.0.113.9 - - "GET /?q=stratum+tcp://pool.supportxmr.com:3333 HTTP/1.1" 404 153`;
    const path = `/var/log/containers/${ingressPod}_${ns}_ingress-${'ab'.repeat(32)}.log`;
    const logged = await p.fetch(`/v1/ingest/container-logs?path=${encodeURIComponent(path)}`, { method: 'POST', token: t.shipper!, headers: { 'content-type': 'text/plain' }, body: line });
    assert.equal(logged.status, 200, await logged.clone().text());
    const waiting = await runFor('respond-to-crypto-miner', ingressPod, (r) => r.status === 'waiting_approval');
    assert.equal(waiting.steps[0]!.approval!.reason, 'untrusted_evidence');
    assert.match(waiting.steps[0]!.approval!.why!, /logs/);
    assert.equal(await replicas('ingress'), 2, 'the ingress keeps its replicas');

    // The legitimate path: Falco reports a miner process in another workload.
    const shopPod = await workload('shop', 3);
    const falco = await p.fetch('/v1/ingest/falco', json(t.falco!, falcoMinerEvent(ns, shopPod)));
    assert.equal(falco.status, 200, await falco.clone().text());
    await until('the miner pod is quarantined at once', () => policy(shopPod));
    const scale = await runFor('respond-to-crypto-miner', shopPod, (r) => r.status === 'waiting_approval');
    assert.equal(scale.evidence.trusted, true);
    assert.equal(scale.steps[0]!.approval!.reason, 'playbook', 'scale to zero always waits for a person, even on trusted evidence');
    assert.equal(await replicas('shop'), 3);
    const approved = await p.fetch(`/v1/runs/${scale.id}/approve`, json(t.alice!, { comment: 'miner confirmed' }));
    assert.equal(approved.status, 200, await approved.clone().text());
    await until('shop is scaled to 0', async () => (await replicas('shop')) === 0);
    assert.equal(await replicas('ingress'), 2);
  });

  it('the requester cannot approve their run; respond cannot approve; a second person can; breaker reset needs admin; the audit names both', async () => {
    const cartPod = await workload('cart', 2);
    const started = await p.fetch('/v1/playbooks/respond-to-crypto-miner/run', json(t.bob!, { inputs: { namespace: ns, pod: cartPod } }));
    assert.equal(started.status, 202, await started.clone().text());
    const run = (await started.json()) as Run;
    assert.equal(run.trigger.actor, 'oncall-bob');
    await until('the manual run waits', async () => (await p.get<Run>(`/v1/runs/${run.id}`, t.read)).status === 'waiting_approval');

    const asRespond = await p.fetch(`/v1/runs/${run.id}/approve`, json(t.bob!, {}));
    assert.equal(asRespond.status, 403);
    assert.equal(((await asRespond.json()) as any).error.code, 'BWK_AUTH_FORBIDDEN', 'respond starts runs, it does not approve them');
    for (const token of [t.bobApprove!, await p.mint('oncall-bob', ['admin']).then((m) => m.token)]) {
      const self = await p.fetch(`/v1/runs/${run.id}/approve`, json(token, { comment: 'lgtm' }));
      assert.equal(self.status, 403);
      assert.equal(((await self.json()) as any).error.code, 'BWK_SELF_APPROVAL');
    }
    assert.equal(await replicas('cart'), 2, 'nothing acted');

    const approved = await p.fetch(`/v1/runs/${run.id}/approve`, json(t.alice!, { comment: 'second pair of eyes' }));
    assert.equal(approved.status, 200, await approved.clone().text());
    await until('cart is scaled to 0', async () => (await replicas('cart')) === 0);
    const done = await until('the run succeeded', async () => {
      const r = await p.get<Run>(`/v1/runs/${run.id}`, t.read);
      return r.status === 'succeeded' ? r : null;
    });
    assert.equal(done.steps[0]!.approval!.decided_by, 'oncall-alice');

    const audit = (await p.get<{ items: Array<Record<string, any>> }>(`/v1/audit?run_id=${run.id}&size=100`, t.read)).items;
    const decision = audit.find((a) => a.action === 'run.approve' && a.result === 'approved');
    assert.ok(decision, JSON.stringify(audit));
    assert.equal(decision.actor, 'oncall-alice');
    assert.equal(decision.requested_by, 'oncall-bob');
    assert.equal(audit.filter((a) => a.result === 'refused').length, 2, 'both self-approvals are on the record');
    const acted = audit.find((a) => a.action === 'action.k8s.scaleWorkload');
    assert.deepEqual([acted?.requested_by, acted?.approved_by], ['oncall-bob', 'oncall-alice']);

    const respondReset = await p.fetch('/v1/responder/breaker/reset', { method: 'POST', token: t.bob! });
    assert.equal(respondReset.status, 403);
    const adminReset = await p.fetch('/v1/responder/breaker/reset', { method: 'POST', token: t.root! });
    assert.equal(adminReset.status, 200, await adminReset.clone().text());
  });
});

/** The audit webhook's report of a breach: exec into the pod, a secret read, a cluster-admin binding, minutes apart. */
function breach(namespace: string, pod: string, user: string): Record<string, unknown> {
  const t0 = Date.now() - 3 * 60_000;
  const at = (ms: number) => new Date(t0 + ms).toISOString();
  const event = (offset: number, fields: Record<string, unknown>) => ({
    level: 'RequestResponse',
    auditID: randomUUID(),
    stage: 'ResponseComplete',
    user: { username: user, groups: ['developers', 'system:authenticated'] },
    sourceIPs: ['203.0.113.45'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc',
    requestReceivedTimestamp: at(offset),
    stageTimestamp: at(offset + 40),
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "dev"' },
    ...fields,
  });
  return {
    kind: 'EventList',
    apiVersion: 'audit.k8s.io/v1',
    metadata: {},
    items: [
      event(0, {
        requestURI: `/api/v1/namespaces/${namespace}/pods/${pod}/exec?command=sh&container=app&stdin=true&tty=true`,
        verb: 'create',
        objectRef: { resource: 'pods', subresource: 'exec', namespace, name: pod, apiVersion: 'v1' },
        responseStatus: { metadata: {}, code: 101 },
      }),
      event(60_000, {
        requestURI: `/api/v1/namespaces/${namespace}/secrets/db-credentials`,
        verb: 'get',
        objectRef: { resource: 'secrets', namespace, name: 'db-credentials', apiVersion: 'v1' },
        responseStatus: { metadata: {}, code: 200 },
      }),
      event(120_000, {
        requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
        verb: 'create',
        objectRef: { resource: 'clusterrolebindings', name: `${pod}-admin`, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
        responseStatus: { metadata: {}, code: 201 },
        requestObject: {
          kind: 'ClusterRoleBinding',
          apiVersion: 'rbac.authorization.k8s.io/v1',
          metadata: { name: `${pod}-admin` },
          roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
          subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: user }],
        },
      }),
    ],
  };
}

