/**
 * The Kubernetes clients the responder acts with: `responder.kube` (server, token file, CA) when configured, else
 * KUBECONFIG, ~/.kube/config or the in-cluster service account.
 */
import { readFileSync } from 'node:fs';
import type { Config } from '@bulwark/config';
import { kubeClients, type KubeClients } from '@bulwark/actions';

export function kubeFromConfig(config: Config): KubeClients {
  const kube = config.responder.kube;
  if (kube?.server && kube.token_file) {
    return kubeClients({ server: kube.server, token: readFileSync(kube.token_file, 'utf8').trim(), ...(kube.ca_file ? { caFile: kube.ca_file } : {}) });
  }
  return kubeClients();
}
