/** Clients for the real API server test/services/k8s.sh starts: its admin, and the responder identity actions run as. */
import { kubeClients, type KubeClients } from '../src/index.js';
import { kubeEnv } from '../../../test/support/kube.js';

export { applyResponderRole, kubeConfigFor, kubeEnv } from '../../../test/support/kube.js';

export function testClients(): { admin: KubeClients; responder: KubeClients } {
  const server = kubeEnv('KUBE_API_URL');
  const caFile = kubeEnv('KUBE_CA_FILE');
  return {
    admin: kubeClients({ server, caFile, token: kubeEnv('KUBE_ADMIN_TOKEN') }),
    responder: kubeClients({ server, caFile, token: kubeEnv('KUBE_RESPONDER_TOKEN') }),
  };
}

/** A Deployment whose pods are labelled `app: <name>` (no controller runs here: it stays a stored object). */
export function deploymentBody(name: string, replicas: number, metadata: { labels?: Record<string, string>; annotations?: Record<string, string> } = {}) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name, ...metadata },
    spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'x', image: name }] } } },
  };
}
