// services: k8s node process
/**
 * Containment that removes workloads, proven by what the node does rather than by API objects: scaling a Deployment
 * to zero (the bundled crypto-miner playbook, approved by a second person) terminates its pods and undo brings them
 * back Running; an eviction the PodDisruptionBudget forbids changes nothing, one it allows removes the pod and its
 * ReplicaSet replaces it; a delete gives the containers the pod's own grace period (they see SIGTERM and finish), or
 * none when the step says 0. Runs go through `npm start`'s API as the responder identity.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type { KubeClients } from '@bulwark/actions';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { kubeConfigFor, kubeEnv } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { until } from '../support/until.js';
import { createDeployment, createPod, podCount, runningPods, webContainer } from './pods.js';

type Run = { id: string; status: string; steps: Array<{ id: string; status: string; summary?: string; error?: { message?: string } }> };

/** One-step playbooks for the removal actions no bundled playbook uses; started by hand (no trigger). */
const REMOVAL_PLAYBOOKS: Array<[name: string, action: string, extra: string]> = [
  ['node-test-evict', 'k8s.evictPod', ''],
  ['node-test-delete', 'k8s.deletePod', ''],
  ['node-test-delete-now', 'k8s.deletePod', ', grace_period_seconds: 0'],
];
const playbookText = ([name, action, extra]: (typeof REMOVAL_PLAYBOOKS)[number]): string =>
  [
    `name: ${name}`,
    `description: Test playbook - ${action} on one pod.`,
    'inputs:',
    "  namespace: { pattern: '[a-z0-9]([-a-z0-9]*[a-z0-9])?' }",
    "  pod: { pattern: '[a-z0-9]([-.a-z0-9]*[a-z0-9])?' }",
    'steps:',
    '  - id: remove',
    `    action: ${action}`,
    `    with: { namespace: '{{ inputs.namespace }}', pod: '{{ inputs.pod }}'${extra} }`,
    '',
  ].join('\n');

describe('workload containment on a real node: pods actually stop, budgets and grace periods hold', () => {
  const ns = `node-w-${randomBytes(3).toString('hex')}`;
  let p: BulwarkProcess;
  let admin: KubeClients;
  let dir: string | undefined;
  let reader = '';
  let alice = '';
  let bob = '';

  const json = (body: unknown, token: string) => ({ method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const start = async (playbook: string, inputs: Record<string, unknown>): Promise<string> => {
    const res = await p.fetch(`/v1/playbooks/${playbook}/run`, json({ inputs }, alice));
    assert.equal(res.status, 202, await res.clone().text());
    return ((await res.json()) as Run).id;
  };
  const settled = (id: string, statuses = ['succeeded', 'failed', 'waiting_approval', 'undone']) =>
    until(`run ${id} settled`, async () => {
      const run = await p.get<Run>(`/v1/runs/${id}`, reader);
      return statuses.includes(run.status) ? run : null;
    }, 60_000, 250);

  before(async () => {
    ({ admin } = await testKube(ns));
    dir = mkdtempSync(join(tmpdir(), 'bwk-node-w-'));
    const playbooks = join(dir, 'playbooks');
    mkdirSync(playbooks);
    copyFileSync(new URL('../../playbooks/crypto-miner.yml', import.meta.url), join(playbooks, 'crypto-miner.yml'));
    for (const pb of REMOVAL_PLAYBOOKS) writeFileSync(join(playbooks, `${pb[0]}.yml`), playbookText(pb));
    writeFileSync(join(dir, 'kube-token'), kubeEnv('KUBE_RESPONDER_TOKEN'));
    p = await startBulwark({
      dir,
      configYaml: [
        'responder:',
        `  playbooks_dir: '${playbooks}'`,
        `  kube: { server: '${kubeEnv('KUBE_API_URL')}', token_file: '${join(dir, 'kube-token')}', ca_file: '${kubeEnv('KUBE_CA_FILE')}' }`,
        '',
      ].join('\n'),
    });
    reader = (await p.mint('dashboard', ['read'])).token;
    alice = (await p.mint('alice', ['respond'])).token;
    bob = (await p.mint('bob', ['approve'])).token;
  });
  after(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
  });

  it("scale to zero terminates the workload's pods on the node; undo brings them back Running", async () => {
    await createDeployment(admin, ns, 'miner', 2);
    const [miner] = await runningPods(admin, ns, 'app=miner', 2);
    const id = await start('respond-to-crypto-miner', { namespace: ns, pod: miner!.name });
    assert.equal((await settled(id)).status, 'waiting_approval', 'scaling a workload down always waits for a person');
    const approved = await p.fetch(`/v1/runs/${id}/approve`, json({ comment: 'miner confirmed' }, bob));
    assert.equal(approved.status, 200, await approved.clone().text());
    assert.equal((await settled(id, ['succeeded', 'failed'])).status, 'succeeded');
    // Not just spec.replicas: the kubelet stops both containers and the pods leave the API server.
    await until('no miner pod left on the node', async () => (await podCount(admin, ns, 'app=miner')) === 0, 60_000, 250);
    const undo = await p.fetch(`/v1/runs/${id}/undo`, json({}, alice));
    assert.equal(undo.status, 202, await undo.clone().text());
    const back = await runningPods(admin, ns, 'app=miner', 2);
    assert.ok(back.every((pod) => pod.name !== miner!.name), 'new pods, Running and ready');
  });

  it('an eviction the PodDisruptionBudget forbids changes nothing; once the budget allows it, the pod goes and is replaced', async () => {
    await createDeployment(admin, ns, 'web', 2);
    const pods = await runningPods(admin, ns, 'app=web', 2);
    const pdb = (minAvailable: number) => ({ apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web' }, spec: { minAvailable, selector: { matchLabels: { app: 'web' } } } });
    const policy = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN')).makeApiClient(k8s.PolicyV1Api);
    const readPdb = () => policy.readNamespacedPodDisruptionBudget({ namespace: ns, name: 'web' });
    await policy.createNamespacedPodDisruptionBudget({ namespace: ns, body: pdb(2) });
    // The disruption controller computes what the budget allows from the pods it sees Running.
    await until('the budget observed', async () => (await readPdb()).status?.expectedPods === 2, 30_000, 250);
    const refused = await settled(await start('node-test-evict', { namespace: ns, pod: pods[0]!.name }));
    assert.equal(refused.status, 'failed');
    assert.match(JSON.stringify(refused.steps), /disruption budget|429|Too Many Requests/i, JSON.stringify(refused.steps));
    assert.deepEqual((await runningPods(admin, ns, 'app=web', 2)).map((x) => x.name), pods.map((x) => x.name), 'both pods still there');

    const current = await readPdb();
    await policy.replaceNamespacedPodDisruptionBudget({ namespace: ns, name: 'web', body: { ...pdb(1), metadata: { name: 'web', resourceVersion: current.metadata!.resourceVersion! } } });
    await until('the budget allows one disruption', async () => (await readPdb()).status?.disruptionsAllowed === 1, 30_000, 250);
    const evicted = await settled(await start('node-test-evict', { namespace: ns, pod: pods[0]!.name }));
    assert.equal(evicted.status, 'succeeded', JSON.stringify(evicted.steps));
    const after = await runningPods(admin, ns, 'app=web', 2);
    assert.ok(!after.some((x) => x.name === pods[0]!.name), 'the evicted pod is gone');
    assert.ok(after.some((x) => x.name === pods[1]!.name), 'the other pod untouched');
  });

  it("a delete gives the containers the pod's own grace period; grace 0 stops them at once", async () => {
    // On SIGTERM the container takes 3 s to finish; the test sees how long the pod stays Terminating.
    const graceful = ['sh', '-c', "trap 'sleep 3; exit 0' TERM; mkdir -p /tmp/www; hostname > /tmp/www/index.html; httpd -p 8080 -h /tmp/www; while :; do sleep 1; done"];
    await createPod(admin, ns, 'slow', { app: 'slow' }, { terminationGracePeriodSeconds: 20, containers: [webContainer({ command: graceful })] });
    await createPod(admin, ns, 'fast', { app: 'fast' }, { terminationGracePeriodSeconds: 20, containers: [webContainer({ command: graceful })] });
    await runningPods(admin, ns, 'app in (slow,fast)', 2);

    let t0 = Date.now();
    assert.equal((await settled(await start('node-test-delete', { namespace: ns, pod: 'slow' }))).status, 'succeeded');
    const terminating = await admin.core.readNamespacedPod({ namespace: ns, name: 'slow' });
    assert.equal(terminating.metadata?.deletionGracePeriodSeconds, 20, "the pod's own grace period");
    await until('slow gone', async () => (await podCount(admin, ns, 'app=slow')) === 0, 30_000, 200);
    const slowMs = Date.now() - t0;
    assert.ok(slowMs >= 2_500, `the container had its SIGTERM and finished its 3 s of work: gone after ${slowMs} ms`);

    t0 = Date.now();
    assert.equal((await settled(await start('node-test-delete-now', { namespace: ns, pod: 'fast' }))).status, 'succeeded');
    await until('fast gone', async () => (await podCount(admin, ns, 'app=fast')) === 0, 30_000, 200);
    const fastMs = Date.now() - t0;
    assert.ok(fastMs < slowMs, `grace 0 removes it sooner (${fastMs} ms, against ${slowMs} ms)`);
  });
});
