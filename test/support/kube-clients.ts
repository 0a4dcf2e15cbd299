/**
 * Bulwark's Kubernetes clients for the test API server: its admin (to set up and inspect) and the responder identity
 * (what playbooks act as), with the responder's ClusterRole made equal to the repo's manifest first and, if asked, a
 * fresh namespace created.
 */
import { kubeClients, type KubeClients } from '@bulwark/actions';
import { applyResponderRole, kubeEnv } from './kube.js';

export async function testKube(namespace?: string): Promise<{ admin: KubeClients; responder: KubeClients }> {
  await applyResponderRole();
  const server = kubeEnv('KUBE_API_URL');
  const caFile = kubeEnv('KUBE_CA_FILE');
  const admin = kubeClients({ server, caFile, token: kubeEnv('KUBE_ADMIN_TOKEN') });
  const responder = kubeClients({ server, caFile, token: kubeEnv('KUBE_RESPONDER_TOKEN') });
  if (namespace) await admin.core.createNamespace({ body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace } } });
  return { admin, responder };
}
