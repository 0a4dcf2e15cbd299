// services: k8s
/**
 * Protected namespaces (docs/ARCHITECTURE.md, "Response"): an operator who protects one more namespace
 * (`responder.protected_namespaces: [payments]`) must not thereby unprotect kube-system and bulwark. Against the real
 * `npm start` process pointed at the real test API server: a containment run aimed at a pod in kube-system is refused
 * and changes nothing there, the operator's own namespace is protected too, and the same run on an ordinary namespace
 * quarantines the pod.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClients } from '@bulwark/actions';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { kubeEnv } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { until } from '../support/until.js';

const PLAYBOOK = `name: hand-quarantine
description: quarantine the pod a person names
inputs:
  namespace: { pattern: '[a-z0-9]([-a-z0-9]*[a-z0-9])?' }
  pod: { pattern: '[a-z0-9]([-.a-z0-9]*[a-z0-9])?' }
steps:
  - id: quarantine
    action: k8s.quarantinePod
    with: { namespace: '{{ inputs.namespace }}', pod: '{{ inputs.pod }}' }
`;

type Run = { id: string; status: string; error: string | null; steps: Array<{ id: string; status: string; error: string | null }> };

describe('adversarial: protected_namespaces adds to kube-system and bulwark, never replaces them', () => {
  const suffix = randomBytes(3).toString('hex');
  const ordinary = `adv-cfg-${suffix}`;
  const payments = `payments-${suffix}`;
  const pod = `victim-${suffix}`;
  let admin: KubeClients;
  let p: BulwarkProcess;
  let dir: string;
  let respond: string;

  const createPod = (namespace: string) =>
    admin.core.createNamespacedPod({
      namespace,
      body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, labels: { app: 'victim' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
    });
  const quarantine = async (namespace: string): Promise<Run> => {
    const res = await p.fetch('/v1/playbooks/hand-quarantine/run', {
      method: 'POST',
      token: respond,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { namespace, pod } }),
    });
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = (await res.json()) as { id: string };
    return until(`run ${id} finished`, async () => {
      const run = await p.get<Run>(`/v1/runs/${id}`, respond);
      return ['succeeded', 'failed'].includes(run.status) ? run : null;
    });
  };
  const policiesIn = async (namespace: string) => (await admin.networking.listNamespacedNetworkPolicy({ namespace })).items.map((np) => np.metadata!.name);

  before(async () => {
    ({ admin } = await testKube(ordinary));
    await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: payments } } });
    for (const ns of [ordinary, payments, 'kube-system']) await createPod(ns);
    dir = mkdtempSync(join(tmpdir(), 'bwk-adv-cfg-'));
    mkdirSync(join(dir, 'playbooks'));
    writeFileSync(join(dir, 'playbooks', 'q.yml'), PLAYBOOK);
    writeFileSync(join(dir, 'kube-token'), kubeEnv('KUBE_RESPONDER_TOKEN'));
    p = await startBulwark({
      configYaml: [
        'responder:',
        `  playbooks_dir: ${join(dir, 'playbooks')}`,
        `  protected_namespaces: [${payments}]`,
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
    await admin?.core.deleteNamespacedPod({ namespace: 'kube-system', name: pod }).catch(() => {});
    for (const name of [ordinary, payments]) await admin?.core.deleteNamespace({ name }).catch(() => {});
  });

  it('a run aimed at kube-system or the configured namespace is refused and changes nothing; an ordinary namespace is quarantined', async () => {
    const before = await policiesIn('kube-system');
    for (const namespace of ['kube-system', payments]) {
      const run = await quarantine(namespace);
      assert.equal(run.status, 'failed', `a quarantine in ${namespace} must fail`);
      assert.match(run.steps[0]!.error ?? run.error ?? '', /protected/i);
      const target = await admin.core.readNamespacedPod({ namespace, name: pod });
      assert.equal(target.metadata?.labels?.['bulwark.io/quarantine'], undefined, `the pod in ${namespace} is not labelled`);
    }
    assert.deepEqual(await policiesIn('kube-system'), before, 'no NetworkPolicy appeared in kube-system');
    assert.deepEqual(await policiesIn(payments), []);

    const legit = await quarantine(ordinary);
    assert.equal(legit.status, 'succeeded', JSON.stringify(legit));
    assert.deepEqual(await policiesIn(ordinary), [`bulwark-quarantine-${pod}`]);
  });
});
