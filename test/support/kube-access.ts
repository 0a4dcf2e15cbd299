/**
 * What an identity may do on the real test API server, asked as that identity: SelfSubjectAccessReview for one verb on
 * one resource, SelfSubjectRulesReview for everything it holds in a namespace (cluster-wide bindings included), and
 * ServiceAccount tokens from the TokenRequest API, so a test proves the rights of a manifest's account, not an
 * approximation of them.
 */
import * as k8s from '@kubernetes/client-node';
import { kubeConfigFor } from './kube.js';

/** One request as RBAC sees it; `resource` may carry a subresource (`pods/exec`); no namespace = every namespace. */
export interface Access {
  group: string;
  resource: string;
  verb: string;
  namespace?: string;
}

export const describeAccess = (a: Access): string =>
  `${a.verb} ${a.group ? `${a.group}/` : ''}${a.resource}${a.namespace ? ` in ${a.namespace}` : ' (all namespaces)'}`;

export async function allowed(token: string, access: Access): Promise<boolean> {
  const [resource, subresource] = access.resource.split('/') as [string, string | undefined];
  const review = await kubeConfigFor(token)
    .makeApiClient(k8s.AuthorizationV1Api)
    .createSelfSubjectAccessReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: { resourceAttributes: { group: access.group, resource, subresource, verb: access.verb, namespace: access.namespace } },
      },
    });
  return review.status?.allowed === true;
}

/** `group|resource|verb` for every combination a list of RBAC rules grants (resource names ignored: none are used). */
export function expandRules(rules: { apiGroups?: string[]; resources?: string[]; verbs: string[] }[]): Set<string> {
  const out = new Set<string>();
  for (const rule of rules) {
    for (const group of rule.apiGroups ?? []) {
      for (const resource of rule.resources ?? []) for (const verb of rule.verbs) out.add(`${group}|${resource}|${verb}`);
    }
  }
  return out;
}

/** Every resource right `token` holds in `namespace`, expanded (SelfSubjectRulesReview). */
export async function heldRights(token: string, namespace: string): Promise<Set<string>> {
  const review = await kubeConfigFor(token)
    .makeApiClient(k8s.AuthorizationV1Api)
    .createSelfSubjectRulesReview({
      body: { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectRulesReview', spec: { namespace } },
    });
  if (review.status?.incomplete) throw new Error(`the rules review is incomplete: ${review.status.evaluationError ?? ''}`);
  return expandRules(review.status?.resourceRules ?? []);
}

/** A short-lived token of a ServiceAccount (TokenRequest), as a pod of that account would hold. */
export async function serviceAccountToken(admin: k8s.KubeConfig, namespace: string, name: string): Promise<string> {
  const request = await admin.makeApiClient(k8s.CoreV1Api).createNamespacedServiceAccountToken({
    name,
    namespace,
    body: { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { audiences: [], expirationSeconds: 600 } },
  });
  const token = request.status?.token;
  if (!token) throw new Error(`no token for ${namespace}/${name}`);
  return token;
}

export const difference = <T>(a: Set<T>, b: Set<T>): T[] => [...a].filter((x) => !b.has(x)).sort();
