/**
 * The real API server test/services/k8s.sh starts: its addresses and tokens from the environment, raw clients for an
 * identity, and the responder's ClusterRole made equal to deploy/responder-clusterrole.yaml as the repo has it now
 * (k8s.sh applied the file as it was when the server started). No Bulwark imports: packages' tests use it too.
 */
import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { parse } from 'yaml';
import * as k8s from '@kubernetes/client-node';

export function kubeEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the suite with \`npm test\`, or \`test/services/up k8s && source test/.services.env\``);
  return value;
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

export async function applyResponderRole(): Promise<void> {
  const rbac = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN')).makeApiClient(k8s.RbacAuthorizationV1Api);
  const role = parse(readFileSync(new URL('../../deploy/responder-clusterrole.yaml', import.meta.url), 'utf8')) as k8s.V1ClusterRole;
  try {
    const current = await rbac.readClusterRole({ name: 'bulwark-responder' });
    await rbac.replaceClusterRole({ name: 'bulwark-responder', body: { ...role, metadata: { ...role.metadata, resourceVersion: current.metadata!.resourceVersion! } } });
  } catch (err) {
    if ((err as { code?: number }).code !== 404) throw err;
    await rbac.createClusterRole({ body: role });
  }
}

/** POST pods/exec as kubectl's SPDY-less clients do; resolves with the status code (400: no node to run it on). */
export function postExec(token: string, namespace: string, pod: string): Promise<number> {
  const url = new URL(`${kubeEnv('KUBE_API_URL')}/api/v1/namespaces/${namespace}/pods/${pod}/exec?command=sh&container=app&stdin=true&tty=true`);
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca: readFileSync(kubeEnv('KUBE_CA_FILE')), headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The test API server's attacker (`mallory@example.com`): broad non-admin rights, including `bind` on cluster roles. */
export const ATTACKER = 'mallory@example.com';

/** The attacker creates a privileged pod (first move of the multi-stage breach). */
export async function createPrivilegedPod(attacker: k8s.KubeConfig, namespace: string, pod: string): Promise<void> {
  await attacker.makeApiClient(k8s.CoreV1Api).createNamespacedPod({
    namespace,
    body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: pod }, spec: { containers: [{ name: 'app', image: 'busybox', securityContext: { privileged: true } }] } },
  });
}

/** The attacker binds themself to cluster-admin (the call that completes the multi-stage breach). */
export async function bindToClusterAdmin(attacker: k8s.KubeConfig, name: string): Promise<void> {
  await attacker.makeApiClient(k8s.RbacAuthorizationV1Api).createClusterRoleBinding({
    body: {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
      subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: ATTACKER }],
    },
  });
}
