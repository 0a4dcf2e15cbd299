/**
 * `k8s.quarantinePod`: isolates exactly one pod, not its workload. The pod gets the label
 * `bulwark.io/quarantine=<its uid>` and a NetworkPolicy `bulwark-quarantine-<pod>` selects that label (so no other pod,
 * not even a replacement with the same name) and denies all ingress and egress except the configured allowances
 * (DNS, forensics CIDRs). Idempotent: a second run finds both in place and changes nothing. Undo removes both (the
 * label only if this action set it).
 *
 * `detach: true` also takes the pod out of its owning ReplicaSet's selector (the labels the selector matches are
 * removed), so the controller starts a replacement while the compromised pod stays for forensics; undo puts the
 * original values back. With an idempotency key, the key is recorded on the policy and the pod (and the detached
 * labels' values on the pod), so a retry after a crash returns the first run's undo record.
 */
import * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import { refuseOwnWorkload, refuseProtected, type Action, type ActionContext, type PlannedChange } from '../action.js';
import { statusOf } from '../kube.js';
import { ACTION_KEY_ANNOTATION, jsonPatch, pointer, readOrNull } from './common.js';

export const QUARANTINE_LABEL = 'bulwark.io/quarantine';
/** On a detached pod: its selector labels' original values (JSON), for a retried step. */
export const DETACHED_LABELS_ANNOTATION = 'bulwark.io/detached-labels';

const Params = z.strictObject({
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name').max(63),
  pod: z.string().min(1).max(253),
  allow: z
    .strictObject({
      /** Keep DNS (UDP and TCP 53) reachable, so the pod's lookups can still be observed. */
      dns: z.boolean().default(true),
      /** Egress the pod keeps, e.g. a forensics collector. */
      cidrs: z.array(z.string().regex(/^[0-9a-fA-F:.]+\/\d{1,3}$/, 'a CIDR such as 10.9.0.0/24')).max(16).default([]),
    })
    .prefault({}),
  /** Take the pod out of its ReplicaSet's selector too, so the controller replaces it while it stays for forensics. */
  detach: z.boolean().default(false),
});
export type QuarantineParams = z.infer<typeof Params>;
export type QuarantineInput = z.input<typeof Params>;

export interface QuarantineUndo {
  namespace: string;
  pod: string;
  policy: string;
  /** The label was set by this action (so undo removes it). */
  labelled: boolean;
  /** The policy was created by this action (so undo deletes it). */
  createdPolicy: boolean;
  /** With `detach`: the selector labels removed from the pod and their values (undo puts them back). */
  detached?: Record<string, string>;
  /** The idempotency key recorded on the pod and policy (undo removes that record). */
  key?: string;
}

const policyName = (pod: string): string => `bulwark-quarantine-${pod}`.slice(0, 253);

function policyFor(params: QuarantineParams, uid: string, key: string | undefined): k8s.V1NetworkPolicy {
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

type Op = { op: 'add' | 'remove'; path: string; value?: unknown };

/** JSON Patch ops setting (string) or removing (null) entries of a pod's labels or annotations. */
function mapOps(meta: k8s.V1ObjectMeta, field: 'labels' | 'annotations', changes: Record<string, string | null>): Op[] {
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

function matchesSelector(labels: Record<string, string>, selector: k8s.V1LabelSelector): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const inValues = has && (e.values ?? []).includes(labels[e.key]!);
    if (e.operator === 'In' && !inValues) return false;
    if (e.operator === 'NotIn' && inValues) return false;
    if (e.operator === 'Exists' && !has) return false;
    if (e.operator === 'DoesNotExist' && has) return false;
  }
  return true;
}

/** The pod's labels its owning ReplicaSet's selector needs (removing them detaches it), or null without one. */
async function selectorLabels(ctx: ActionContext, pod: k8s.V1Pod): Promise<{ owner: string; labels: Record<string, string> } | null> {
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

export const quarantinePod: Action<QuarantineParams, QuarantineUndo, QuarantineInput> = {
  name: 'k8s.quarantinePod',
  description: 'Isolate one pod with a label and a deny-all NetworkPolicy selecting only it (DNS and forensics CIDRs allowed).',
  params: Params,
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'create', 'delete'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'] },
  ],
  example: { namespace: 'payments', pod: 'api-7f9c', allow: { dns: true, cidrs: ['10.9.0.0/24'] } },

  async run(ctx, input) {
    const params = Params.parse(input);
    refuseProtected(ctx, params.namespace);
    const { core, networking } = ctx.kube;
    const key = ctx.idempotencyKey;
    const pod = await core.readNamespacedPod({ namespace: params.namespace, name: params.pod });
    const meta = pod.metadata!;
    refuseOwnWorkload(meta, `pod ${params.namespace}/${params.pod}`, 'pod');
    const uid = meta.uid!;
    const podTarget = `pods/${params.namespace}/${params.pod}`;
    const ours = key !== undefined && meta.annotations?.[ACTION_KEY_ANNOTATION] === key;
    const plan: PlannedChange[] = [];

    const labelChanges: Record<string, string | null> = {};
    const annotationChanges: Record<string, string | null> = {};
    const needsLabel = meta.labels?.[QUARANTINE_LABEL] !== uid;
    if (needsLabel) labelChanges[QUARANTINE_LABEL] = uid;
    // Detached labels a first attempt recorded are the original values.
    let detached: Record<string, string> | undefined = ours && meta.annotations?.[DETACHED_LABELS_ANNOTATION]
      ? (JSON.parse(meta.annotations[DETACHED_LABELS_ANNOTATION]) as Record<string, string>)
      : undefined;
    if (params.detach) {
      const selected = await selectorLabels(ctx, pod);
      if (selected && Object.keys(selected.labels).length) {
        for (const k of Object.keys(selected.labels)) labelChanges[k] = null;
        detached = { ...selected.labels, ...detached };
        if (key) annotationChanges[DETACHED_LABELS_ANNOTATION] = JSON.stringify(detached);
      }
    }
    if (key && Object.keys(labelChanges).length && !ours) annotationChanges[ACTION_KEY_ANNOTATION] = key;
    const podOps = [...mapOps(meta, 'labels', labelChanges), ...mapOps(meta, 'annotations', annotationChanges)];
    if (podOps.length) plan.push({ kind: 'patch', target: podTarget, detail: podOps });

    const name = policyName(params.pod);
    const existing = await readOrNull(() => networking.readNamespacedNetworkPolicy({ namespace: params.namespace, name }));
    const policy = policyFor(params, uid, key);
    if (!existing) plan.push({ kind: 'create', target: `networkpolicies/${params.namespace}/${name}`, detail: policy });

    const labelled = needsLabel || ours;
    const createdPolicy = !existing || (key !== undefined && existing.metadata?.annotations?.[ACTION_KEY_ANNOTATION] === key);
    const undo: QuarantineUndo | null =
      labelled || createdPolicy || detached
        ? {
            namespace: params.namespace,
            pod: params.pod,
            policy: name,
            labelled,
            createdPolicy,
            ...(detached ? { detached } : {}),
            ...(key ? { key } : {}),
          }
        : null;
    if (plan.length === 0) return { changed: false, summary: `pod ${params.namespace}/${params.pod} is already quarantined`, plan, undo };
    if (ctx.dryRun) return { changed: false, summary: `would quarantine pod ${params.namespace}/${params.pod}`, plan, undo: null };
    // Policy first: the pod is isolated as soon as it carries the label.
    if (!existing) await networking.createNamespacedNetworkPolicy({ namespace: params.namespace, body: policy });
    if (podOps.length) await core.patchNamespacedPod({ namespace: params.namespace, name: params.pod, body: podOps }, jsonPatch);
    const detachedNote = detached ? ` and detached from its ReplicaSet (${Object.keys(detached).join(', ')})` : '';
    return {
      changed: true,
      summary: `quarantined pod ${params.namespace}/${params.pod} (NetworkPolicy ${name})${detachedNote}`,
      plan,
      undo,
    };
  },

  async undo(ctx, record) {
    refuseProtected(ctx, record.namespace);
    const { core, networking } = ctx.kube;
    const plan: PlannedChange[] = [];
    const pod = await readOrNull(() => core.readNamespacedPod({ namespace: record.namespace, name: record.pod }));
    let podOps: Op[] = [];
    if (pod) {
      const meta = pod.metadata ?? {};
      const labels: Record<string, string | null> = {};
      if (record.labelled && meta.labels && Object.hasOwn(meta.labels, QUARANTINE_LABEL)) labels[QUARANTINE_LABEL] = null;
      for (const [k, v] of Object.entries(record.detached ?? {})) if (meta.labels?.[k] !== v) labels[k] = v;
      const annotations: Record<string, string | null> =
        record.key && meta.annotations?.[ACTION_KEY_ANNOTATION] === record.key
          ? { [ACTION_KEY_ANNOTATION]: null, [DETACHED_LABELS_ANNOTATION]: null }
          : {};
      podOps = [...mapOps(meta, 'labels', labels), ...mapOps(meta, 'annotations', annotations)];
      if (podOps.length) plan.push({ kind: 'patch', target: `pods/${record.namespace}/${record.pod}`, detail: podOps });
    }
    const policy = record.createdPolicy
      ? await readOrNull(() => networking.readNamespacedNetworkPolicy({ namespace: record.namespace, name: record.policy }))
      : null;
    if (policy) plan.push({ kind: 'delete', target: `networkpolicies/${record.namespace}/${record.policy}`, detail: null });
    if (plan.length === 0) return { changed: false, summary: `pod ${record.namespace}/${record.pod} is not quarantined`, plan, undo: null };
    if (!ctx.dryRun) {
      if (podOps.length) await core.patchNamespacedPod({ namespace: record.namespace, name: record.pod, body: podOps }, jsonPatch);
      if (policy) {
        try {
          await networking.deleteNamespacedNetworkPolicy({ namespace: record.namespace, name: record.policy });
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
      }
    }
    return { changed: !ctx.dryRun, summary: `released pod ${record.namespace}/${record.pod}`, plan, undo: null };
  },
};
