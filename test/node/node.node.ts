// services: k8s node process
/**
 * The node itself (test/services/node.sh), before any containment: it is registered and Ready with the versions of
 * the test build and containerd, and a pod from the local image is scheduled onto it, runs, and answers HTTP on its
 * pod address from the node and from the server outside the cluster.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { KubeClients } from '@bulwark/actions';
import { kubeEnv } from '../support/kube.js';
import { testKube } from '../support/kube-clients.js';
import { createPod, execIn, runningPods } from './pods.js';

describe('the test node', () => {
  const ns = `node-n-${randomBytes(3).toString('hex')}`;
  let admin: KubeClients;

  before(async () => {
    ({ admin } = await testKube(ns));
  });
  after(async () => {
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
  });

  it('is registered and Ready, running the test build\'s kubelet on containerd', async () => {
    const node = await admin.core.readNode({ name: kubeEnv('KUBE_NODE_NAME') });
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready');
    assert.equal(ready?.status, 'True', JSON.stringify(node.status?.conditions));
    assert.match(node.status?.nodeInfo?.kubeletVersion ?? '', /^v1\.\d+\.\d+$/);
    assert.match(node.status?.nodeInfo?.containerRuntimeVersion ?? '', /^containerd:\/\//);
    assert.ok(node.status?.images?.some((i) => i.names?.includes(kubeEnv('KUBE_NODE_IMAGE'))), 'the local image is on the node');
  });

  it('runs a pod from the local image that answers on its pod address', async () => {
    await createPod(admin, ns, 'hello', { app: 'hello' });
    const [pod] = await runningPods(admin, ns, 'app=hello', 1);
    const read = await admin.core.readNamespacedPod({ namespace: ns, name: 'hello' });
    assert.equal(read.spec?.nodeName, kubeEnv('KUBE_NODE_NAME'), 'scheduled onto the node');
    const res = await fetch(`http://${pod!.ip}:8080/`, { signal: AbortSignal.timeout(5000) });
    assert.equal((await res.text()).trim(), 'hello', 'the container answers the node with its hostname');
    const shell = await execIn(ns, 'hello', ['sh', '-c', 'cat /proc/1/cmdline | tr "\\0" " "']);
    assert.match(shell.stdout, /httpd -f -p 8080/, 'exec reaches the container through the kubelet');
  });
});
