/**
 * A Deployment with its ReplicaSet and one pod on the test API server, linked by owner references as the controllers
 * would link them (the test API server runs no controller-manager), so `k8s.scaleWorkload` finds the workload from
 * the pod and its undo restores the replicas. As test/e2e/adversarial-responder.test.ts builds them.
 */
import { randomBytes } from 'node:crypto';
import type * as k8s from '@kubernetes/client-node';
import type { KubeClients } from '@bulwark/actions';

export async function createWorkload(admin: KubeClients, namespace: string, name: string, replicas: number): Promise<string> {
  const hash = randomBytes(4).toString('hex').slice(0, 8);
  const rsName = `${name}-${hash}`;
  const pod = `${rsName}-x${randomBytes(2).toString('hex')}`;
  const labels = { app: name, 'pod-template-hash': hash };
  const template = { metadata: { labels: { app: name } }, spec: { containers: [{ name, image: `${name}:1` }] } };
  const owner = (kind: string, n: string, uid: string): k8s.V1OwnerReference => ({ apiVersion: 'apps/v1', kind, name: n, uid, controller: true, blockOwnerDeletion: true });
  const dep = await admin.apps.createNamespacedDeployment({
    namespace,
    body: { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template } },
  });
  const rs = await admin.apps.createNamespacedReplicaSet({
    namespace,
    body: {
      apiVersion: 'apps/v1',
      kind: 'ReplicaSet',
      metadata: { name: rsName, labels, ownerReferences: [owner('Deployment', name, dep.metadata!.uid!)] },
      spec: { replicas, selector: { matchLabels: labels }, template: { ...template, metadata: { labels } } },
    },
  });
  await admin.core.createNamespacedPod({
    namespace,
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod, labels, ownerReferences: [owner('ReplicaSet', rsName, rs.metadata!.uid!)] }, spec: template.spec },
  });
  return pod;
}

export async function replicasOf(admin: KubeClients, namespace: string, name: string): Promise<number | undefined> {
  return (await admin.apps.readNamespacedDeployment({ namespace, name })).spec?.replicas;
}
