/**
 * Reaching the Kubernetes API the standard way: `KUBECONFIG` (else ~/.kube/config), else the in-cluster service
 * account — `KubeConfig.loadFromDefault` does exactly that — or explicit options (tests, a remote cluster).
 */
import * as k8s from '@kubernetes/client-node';

export interface KubeClients {
  core: k8s.CoreV1Api;
  apps: k8s.AppsV1Api;
  networking: k8s.NetworkingV1Api;
  /** Role bindings (credential revocation). */
  rbac: k8s.RbacAuthorizationV1Api;
  /** SelfSubjectReview: who the responder is (it never revokes itself). */
  authentication: k8s.AuthenticationV1Api;
  /**
   * The API server these clients talk to; null when no configuration was found (no KUBECONFIG, ~/.kube/config or
   * in-cluster service account): client-node then falls back to http://localhost:8080, which every call refuses.
   */
  server: string | null;
}

export interface KubeOptions {
  server: string;
  token: string;
  caFile?: string;
}

/** Where client-node points when it found no configuration. */
const UNCONFIGURED = 'http://localhost:8080';

/** The connection `options` describe, or KUBECONFIG / ~/.kube/config / the in-cluster account without them. */
export function kubeConfigOf(options?: KubeOptions): k8s.KubeConfig {
  const kc = new k8s.KubeConfig();
  if (options) {
    kc.loadFromOptions({
      clusters: [{ name: 'cluster', server: options.server, ...(options.caFile ? { caFile: options.caFile } : {}), skipTLSVerify: false }],
      users: [{ name: 'bulwark', token: options.token }],
      contexts: [{ name: 'bulwark', cluster: 'cluster', user: 'bulwark' }],
      currentContext: 'bulwark',
    });
  } else {
    kc.loadFromDefault();
  }
  return kc;
}

export function kubeClients(options?: KubeOptions): KubeClients {
  const kc = kubeConfigOf(options);
  return {
    core: kc.makeApiClient(k8s.CoreV1Api),
    apps: kc.makeApiClient(k8s.AppsV1Api),
    networking: kc.makeApiClient(k8s.NetworkingV1Api),
    rbac: kc.makeApiClient(k8s.RbacAuthorizationV1Api),
    authentication: kc.makeApiClient(k8s.AuthenticationV1Api),
    server: options ? options.server : kc.getCurrentCluster()?.server === UNCONFIGURED ? null : (kc.getCurrentCluster()?.server ?? null),
  };
}

/** The HTTP status of a client error (404 for "not found"), or undefined for other failures. */
export function statusOf(err: unknown): number | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === 'number' ? code : undefined;
}
