// services: k8s node process
/**
 * Revoking a service account, seen from inside the pod that holds its token: the kubelet mounts a projected
 * service-account token, the pod uses it against the API server (through the node's proxy on the bridge, as pods reach
 * the `kubernetes` Service), the bundled `revoke-service-account` playbook runs after a second person approves, and
 * the very token file in the running pod is refused from then on (within the API server's 10 s authentication cache).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeClients } from '@bulwark/actions';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { kubeEnv } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { until } from '../support/until.js';
import { createPod, execIn, runningPods } from './pods.js';

type Run = { id: string; status: string };

describe("credential revocation on a real node: the token mounted in a running pod stops working from inside it", () => {
  const ns = `node-c-${randomBytes(3).toString('hex')}`;
  const account = 'ci-deployer';
  let p: BulwarkProcess;
  let admin: KubeClients;
  let dir: string | undefined;

  /** What the API server answers the pod's own token, asked from inside the pod. */
  const fromInside = async (): Promise<string> => {
    const url = `${kubeEnv('KUBE_NODE_API_URL')}/api/v1/namespaces/${ns}/pods`;
    const r = await execIn(ns, 'runner', ['bwk-probe', 'api', url, '/var/run/secrets/bulwark/token', '/var/run/secrets/bulwark/ca.crt']);
    return r.stdout.trim();
  };

  before(async () => {
    ({ admin } = await testKube(ns));
    await admin.core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: account } } });
    await admin.rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'read-pods' }, rules: [{ apiGroups: [''], resources: ['pods'], verbs: ['list'] }] } });
    await admin.rbac.createNamespacedRoleBinding({
      namespace: ns,
      body: { metadata: { name: 'ci-read-pods' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-pods' }, subjects: [{ kind: 'ServiceAccount', name: account, namespace: ns }] },
    });
    await admin.core.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'api-ca' }, data: { 'ca.crt': readFileSync(kubeEnv('KUBE_CA_FILE'), 'utf8') } } });
    await createPod(admin, ns, 'runner', { app: 'runner' }, {
      serviceAccountName: account,
      automountServiceAccountToken: false,
      volumes: [{
        name: 'token',
        projected: { sources: [{ serviceAccountToken: { path: 'token', expirationSeconds: 3600 } }, { configMap: { name: 'api-ca', items: [{ key: 'ca.crt', path: 'ca.crt' }] } }] },
      }],
      containers: [{ name: 'web', image: kubeEnv('KUBE_NODE_IMAGE'), imagePullPolicy: 'Never', command: ['sh', '-c', 'while :; do sleep 1; done'], volumeMounts: [{ name: 'token', mountPath: '/var/run/secrets/bulwark', readOnly: true }] }],
    });
    await runningPods(admin, ns, 'app=runner', 1);
    dir = mkdtempSync(join(tmpdir(), 'bwk-node-c-'));
    writeFileSync(join(dir, 'kube-token'), kubeEnv('KUBE_RESPONDER_TOKEN'));
    p = await startBulwark({
      dir,
      configYaml: ['responder:', `  kube: { server: '${kubeEnv('KUBE_API_URL')}', token_file: '${join(dir, 'kube-token')}', ca_file: '${kubeEnv('KUBE_CA_FILE')}' }`, ''].join('\n'),
    });
  });
  after(async () => {
    await p?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
  });

  it('200 before; after the approved revocation the same token file is refused (401), and the pod itself keeps running', async () => {
    assert.equal(await fromInside(), '200', 'the mounted token lists pods from inside the pod');
    const token = (await execIn(ns, 'runner', ['cat', '/var/run/secrets/bulwark/token'])).stdout;
    const json = (body: unknown, t: string) => ({ method: 'POST', token: t, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const alice = (await p.mint('alice', ['respond'])).token;
    const bob = (await p.mint('bob', ['approve'])).token;
    const reader = (await p.mint('dashboard', ['read'])).token;
    const started = await p.fetch('/v1/playbooks/revoke-service-account/run', json({ inputs: { namespace: ns, name: account } }, alice));
    assert.equal(started.status, 202, await started.clone().text());
    const { id } = (await started.json()) as Run;
    await until('waiting for approval', async () => (await p.get<Run>(`/v1/runs/${id}`, reader)).status === 'waiting_approval', 30_000, 250);
    const approved = await p.fetch(`/v1/runs/${id}/approve`, json({ comment: 'token seen in a public CI log' }, bob));
    assert.equal(approved.status, 200, await approved.clone().text());
    await until('the revocation succeeded', async () => (await p.get<Run>(`/v1/runs/${id}`, reader)).status === 'succeeded', 60_000, 250);

    const t0 = Date.now();
    await until('the mounted token refused from inside the pod', async () => (await fromInside()) === '401', 30_000, 500);
    const refusedAfterMs = Date.now() - t0;
    assert.ok(refusedAfterMs < 15_000, `refused within the API server's authentication cache: ${refusedAfterMs} ms`);
    assert.equal((await execIn(ns, 'runner', ['cat', '/var/run/secrets/bulwark/token'])).stdout, token, 'the same token file, not a refreshed one');
    const pod = await admin.core.readNamespacedPod({ namespace: ns, name: 'runner' });
    assert.equal(pod.status?.phase, 'Running', 'revocation does not stop the pod: quarantine or delete it as well');
  });
});
