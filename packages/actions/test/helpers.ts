/** Clients for the real API server test/services/k8s.sh starts: its admin, and the responder identity actions run as. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { kubeClients, statusOf, type KubeClients } from '../src/index.js';

export function kubeEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\`, or \`test/services/up k8s && source test/.services.env\``);
  return value;
}

export function testClients(): { admin: KubeClients; responder: KubeClients } {
  const server = kubeEnv('KUBE_API_URL');
  const caFile = kubeEnv('KUBE_CA_FILE');
  return {
    admin: kubeClients({ server, caFile, token: kubeEnv('KUBE_ADMIN_TOKEN') }),
    responder: kubeClients({ server, caFile, token: kubeEnv('KUBE_RESPONDER_TOKEN') }),
  };
}

/** A raw client for the API server as `token` (RBAC objects, TokenRequest, SelfSubjectReview). */
export function kubeConfigFor(token: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: kubeEnv('KUBE_API_URL'), caFile: kubeEnv('KUBE_CA_FILE'), skipTLSVerify: false }],
    users: [{ name: 'u', token }],
    contexts: [{ name: 'c', cluster: 'test', user: 'u' }],
    currentContext: 'c',
  });
  return kc;
}

/**
 * Makes the server's `bulwark-responder` ClusterRole exactly deploy/responder-clusterrole.yaml as the repo has it now
 * (k8s.sh applied the file as it was when the server started), so tests act with the rights the manifest grants.
 */
export async function applyResponderRole(): Promise<void> {
  const rbac = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN')).makeApiClient(k8s.RbacAuthorizationV1Api);
  const role = parse(readFileSync(new URL('../../../deploy/responder-clusterrole.yaml', import.meta.url), 'utf8')) as k8s.V1ClusterRole;
  try {
    const current = await rbac.readClusterRole({ name: 'bulwark-responder' });
    await rbac.replaceClusterRole({ name: 'bulwark-responder', body: { ...role, metadata: { ...role.metadata, resourceVersion: current.metadata!.resourceVersion! } } });
  } catch (err) {
    if (statusOf(err) !== 404) throw err;
    await rbac.createClusterRole({ body: role });
  }
}
