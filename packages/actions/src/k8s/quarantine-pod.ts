/**
 * `k8s.quarantinePod`: isolates exactly one pod, not its workload. The pod gets the label
 * `bulwark.io/quarantine=<its uid>` and a NetworkPolicy `bulwark-quarantine-<pod>` selects that label (so no other pod,
 * not even a replacement with the same name) and denies all ingress and egress except the configured allowances
 * (DNS, forensics CIDRs). Idempotent: a second run finds both in place and changes nothing. Undo removes both (the
 * label only if this action set it).
 *
 * A quarantine that can be believed: a policy found under that name must have exactly the expected
 * spec, else it is replaced (whoever can edit NetworkPolicies in the namespace could have created it beforehand,
 * allowing everything); and because NetworkPolicies add up, every other policy selecting the pod with rules that
 * allow traffic is reported — a WARNING in the summary (the run and the incident timeline) and `allowing_policies` in
 * the outputs — or, with `fail_on_allowing_policies: true`, the step fails before changing anything.
 *
 * A NetworkPolicy decides new connections only: network plugins accept packets of connections already established
 * (kube-router's firewall does, measured on the test node: a stream the pod opened before the quarantine kept flowing),
 * so an attacker's open reverse shell outlives the quarantine. The summary says so every time, with what ends such
 * connections (deleting the pod, after the evidence is captured).
 *
 * `detach: true` also takes the pod out of its owning ReplicaSet's selector (the labels the selector matches are
 * removed), so the controller starts a replacement while the compromised pod stays for forensics; undo puts the
 * original values back. The undo record is checkpointed in the run journal before any change: a step retried after a
 * crash gets it back from there (`ctx.priorUndo`); the key on the pod and the policy is only a pointer.
 */
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import { refuseOwnWorkload, refuseProtected, type Action, type PlannedChange } from '../action.js';
import { checkpoint, foreignRecord, priorRecord, refusedUndo } from '../journal.js';
import { statusOf } from '../kube.js';
import { ACTION_KEY_ANNOTATION, jsonPatch, readOrNull } from './common.js';
import { allowingPolicies, allowingWarning, sameSpec } from './network-policy.js';
import { QUARANTINE_LABEL, labelsAfter, mapOps, policyFor, policyName, selectorLabels, type Op } from './quarantine-parts.js';

export { QUARANTINE_LABEL } from './quarantine-parts.js';

/** Said with every quarantine that changed something (see the header). */
export const ESTABLISHED_NOTE =
  'New connections to and from the pod are refused; connections it had open before may go on (network plugins let established flows through) until they close or the pod is deleted';
/**
 * Written on detached pods by earlier versions (the detached labels' values). Never read: a retry takes them from
 * the journal; undo only clears it from a pod carrying this step's key.
 */
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
  /** Fail (changing nothing) when another NetworkPolicy selects the pod and allows traffic; default: warn. */
  fail_on_allowing_policies: z.boolean().default(false),
});
export type QuarantineParams = z.infer<typeof Params>;
export type QuarantineInput = z.input<typeof Params>;

export interface QuarantineUndo {
  namespace: string;
  pod: string;
  /** The uid of the pod quarantined (the label's value): undo touches only that pod. Absent in older records. */
  uid?: string;
  policy: string;
  /** The label was set by this action (so undo removes it). */
  labelled: boolean;
  /** The policy was created (or replaced) by this action (so undo deletes it). */
  createdPolicy: boolean;
  /** With `detach`: the selector labels removed from the pod and their values (undo puts them back). */
  detached?: Record<string, string>;
  /** The idempotency key of the step, also on the pod and policy as a pointer (undo removes it there). */
  key?: string;
}

export const quarantinePod: Action<QuarantineParams, QuarantineUndo, QuarantineInput> = {
  name: 'k8s.quarantinePod',
  description:
    'Isolate one pod with a label and a deny-all NetworkPolicy selecting only it (DNS and forensics CIDRs allowed); a look-alike policy is replaced, other policies that still allow traffic are reported.',
  params: Params,
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'patch'] },
    // list: the other policies selecting the pod; update: replacing a policy found under the name with another spec.
    { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: ['get', 'list', 'create', 'update', 'delete'] },
    { apiGroups: ['apps'], resources: ['replicasets'], verbs: ['get'] },
  ],
  example: { namespace: 'payments', pod: 'api-7f9c', allow: { dns: true, cidrs: ['10.9.0.0/24'] } },

  async run(ctx, input) {
    const params = Params.parse(input);
    refuseProtected(ctx, params.namespace);
    const { core, networking } = ctx.kube;
    const { namespace } = params;
    const key = ctx.idempotencyKey;
    const pod = await core.readNamespacedPod({ namespace, name: params.pod });
    const meta = pod.metadata!;
    refuseOwnWorkload(meta, `pod ${namespace}/${params.pod}`, 'pod');
    const uid = meta.uid!;
    // What an earlier attempt of this very step recorded: from the journal, never from the pod's annotations.
    const prior = priorRecord<QuarantineUndo>(ctx, (r) => r.namespace === namespace && r.pod === params.pod && (r.uid === undefined || r.uid === uid));
    const plan: PlannedChange[] = [];

    const labelChanges: Record<string, string | null> = {};
    const annotationChanges: Record<string, string | null> = {};
    const needsLabel = meta.labels?.[QUARANTINE_LABEL] !== uid;
    if (needsLabel) labelChanges[QUARANTINE_LABEL] = uid;
    let detached = prior?.detached;
    if (params.detach) {
      const selected = await selectorLabels(ctx, pod);
      if (selected && Object.keys(selected.labels).length) {
        for (const k of Object.keys(selected.labels)) labelChanges[k] = null;
        // Values the earlier attempt saw first are the originals.
        detached = { ...selected.labels, ...detached };
      }
    }
    if (key && Object.keys(labelChanges).length && meta.annotations?.[ACTION_KEY_ANNOTATION] !== key) annotationChanges[ACTION_KEY_ANNOTATION] = key;
    const podOps = [...mapOps(meta, 'labels', labelChanges), ...mapOps(meta, 'annotations', annotationChanges)];
    if (podOps.length) plan.push({ kind: 'patch', target: `pods/${namespace}/${params.pod}`, detail: podOps });

    const name = policyName(params.pod);
    const policyTarget = `networkpolicies/${namespace}/${name}`;
    const wanted = policyFor(params, uid, key);
    const existing = await readOrNull(() => networking.readNamespacedNetworkPolicy({ namespace, name }));
    const lookalike = existing !== null && !sameSpec(existing.spec, wanted.spec);
    if (!existing) plan.push({ kind: 'create', target: policyTarget, detail: wanted });
    else if (lookalike) {
      plan.push({ kind: 'patch', target: policyTarget, detail: { replace: 'the policy under this name does not have the quarantine spec', found: JSON.parse(JSON.stringify(existing.spec ?? {})), with: wanted } });
    }

    const others = (await networking.listNamespacedNetworkPolicy({ namespace })).items;
    const allowing = allowingPolicies(others, labelsAfter(meta.labels ?? {}, labelChanges), name);
    const warning = allowing.length > 0 ? allowingWarning(namespace, params.pod, allowing) : '';
    if (warning && params.fail_on_allowing_policies) {
      throw new BulwarkError('BWK_CASE_INVALID_STATE', `${warning}; fail_on_allowing_policies is set: nothing was changed`, {
        field: 'fail_on_allowing_policies',
        policies: allowing,
      });
    }

    const labelled = needsLabel || prior?.labelled === true;
    const createdPolicy = !existing || lookalike || prior?.createdPolicy === true;
    const undo: QuarantineUndo | null =
      labelled || createdPolicy || detached
        ? { namespace, pod: params.pod, uid, policy: name, labelled, createdPolicy, ...(detached ? { detached } : {}), ...(key ? { key } : {}) }
        : null;
    const outputs = { policy: name, replaced_policy: lookalike, allowing_policies: allowing };
    const note = warning ? `. ${warning}` : '';
    if (plan.length === 0) return { changed: false, summary: `pod ${namespace}/${params.pod} is already quarantined${note}`, plan, undo, outputs };
    if (ctx.dryRun) return { changed: false, summary: `would quarantine pod ${namespace}/${params.pod}${note}`, plan, undo: null, outputs };
    // In the journal before anything changes: a crash after any of the changes below still leaves what undo needs.
    await checkpoint(ctx, undo);
    // Policy first: the pod is isolated as soon as it carries the label.
    if (!existing) await networking.createNamespacedNetworkPolicy({ namespace, body: wanted });
    else if (lookalike) {
      const body = { ...wanted, metadata: { ...wanted.metadata, resourceVersion: existing.metadata!.resourceVersion! } };
      await networking.replaceNamespacedNetworkPolicy({ namespace, name, body });
    }
    if (podOps.length) await core.patchNamespacedPod({ namespace, name: params.pod, body: podOps }, jsonPatch);
    const detachedNote = detached ? ` and detached from its ReplicaSet (${Object.keys(detached).join(', ')})` : '';
    const replacedNote = lookalike ? `; replaced the NetworkPolicy ${name} found under the quarantine's name, which did not have its spec` : '';
    return {
      changed: true,
      summary: `quarantined pod ${namespace}/${params.pod} (NetworkPolicy ${name})${detachedNote}${replacedNote}${note}. ${ESTABLISHED_NOTE}`,
      plan,
      undo,
      outputs,
    };
  },

  async undo(ctx, record) {
    refuseProtected(ctx, record.namespace);
    const foreign = foreignRecord(ctx, record.key);
    if (foreign) return refusedUndo(foreign);
    const { core, networking } = ctx.kube;
    const plan: PlannedChange[] = [];
    const notes: string[] = [];
    const pod = await readOrNull(() => core.readNamespacedPod({ namespace: record.namespace, name: record.pod }));
    let podOps: Op[] = [];
    if (pod && record.uid !== undefined && pod.metadata?.uid !== record.uid) {
      notes.push(`pod ${record.namespace}/${record.pod} is another pod now (uid ${pod.metadata?.uid}): left alone`);
    } else if (pod) {
      const meta = pod.metadata ?? {};
      const labels: Record<string, string | null> = {};
      // Only the label this step set: the journal says which value (the pod's uid) — another value is not ours.
      const current = meta.labels?.[QUARANTINE_LABEL];
      if (record.labelled && current !== undefined && (record.uid === undefined || current === record.uid)) labels[QUARANTINE_LABEL] = null;
      for (const [k, v] of Object.entries(record.detached ?? {})) if (meta.labels?.[k] !== v) labels[k] = v;
      const annotations: Record<string, string | null> =
        record.key && meta.annotations?.[ACTION_KEY_ANNOTATION] === record.key ? { [ACTION_KEY_ANNOTATION]: null, [DETACHED_LABELS_ANNOTATION]: null } : {};
      podOps = [...mapOps(meta, 'labels', labels), ...mapOps(meta, 'annotations', annotations)];
      if (podOps.length) plan.push({ kind: 'patch', target: `pods/${record.namespace}/${record.pod}`, detail: podOps });
    }
    let policy = record.createdPolicy ? await readOrNull(() => networking.readNamespacedNetworkPolicy({ namespace: record.namespace, name: record.policy })) : null;
    const policyKey = policy?.metadata?.annotations?.[ACTION_KEY_ANNOTATION];
    if (policy && record.key !== undefined && policyKey !== record.key) {
      notes.push(`NetworkPolicy ${record.policy} does not carry this step's key (it has ${policyKey ?? 'none'}): left alone`);
      policy = null;
    }
    if (policy) plan.push({ kind: 'delete', target: `networkpolicies/${record.namespace}/${record.policy}`, detail: null });
    const rest = notes.length > 0 ? `; ${notes.join('; ')}` : '';
    if (plan.length === 0) return { changed: false, summary: `pod ${record.namespace}/${record.pod} is not quarantined${rest}`, plan, undo: null };
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
    return { changed: !ctx.dryRun, summary: `released pod ${record.namespace}/${record.pod}${rest}`, plan, undo: null };
  },
};
