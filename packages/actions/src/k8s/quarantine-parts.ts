/**
 * The pieces `k8s.quarantinePod` is built from: the NetworkPolicy it wants, JSON Patch operations on a pod's labels
 * and annotations, and the labels that tie a pod to its ReplicaSet (`detach`).
 */
import type * as k8s from '@kubernetes/client-node';
import { BulwarkError } from '@bulwark/schema';
import type { ActionContext } from '../action.js';
import { ACTION_KEY_ANNOTATION, pointer, readOrNull } from './common.js';
import { matchesSelector } from './network-policy.js';

export const QUARANTINE_LABEL = 'bulwark.io/quarantine';

export interface PolicyParams {
  namespace: string;
  pod: string;
  allow: { dns: boolean; cidrs: string[] };
}

export const policyName = (pod: string): string => `bulwark-quarantine-${pod}`.slice(0, 253);

/** The policy: selects only the pod's uid label, no ingress, egress only to DNS (optional) and the listed CIDRs. */
export function policyFor(params: PolicyParams, uid: string, key: string | undefined): k8s.V1NetworkPolicy {
  const egress: k8s.V1NetworkPolicyEgressRule[] = [];
  if (params.allow.dns) {
    egress.push({ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] });
  }
  for (const cidr of params.allow.cidrs) egress.push({ to: [{ ipBlock: { cidr } }] });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: policyName(params.pod),
      namespace: params.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'bulwark' },
      ...(key ? { annotations: { [ACTION_KEY_ANNOTATION]: key } } : {}),
    },
    spec: { podSelector: { matchLabels: { [QUARANTINE_LABEL]: uid } }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress },
  };
}

export type Op = { op: 'add' | 'remove'; path: string; value?: unknown };

/** JSON Patch ops setting (string) or removing (null) entries of a pod's labels or annotations. */
export function mapOps(meta: k8s.V1ObjectMeta, field: 'labels' | 'annotations', changes: Record<string, string | null>): Op[] {
  const current = meta[field];
  const ops: Op[] = [];
  const sets = Object.entries(changes).filter(([, v]) => v !== null);
  if (!current && sets.length) ops.push({ op: 'add', path: `/metadata/${field}`, value: {} });
  for (const [key, value] of Object.entries(changes)) {
    const path = `/metadata/${field}/${pointer(key)}`;
    if (value !== null) ops.push({ op: 'add', path, value });
    else if (current && Object.hasOwn(current, key)) ops.push({ op: 'remove', path });
  }
  return ops;
}

/** The pod's labels its owning ReplicaSet's selector needs (removing them detaches it), or null without one. */
export async function selectorLabels(ctx: ActionContext, pod: k8s.V1Pod): Promise<{ owner: string; labels: Record<string, string> } | null> {
  const owner = pod.metadata?.ownerReferences?.find((o) => o.controller);
  if (!owner) return null;
  if (owner.kind !== 'ReplicaSet') {
    throw new BulwarkError('BWK_BAD_REQUEST', `detach: pod ${pod.metadata?.name} is controlled by a ${owner.kind}; only a ReplicaSet's pods can be detached`, { field: 'detach' });
  }
  const rs = await readOrNull(() => ctx.kube.apps.readNamespacedReplicaSet({ namespace: pod.metadata!.namespace!, name: owner.name }));
  if (!rs) return null;
  const selector = rs.spec?.selector ?? {};
  const labels = pod.metadata?.labels ?? {};
  const keys = new Set([
    ...Object.keys(selector.matchLabels ?? {}),
    ...(selector.matchExpressions ?? []).filter((e) => e.operator === 'In' || e.operator === 'Exists').map((e) => e.key),
  ]);
  const removed = Object.fromEntries(Object.entries(labels).filter(([k]) => keys.has(k)));
  const remaining = Object.fromEntries(Object.entries(labels).filter(([k]) => !keys.has(k)));
  if (matchesSelector(labels, selector) && matchesSelector(remaining, selector)) {
    throw new BulwarkError('BWK_BAD_REQUEST', `detach: the selector of ReplicaSet ${owner.name} still matches the pod without its labels`, { field: 'detach' });
  }
  return { owner: `ReplicaSet/${owner.name}`, labels: removed };
}

/** The pod's labels once quarantined: what other NetworkPolicies' selectors are matched against. */
export function labelsAfter(labels: Record<string, string>, changes: Record<string, string | null>): Record<string, string> {
  const out = { ...labels };
  for (const [k, v] of Object.entries(changes)) {
    if (v === null) delete out[k];
    else out[k] = v;
  }
  return out;
}
