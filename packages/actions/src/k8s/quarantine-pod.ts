/**
 * `k8s.quarantinePod`: isolates exactly one pod, not its workload. The pod gets the label
 * `bulwark.io/quarantine=<its uid>` and a NetworkPolicy `bulwark-quarantine-<pod>` selects that label (so no other pod,
 * not even a replacement with the same name) and denies all ingress and egress except the configured allowances
 * (DNS, forensics CIDRs). Idempotent: a second run finds both in place and changes nothing. Undo removes both (the
 * label only if this action set it).
 */
import * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { refuseProtected, type Action, type PlannedChange } from '../action.js';
import { statusOf } from '../kube.js';

export const QUARANTINE_LABEL = 'bulwark.io/quarantine';

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
}

const policyName = (pod: string): string => `bulwark-quarantine-${pod}`.slice(0, 253);

function policyFor(params: QuarantineParams, uid: string): k8s.V1NetworkPolicy {
  const egress: k8s.V1NetworkPolicyEgressRule[] = [];
  if (params.allow.dns) {
    egress.push({ ports: [{ protocol: 'UDP', port: 53 }, { protocol: 'TCP', port: 53 }] });
  }
  for (const cidr of params.allow.cidrs) egress.push({ to: [{ ipBlock: { cidr } }] });
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: policyName(params.pod), namespace: params.namespace, labels: { 'app.kubernetes.io/managed-by': 'bulwark' } },
    spec: { podSelector: { matchLabels: { [QUARANTINE_LABEL]: uid } }, policyTypes: ['Ingress', 'Egress'], ingress: [], egress },
  };
}

const labelPatch = (value: string | null): object[] => [
  value === null
    ? { op: 'remove', path: `/metadata/labels/${QUARANTINE_LABEL.replace('/', '~1')}` }
    : { op: 'add', path: `/metadata/labels/${QUARANTINE_LABEL.replace('/', '~1')}`, value },
];
const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

export const quarantinePod: Action<QuarantineParams, QuarantineUndo, QuarantineInput> = {
  name: 'k8s.quarantinePod',
  description: 'Isolate one pod with a label and a deny-all NetworkPolicy selecting only it (DNS and forensics CIDRs allowed).',
  params: Params,
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'create', 'delete'] },
  ],
  example: { namespace: 'payments', pod: 'api-7f9c', allow: { dns: true, cidrs: ['10.9.0.0/24'] } },

  async run(ctx, input) {
    const params = Params.parse(input);
    refuseProtected(ctx, params.namespace);
    const { core, networking } = ctx.kube;
    const pod = await core.readNamespacedPod({ namespace: params.namespace, name: params.pod });
    const uid = pod.metadata!.uid!;
    const plan: PlannedChange[] = [];
    const labelled = pod.metadata?.labels?.[QUARANTINE_LABEL] !== uid;
    if (labelled) plan.push({ kind: 'patch', target: `pods/${params.namespace}/${params.pod}`, detail: labelPatch(uid) });
    const name = policyName(params.pod);
    let exists = true;
    try {
      await networking.readNamespacedNetworkPolicy({ namespace: params.namespace, name });
    } catch (err) {
      if (statusOf(err) !== 404) throw err;
      exists = false;
    }
    const policy = policyFor(params, uid);
    if (!exists) plan.push({ kind: 'create', target: `networkpolicies/${params.namespace}/${name}`, detail: policy });
    if (plan.length === 0) return { changed: false, summary: `pod ${params.namespace}/${params.pod} is already quarantined`, plan, undo: null };
    if (ctx.dryRun) return { changed: false, summary: `would quarantine pod ${params.namespace}/${params.pod}`, plan, undo: null };
    // Policy first: the pod is isolated as soon as it carries the label.
    if (!exists) await networking.createNamespacedNetworkPolicy({ namespace: params.namespace, body: policy });
    if (labelled) await core.patchNamespacedPod({ namespace: params.namespace, name: params.pod, body: labelPatch(uid) }, jsonPatch);
    return {
      changed: true,
      summary: `quarantined pod ${params.namespace}/${params.pod} (NetworkPolicy ${name})`,
      plan,
      undo: { namespace: params.namespace, pod: params.pod, policy: name, labelled, createdPolicy: !exists },
    };
  },

  async undo(ctx, record) {
    refuseProtected(ctx, record.namespace);
    const { core, networking } = ctx.kube;
    const plan: PlannedChange[] = [];
    if (record.labelled) {
      plan.push({ kind: 'patch', target: `pods/${record.namespace}/${record.pod}`, detail: labelPatch(null) });
      if (!ctx.dryRun) {
        try {
          await core.patchNamespacedPod({ namespace: record.namespace, name: record.pod, body: labelPatch(null) }, jsonPatch);
        } catch (err) {
          // Gone, or the label already removed (a JSON Patch `remove` of a missing path is 422): nothing to undo.
          if (statusOf(err) !== 404 && statusOf(err) !== 422) throw err;
        }
      }
    }
    if (record.createdPolicy) {
      plan.push({ kind: 'delete', target: `networkpolicies/${record.namespace}/${record.policy}`, detail: null });
      if (!ctx.dryRun) {
        try {
          await networking.deleteNamespacedNetworkPolicy({ namespace: record.namespace, name: record.policy });
        } catch (err) {
          if (statusOf(err) !== 404) throw err;
        }
      }
    }
    return { changed: plan.length > 0 && !ctx.dryRun, summary: `released pod ${record.namespace}/${record.pod}`, plan, undo: null };
  },
};
