// services: k8s node process
/**
 * "Does it actually cut the pod off?", answered with packets on a real node (test/services/node.sh: kubelet,
 * containerd, the CNI bridge and kube-router's NetworkPolicy firewall). An attacker execs into one replica of a
 * Deployment for real, reads secrets and binds cluster-admin on the test API server; its audit webhook delivers that to
 * `npm start`, whose correlator raises the multi-stage breach and whose responder runs the bundled
 * `contain-compromised-pod` playbook as the responder identity. Then, from inside the pods: the replica can neither
 * receive from nor send to its neighbours or the server outside the cluster; DNS's allowance (port 53) still passes;
 * the other replica and other workloads keep talking; undo restores the replica. A connection the replica opened
 * before the quarantine keeps carrying data — the firewall lets established flows through — and the run says so. A pre-existing allow-all policy
 * selecting a pod is reported by the quarantine — and the probes show packets still flow, as NetworkPolicies add up.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as k8s from '@kubernetes/client-node';
import { ESTABLISHED_NOTE, QUARANTINE_LABEL, type KubeClients } from '@bulwark/actions';
import type { BulwarkProcess } from '../support/bulwark-process.js';
import { startWebhookBulwark } from '../support/webhook-bulwark.js';
import { bindToClusterAdmin, kubeConfigFor, kubeEnv } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { until } from '../support/until.js';
import { createDeployment, createPod, execIn, INTERNET, reaches, runningPods, untilReach, webContainer } from './pods.js';

type Run = { id: string; status: string; inputs: Record<string, unknown>; trigger: { actor: string; incident_id?: string | null }; steps: Array<{ id: string; status: string; summary?: string }> };
type Evidence = { content: string; sha256: string };
type Timeline = { lanes: Array<{ items: Array<{ kind: string; summary: string; dataset?: string }> }> };

/**
 * Each replica's first instance logs a line and exits, so the kubelet restarts it once: the evidence capture must
 * bring back the log of that earlier instance as well as the current one's.
 */
const RESTARTED_ONCE = [
  'sh',
  '-c',
  'if [ ! -f /state/started ]; then touch /state/started; echo "first instance of $(hostname): exiting"; exit 1; fi; ' +
    'echo "second instance of $(hostname): serving"; mkdir -p /tmp/www && hostname > /tmp/www/index.html && exec httpd -f -p 8080 -h /tmp/www',
];

describe('quarantine on a real node: the compromised replica is cut off on the wire, and undo lets it back', () => {
  const ns = `node-q-${randomBytes(3).toString('hex')}`;
  let p: BulwarkProcess;
  let admin: KubeClients;
  let dir: string | undefined;
  let reader = '';
  let responder = '';
  let a: { name: string; ip: string };
  let b: Array<{ name: string; ip: string; uid: string }>;
  let c: { name: string; ip: string };
  let containment: Run | undefined;
  // A server outside the cluster that stamps every line it receives: b1 keeps one connection to it open.
  let sink: ChildProcess | undefined;
  let received = '';
  const ticks = () => received.split('\n').filter((l) => / tick \d+$/.test(l)).length;

  const runs = async () => (await p.get<{ items: Run[] }>('/v1/runs?playbook=contain-compromised-pod&size=50', reader)).items;
  const json = (body: unknown, token: string) => ({ method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  before(async () => {
    ({ admin } = await testKube(ns));
    await createDeployment(admin, ns, 'b', 2, {
      containers: [webContainer({ command: RESTARTED_ONCE, volumeMounts: [{ name: 'state', mountPath: '/state' }] })],
      volumes: [{ name: 'state', emptyDir: {} }],
    });
    await createDeployment(admin, ns, 'c', 1);
    await createPod(admin, ns, 'a', { app: 'a' });
    // The Kubernetes Events of the node (scheduling, pulls, the replica's restart) on the incident timeline too.
    writeFileSync(`${tmpdir()}/${ns}-events-token`, kubeEnv('KUBE_ADMIN_TOKEN'));
    ({ p, dir } = await startWebhookBulwark('bwk-node-q-', [
      'ingest:',
      `  kubernetes_events: { enabled: true, cluster: node, kube: { server: '${kubeEnv('KUBE_API_URL')}', token_file: '${tmpdir()}/${ns}-events-token', ca_file: '${kubeEnv('KUBE_CA_FILE')}' } }`,
    ]));
    reader = (await p.mint('dashboard', ['read'])).token;
    responder = (await p.mint('on-call', ['respond'])).token;
    a = (await runningPods(admin, ns, 'app=a', 1))[0]!;
    b = await runningPods(admin, ns, 'app=b', 2);
    c = (await runningPods(admin, ns, 'app=c', 1))[0]!;
  });
  after(async () => {
    sink?.kill();
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    rmSync(`${tmpdir()}/${ns}-events-token`, { force: true });
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
    await admin?.rbac.deleteClusterRoleBinding({ name: `${ns}-admin` }).catch(() => {});
  });

  it('before the attack every path is open: pod to pod both ways, and out to the server outside the cluster', async () => {
    const [b1, b2] = b as [typeof b[0], typeof b[0]];
    assert.equal(await reaches(ns, a.name, b1.ip), true, 'a → b1');
    assert.equal(await reaches(ns, b1.name, a.ip), true, 'b1 → a');
    assert.equal(await reaches(ns, b1.name, INTERNET()), true, 'b1 → the internet side');
    assert.equal(await reaches(ns, b2.name, a.ip), true, 'b2 → a');
    assert.equal(await reaches(ns, c.name, b1.ip), true, 'c → b1');
  });

  it('after a real exec, secrets read and a cluster-admin binding, the replica is refused both ways; its neighbours are not', async () => {
    const [b1, b2] = b as [typeof b[0], typeof b[0]];
    // What an attacker's reverse shell is to the firewall: a connection from the replica, open before the quarantine.
    sink = spawn('ip', ['netns', 'exec', kubeEnv('KUBE_NODE_NETNS'), kubeEnv('KUBE_NODE_PROBE'), 'sink', ':9000'], { stdio: ['ignore', 'pipe', 'inherit'] });
    sink.stdout!.on('data', (chunk: Buffer) => {
      received += chunk.toString();
    });
    void execIn(ns, b1.name, ['bwk-probe', 'stream', `${INTERNET()}:9000`]).catch(() => {});
    await until('the stream from b1 flowing', async () => ticks() >= 3, 20_000, 100);
    // The attacker's calls, each for real: the exec runs `id` in the replica through the kubelet.
    const attackerToken = kubeEnv('KUBE_ATTACKER_TOKEN');
    const shell = await execIn(ns, b1.name, ['id'], attackerToken);
    assert.equal(shell.code, 0, `the attacker's exec ran in the pod: ${shell.stderr}`);
    assert.match(shell.stdout, /uid=0/);
    await kubeConfigFor(attackerToken).makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: ns });
    await bindToClusterAdmin(kubeConfigFor(attackerToken), `${ns}-admin`);

    containment = await until('contain-compromised-pod succeeded for the exec target', async () =>
      (await runs()).find((r) => r.inputs.pod === b1.name && r.status === 'succeeded'), 60_000, 250);
    assert.equal(containment.trigger.actor, 'responder');
    const target = await admin.core.readNamespacedPod({ namespace: ns, name: b1.name });
    assert.equal(target.metadata?.labels?.[QUARANTINE_LABEL], b1.uid);

    // The firewall applies the policy within seconds; from then on, every path to and from the replica is closed.
    await untilReach(ns, a.name, b1.ip, false);
    assert.equal(await reaches(ns, a.name, b1.ip), false, 'a → b1 refused');
    assert.equal(await reaches(ns, c.name, b1.ip), false, 'c (another workload) → b1 refused');
    assert.equal(await reaches(ns, b2.name, b1.ip), false, 'b2 (same workload) → b1 refused');
    assert.equal(await reaches(ns, b1.name, a.ip), false, 'b1 → a refused');
    assert.equal(await reaches(ns, b1.name, INTERNET()), false, 'b1 → the internet side refused');
    // DNS as the policy allows it: egress to port 53 stays open — to any address, so the server outside answers on
    // TCP 53 too (an exfiltration path a quarantine with `allow.dns` leaves; docs/ARCHITECTURE.md, "Response").
    assert.equal(await reaches(ns, b1.name, INTERNET(), 53), true, 'b1 → port 53 outside still open');
    // The connection b1 opened before the quarantine still carries data: the firewall lets established flows through,
    // and the run says so.
    const flowing = ticks();
    await new Promise((r) => setTimeout(r, 1500));
    assert.ok(ticks() >= flowing + 5, `the open stream kept flowing after the quarantine: ${flowing} → ${ticks()} lines`);
    assert.ok(containment.steps.find((s) => s.id === 'quarantine')?.summary?.includes(ESTABLISHED_NOTE), 'the quarantine says open connections may go on');
    // Everything else keeps talking.
    assert.equal(await reaches(ns, a.name, b2.ip), true, 'a → b2');
    assert.equal(await reaches(ns, b2.name, a.ip), true, 'b2 → a');
    assert.equal(await reaches(ns, b2.name, INTERNET()), true, 'b2 → the internet side');
    assert.equal(await reaches(ns, c.name, a.ip), true, 'c → a');
  });

  it("the evidence captured before the quarantine holds the replica's real logs, current and previous, hashed on the timeline", async () => {
    assert.ok(containment?.trigger.incident_id, `the containment run belongs to an incident: ${JSON.stringify(containment?.trigger)}`);
    const [b1] = b as [typeof b[0]];
    const step = containment.steps.find((s) => s.id === 'evidence');
    const [, sha, evidenceId] = /sha256 ([0-9a-f]{64})\) as evidence (\S+)/.exec(step?.summary ?? '') ?? [];
    assert.ok(sha && evidenceId, `the capture names its hash and evidence record: ${step?.summary}`);
    const evidence = await p.get<Evidence>(`/v1/evidence/${encodeURIComponent(evidenceId)}`, reader);
    assert.equal(createHash('sha256').update(evidence.content, 'utf8').digest('hex'), sha, 'the stored bytes hash to what the step reported');
    assert.equal(evidence.sha256, sha);
    const bundle = JSON.parse(evidence.content) as { pod: string; uid: string; manifest: { spec: { nodeName: string } }; logs: Record<string, string>; previous_logs: Record<string, string>; events: Array<{ reason: string }> };
    assert.equal(bundle.pod, b1.name);
    assert.equal(bundle.uid, b1.uid);
    assert.equal(bundle.manifest.spec.nodeName, kubeEnv('KUBE_NODE_NAME'), 'the pod spec as the API server had it');
    assert.match(bundle.logs.web ?? '', new RegExp(`second instance of ${b1.name}: serving`), 'the current instance\'s log');
    assert.match(bundle.previous_logs.web ?? '', new RegExp(`first instance of ${b1.name}: exiting`), 'the previous instance\'s log');
    assert.ok(bundle.events.some((e) => e.reason === 'BackOff' || e.reason === 'Started'), `the kubelet's events: ${JSON.stringify(bundle.events.map((e) => e.reason))}`);
    const timeline = await p.get<Timeline>(`/v1/incidents/${encodeURIComponent(containment.trigger.incident_id)}/timeline`, reader);
    const items = timeline.lanes.flatMap((l) => l.items);
    assert.ok(items.some((i) => i.summary.includes(sha)), `the timeline carries the SHA-256: ${JSON.stringify(items.map((i) => i.summary))}`);
    // The node's Kubernetes Events about the replica (its restart among them) are on the timeline beside the audit.
    const k8sEvents = items.filter((i) => i.dataset === 'kubernetes.events');
    assert.ok(k8sEvents.some((i) => /Container started|Back-off restarting failed container/.test(i.summary)), `Kubernetes Events on the timeline: ${JSON.stringify(k8sEvents.map((i) => i.summary))}`);
  });

  it('undo through the API lifts the quarantine: the replica talks again both ways', async () => {
    assert.ok(containment, 'the containment run exists');
    const [b1] = b as [typeof b[0]];
    const undo = await p.fetch(`/v1/runs/${containment.id}/undo`, json({ comment: 'false positive: planned maintenance' }, responder));
    assert.equal(undo.status, 202, await undo.clone().text());
    await until('the run undone', async () => (await p.get<Run>(`/v1/runs/${containment!.id}`, reader)).status === 'undone', 30_000, 250);
    await untilReach(ns, a.name, b1.ip, true);
    assert.equal(await reaches(ns, b1.name, a.ip), true, 'b1 → a again');
    assert.equal(await reaches(ns, b1.name, INTERNET()), true, 'b1 → the internet side again');
    const pod = await admin.core.readNamespacedPod({ namespace: ns, name: b1.name });
    assert.equal(pod.metadata?.labels?.[QUARANTINE_LABEL], undefined, 'the label is gone');
  });

  it('a pre-existing allow-all policy selecting the pod is reported, and the packets show the quarantine does not hold', async () => {
    const [, b2] = b as [typeof b[0], typeof b[0]];
    await admin.networking.createNamespacedNetworkPolicy({
      namespace: ns,
      body: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'allow-all-b' }, spec: { podSelector: { matchLabels: { app: 'b' } }, policyTypes: ['Ingress', 'Egress'], ingress: [{}], egress: [{}] } },
    });
    const started = await p.fetch('/v1/playbooks/contain-compromised-pod/run', json({ inputs: { namespace: ns, pod: b2.name } }, responder));
    assert.equal(started.status, 202, await started.clone().text());
    const { id } = (await started.json()) as Run;
    const run = await until('the manual quarantine run finished', async () => {
      const r = await p.get<Run>(`/v1/runs/${id}`, reader);
      return ['succeeded', 'failed'].includes(r.status) ? r : null;
    }, 60_000, 250);
    const step = run.steps.find((s) => s.id === 'quarantine');
    assert.match(step?.summary ?? '', /WARNING: the quarantine of pod .* does not hold: .*allow-all-b \(allows ingress and egress\)/, JSON.stringify(run.steps));
    // What the firewall does with two policies selecting the pod: the union — the allow-all wins in both directions.
    await new Promise((r) => setTimeout(r, 3000)); // longer than the firewall took to apply the quarantine above
    assert.equal(await reaches(ns, a.name, b2.ip), true, 'a → b2 still reachable');
    assert.equal(await reaches(ns, b2.name, INTERNET()), true, 'b2 → the internet side still reachable');
    // Removing the allow-all makes the quarantine hold.
    await admin.networking.deleteNamespacedNetworkPolicy({ namespace: ns, name: 'allow-all-b' });
    await untilReach(ns, a.name, b2.ip, false);
    assert.equal(await reaches(ns, b2.name, INTERNET()), false, 'b2 → the internet side refused once the allow-all is gone');
  });
});
