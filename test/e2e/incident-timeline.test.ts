// services: k8s
/**
 * The incident timeline end to end on a real kube-apiserver: the attacker's real API calls (a privileged pod in a
 * namespace of this test's own, a look at it, an exec, a secrets list, a binding to cluster-admin) arrive through the
 * audit webhook, Falco and the pod's container log speak about the same pod, the bundled detections raise one incident
 * and `contain-compromised-pod` quarantines the pod. `GET /v1/incidents/:id/timeline` then shows the audit evidence,
 * the alerts and the quarantine action in time order, with the pod's surrounding events from audit, Falco and logs;
 * `GET /v1/incidents/:id/report` exports it as Markdown, HTML and JSON with the hostile log line escaped.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as k8s from '@kubernetes/client-node';
import { kubeClients } from '@bulwark/actions';
import { startHarness, type Harness } from '../support/harness.js';
import { ATTACKER, applyResponderRole, bindToClusterAdmin, createPrivilegedPod, kubeConfigFor, kubeEnv, postExec } from '../support/kube.js';

const SCRIPT = '<script>alert("timeline")</script>';

interface Item { at: string; kind: string; ref: string; summary: string; source: string; event_id?: string; run_id?: string; audit_id?: string }
interface Lane { id: string; truncated: boolean; items: Item[] }
interface Timeline { incident: { id: string }; window: { from: string; to: string }; entities: Array<{ kind: string; value: string; namespace?: string }>; lanes: Lane[] }
type Run = { id: string; status: string; trigger: { incident_id: string } };

describe('the incident timeline and report on a real kube-apiserver', () => {
  let h: Harness;
  const suffix = randomBytes(3).toString('hex');
  const namespace = `tl-${suffix}`;
  const pod = `evil-${suffix}`;
  const admin = () => kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN'));
  let uid = '';
  let incidentId = '';
  let falcoId = '';
  let logId = '';

  before(async () => {
    await applyResponderRole();
    h = await startHarness({}, {
      correlator: { pollIntervalMs: 50 },
      port: Number(kubeEnv('KUBE_AUDIT_PORT')),
      tokens: [{ name: 'kube-apiserver-audit', scopes: ['ingest'], secret: kubeEnv('KUBE_AUDIT_TOKEN') }],
      tls: { certFile: kubeEnv('KUBE_AUDIT_TLS_CERT'), keyFile: kubeEnv('KUBE_AUDIT_TLS_KEY') },
      responder: { kube: kubeClients({ server: kubeEnv('KUBE_API_URL'), caFile: kubeEnv('KUBE_CA_FILE'), token: kubeEnv('KUBE_RESPONDER_TOKEN') }) },
    });
    await admin().makeApiClient(k8s.CoreV1Api).createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
  });
  after(async () => {
    await h?.close();
    await admin().makeApiClient(k8s.RbacAuthorizationV1Api).deleteClusterRoleBinding({ name: `${pod}-admin` }).catch(() => {});
    // The test control plane runs no namespace controller: what the namespace holds is deleted first, by name.
    await admin().makeApiClient(k8s.NetworkingV1Api).deleteNamespacedNetworkPolicy({ namespace, name: `bulwark-quarantine-${pod}` }).catch(() => {});
    await admin().makeApiClient(k8s.CoreV1Api).deleteNamespacedPod({ namespace, name: pod }).catch(() => {});
    await admin().makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace }).catch(() => {});
  });

  it('the attack, the pod\'s Falco event and log line become one incident, contained by the quarantine', async () => {
    const attacker = kubeConfigFor(kubeEnv('KUBE_ATTACKER_TOKEN'));
    await createPrivilegedPod(attacker, namespace, pod);
    const created = await attacker.makeApiClient(k8s.CoreV1Api).readNamespacedPod({ namespace, name: pod });
    uid = created.metadata!.uid!;
    assert.equal(await postExec(kubeEnv('KUBE_ATTACKER_TOKEN'), namespace, pod), 400, 'exec is authorized, then fails: no kubelet');
    await attacker.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: 'kube-system' });

    // Falco and the container runtime speak about the same pod (by uid and name), as their shippers would send them.
    const container = randomBytes(32).toString('hex');
    const falco = await h.fetch('/v1/ingest/falco', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        uuid: `0b8e2f3a-0000-4000-8000-${randomBytes(6).toString('hex')}`,
        time: new Date().toISOString(),
        rule: 'Timeline test notice',
        priority: 'Notice',
        source: 'syscall',
        hostname: 'node-1',
        output: `Notice: a process started in pod ${pod}`,
        output_fields: { 'k8s.ns.name': namespace, 'k8s.pod.name': pod, 'k8s.pod.uid': uid, 'container.id': container.slice(0, 12), 'proc.name': 'sleep', 'user.name': 'root' },
      }),
    });
    assert.equal(falco.status, 200, await falco.clone().text());
    const log = await h.fetch('/v1/ingest/container-logs', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-type': 'text/plain', 'x-bulwark-log-path': `/var/log/pods/${namespace}_${pod}_${uid}/app/0.log` },
      body: `${new Date().toISOString()} stdout F GET /status ${SCRIPT} [click](https://evil.example/x)\n`,
    });
    assert.equal(log.status, 200, await log.clone().text());
    await bindToClusterAdmin(attacker, `${pod}-admin`);

    const get = async <T>(path: string): Promise<T> => (await (await h.fetch(path, { token: h.tokens.read })).json()) as T;
    let run: Run | undefined;
    const deadline = Date.now() + 60_000;
    for (;;) {
      run = (await get<{ items: Run[] }>('/v1/runs?playbook=contain-compromised-pod')).items[0];
      if (run?.status === 'succeeded') break;
      assert.ok(Date.now() < deadline, `the quarantine run finished: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    incidentId = run.trigger.incident_id;
    const found = async (q: string) => (await get<{ hits: Array<{ event: { id: string } }> }>(`/v1/search?q=${encodeURIComponent(q)}`)).hits;
    falcoId = (await found(`kubernetes.pod.uid:"${uid}" AND bulwark.provenance.source:falco`))[0]!.event.id;
    logId = (await found(`kubernetes.pod.uid:"${uid}" AND bulwark.provenance.source:logs`))[0]!.event.id;
  });

  it('the timeline shows the audit events, the alerts and the quarantine action in time order, with the pod\'s surroundings', async () => {
    assert.ok(incidentId, 'the incident of the previous test');
    let t: Timeline;
    const lane = (id: string) => t.lanes.find((l) => l.id === id)!;
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await h.fetch(`/v1/incidents/${incidentId}/timeline`, { token: h.tokens.read });
      assert.equal(res.status, 200);
      t = (await res.json()) as Timeline;
      // The webhook batches: the responder's own label patch on the pod arrives a second or so after the run ends.
      const quarantined = lane('actions').items.some((i) => i.audit_id && /quarantine/.test(i.summary));
      if (quarantined && lane('k8s-audit').items.some((i) => i.kind === 'event' && i.summary.includes(`patch pods ${namespace}/${pod}`))) break;
      assert.ok(Date.now() < deadline, `timeline complete: ${JSON.stringify(t.lanes.map((l) => [l.id, l.items.map((i) => [i.kind, i.summary])]))}`);
      await new Promise((r) => setTimeout(r, 500));
    }
    assert.deepEqual(t.lanes.map((l) => l.id), ['alerts', 'k8s-audit', 'falco', 'logs', 'actions', 'changes']);
    for (const l of t.lanes) assert.ok(l.items.every((item, i) => i === 0 || Date.parse(l.items[i - 1]!.at) <= Date.parse(item.at)), `${l.id} in time order`);

    const audit = lane('k8s-audit').items;
    const exec = audit.find((i) => i.kind === 'evidence' && i.summary.includes(`create pods/exec ${namespace}/${pod}`));
    assert.ok(exec?.event_id, `the exec is evidence: ${JSON.stringify(audit.map((i) => [i.kind, i.summary]))}`);
    assert.ok(audit.some((i) => i.kind === 'evidence' && i.summary.includes('create clusterrolebindings')));
    assert.ok(audit.some((i) => i.kind === 'event' && i.summary.includes(`${ATTACKER} get pods ${namespace}/${pod}`)), "the attacker's look at the pod, not evidence of any alert, is there");
    const alerts = lane('alerts').items;
    const execAlert = alerts.find((a) => a.summary.includes('exec'));
    assert.ok(execAlert, `an exec alert: ${JSON.stringify(alerts.map((a) => a.summary))}`);
    const quarantine = lane('actions').items.find((i) => i.audit_id && /quarantine/.test(i.summary))!;
    assert.ok(quarantine.run_id);
    assert.ok(Date.parse(exec.at) <= Date.parse(execAlert.at), 'the audit event, then its alert');
    assert.ok(Date.parse(execAlert.at) < Date.parse(quarantine.at), 'the alert, then the quarantine');
    assert.ok(alerts.every((a) => Date.parse(a.at) < Date.parse(quarantine.at)));

    assert.deepEqual(lane('falco').items.map((i) => [i.kind, i.event_id]), [['event', falcoId]], 'the pod\'s Falco event, by its uid');
    assert.deepEqual(lane('logs').items.map((i) => [i.kind, i.event_id]), [['event', logId]], 'the pod\'s log line');
    const entities = t.entities.map((e) => `${e.kind}=${e.namespace ? `${e.namespace}/` : ''}${e.value}`);
    for (const e of [`user=${ATTACKER}`, `pod_uid=${uid}`, `pod=${namespace}/${pod}`]) assert.ok(entities.includes(e), `${e} in ${entities.join(', ')}`);
    // Each item opens its raw record.
    const raw = await h.fetch(`/v1/events/${encodeURIComponent(exec.event_id!)}`, { token: h.tokens.read });
    assert.equal(raw.status, 200);
    const auditRecord = await h.fetch(`/v1/audit?run_id=${encodeURIComponent(quarantine.run_id!)}`, { token: h.tokens.read });
    assert.ok(((await auditRecord.json()) as { items: Array<{ id: string }> }).items.some((a) => a.id === quarantine.audit_id));
  });

  it('the report downloads as Markdown, HTML and JSON, the hostile log line escaped in each', async () => {
    // Undo the quarantine first: the report and the timeline then show the undo with who asked for it.
    const runs = ((await (await h.fetch('/v1/runs?playbook=contain-compromised-pod', { token: h.tokens.read })).json()) as { items: Run[] }).items;
    const undo = await h.fetch(`/v1/runs/${runs[0]!.id}/undo`, { method: 'POST', token: h.tokens.respond, headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(undo.status, 202, await undo.clone().text());
    const until = Date.now() + 30_000;
    while (((await (await h.fetch(`/v1/runs/${runs[0]!.id}`, { token: h.tokens.read })).json()) as Run).status !== 'undone') {
      assert.ok(Date.now() < until, 'the run was undone');
      await new Promise((r) => setTimeout(r, 200));
    }
    const fetchReport = async (format: string) => {
      const res = await h.fetch(`/v1/incidents/${incidentId}/report?format=${format}`, { token: h.tokens.read });
      assert.equal(res.status, 200, format);
      assert.equal(res.headers.get('content-disposition'), `attachment; filename=incident-${incidentId}.${format}`);
      return { res, body: await res.text() };
    };
    const md = await fetchReport('md');
    assert.match(md.res.headers.get('content-type')!, /^text\/markdown/);
    assert.doesNotMatch(md.body, /(?<!\\)<script|(?<!\\)\]\(https/, 'no unescaped tag or link in the Markdown');
    assert.ok(md.body.includes('\\<script\\>'), 'the log line is in it, escaped');
    assert.match(md.body, /## Decisions/);
    assert.match(md.body, /### Run .*contain\\-compromised\\-pod/);

    const html = await fetchReport('html');
    assert.match(html.res.headers.get('content-type')!, /^text\/html/);
    assert.match(html.res.headers.get('content-security-policy')!, /^default-src 'none'; style-src 'sha256-/);
    assert.ok(!/<script/i.test(html.body), 'no script element in the page');
    assert.ok(html.body.includes('&lt;script&gt;alert(&quot;timeline&quot;)&lt;/script&gt;'), 'the log line is in it, escaped');

    const json = await fetchReport('json');
    const report = JSON.parse(json.body) as {
      incident: { id: string; status: string };
      timeline: Timeline;
      actions: Array<{ playbook: string; status: string; undo_requested_by: string | null; steps: Array<{ id: string; status: string; undo_summary: string | null }> }>;
    };
    assert.equal(report.incident.id, incidentId);
    const contain = report.actions.find((a) => a.playbook === 'contain-compromised-pod')!;
    assert.equal(contain.status, 'undone');
    assert.equal(contain.undo_requested_by, 'test-respond');
    const quarantine = contain.steps.find((s) => s.id === 'quarantine')!;
    assert.equal(quarantine.status, 'undone');
    assert.match(String(quarantine.undo_summary), /./, 'the undo is told');
    const actions = report.timeline.lanes.find((l) => l.id === 'actions')!.items;
    const done = actions.findIndex((i) => i.audit_id && /quarantined pod/.test(i.summary));
    const undone = actions.findIndex((i) => i.audit_id && i.summary === quarantine.undo_summary);
    assert.ok(done >= 0 && undone > done, `the quarantine, then its undo, in the actions lane: ${JSON.stringify(actions.map((i) => i.summary))}`);
    assert.match(md.body, /undone: /);
    assert.ok(report.timeline.lanes.find((l) => l.id === 'logs')!.items.some((i) => i.summary.includes(SCRIPT)), 'JSON keeps the text as it is');

    for (const [query, param] of [['report?format=pdf', 'format'], ['timeline?window=2d', 'window'], ['timeline?per_lane=0', 'per_lane'], ['timeline?per_lane=5001', 'per_lane']]) {
      const bad = await h.fetch(`/v1/incidents/${incidentId}/${query}`, { token: h.tokens.read });
      assert.equal(bad.status, 400, query);
      assert.equal(((await bad.json()) as { error: { details: { param: string } } }).error.details.param, param);
    }
    const narrow = (await (await h.fetch(`/v1/incidents/${incidentId}/timeline?window=1s&per_lane=1`, { token: h.tokens.read })).json()) as Timeline;
    assert.ok(narrow.lanes.every((l) => l.items.length <= 1 || l.items.every((i) => i.kind === 'evidence')), 'per_lane bounds every lane but evidence');
    assert.equal(narrow.lanes.find((l) => l.id === 'k8s-audit')!.truncated, true);
    assert.equal(Date.parse(narrow.window.to) - Date.parse(narrow.window.from) >= 2000, true);
    const missing = await h.fetch('/v1/incidents/inc-nope/timeline', { token: h.tokens.read });
    assert.equal(missing.status, 404);
    const denied = await h.fetch(`/v1/incidents/${incidentId}/timeline`, { token: h.tokens.ingest });
    assert.equal(denied.status, 403, 'an ingest token cannot read incidents');
  });
});
