/**
 * `k8s.scaleWorkload`: sets a Deployment's, StatefulSet's or ReplicaSet's replicas (default 0: stop a crypto miner)
 * through its scale subresource, recording the previous count for undo. A second run finds the count already set and
 * changes nothing. The undo record (with the previous count) is checkpointed in the run journal before the workload is
 * scaled: a retry after a crash takes it from there (`ctx.priorUndo`), and undo restores the journal's count — never a
 * count read back from the workload, whose owner can edit it. With an idempotency key, the workload carries it
 * (`bulwark.io/action-key`, a pointer) and, for people, `bulwark.io/previous-replicas`, which is never read back;
 * undo removes both.
 *
 * The target is named either as the workload (`kind`, `name`) or as one of its pods (`pod`, what an alert knows): the
 * pod's controller chain is followed through ownerReferences — Pod → ReplicaSet → Deployment, Pod → StatefulSet, or a
 * ReplicaSet no Deployment controls — and that workload is scaled; the undo record names it, not the pod. A pod without
 * a controller, or run by a DaemonSet, Job or anything else, is refused: scaling cannot stop it.
 */
import * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import { refuseOwnWorkload, refuseProtected, type Action, type ActionContext, type PlannedChange } from '../action.js';
import { checkpoint, foreignRecord, priorRecord, refusedUndo } from '../journal.js';
import { ACTION_KEY_ANNOTATION, mergePatch, namespaceName, objectName, readOrNull } from './common.js';

/** For people looking at the workload: the count before Bulwark scaled it. Informational only — never read back. */
export const PREVIOUS_REPLICAS_ANNOTATION = 'bulwark.io/previous-replicas';

const Kinds = ['Deployment', 'StatefulSet', 'ReplicaSet'] as const;
export type WorkloadKind = (typeof Kinds)[number];

const Params = z
  .strictObject({
    namespace: namespaceName,
    /** The workload form: its kind (default Deployment) and name. */
    kind: z.enum(Kinds).optional(),
    name: objectName.optional(),
    /** The pod form: a pod of the workload to scale (its controller chain is followed). */
    pod: objectName.optional(),
    replicas: z.number().int().min(0).max(10_000).default(0),
  })
  .superRefine((p, ctx) => {
    if (p.pod !== undefined) {
      for (const field of ['name', 'kind'] as const) {
        if (p[field] !== undefined) {
          ctx.addIssue({ code: 'custom', path: [field], message: `give either the workload (kind, name) or a pod of it (pod), not both: drop ${field} or pod` });
        }
      }
    } else if (p.name === undefined) {
      ctx.addIssue({ code: 'custom', path: ['name'], message: 'required: the workload name (with kind, default Deployment), or pod to scale the workload that runs that pod' });
    }
  });
export type ScaleParams = z.infer<typeof Params>;
export type ScaleInput = z.input<typeof Params>;

export interface ScaleUndo {
  namespace: string;
  kind: WorkloadKind;
  name: string;
  previous: number;
  /** The pod the workload was found through (the pod form). */
  pod?: string;
  /** The idempotency key recorded on the workload (undo removes that record). */
  key?: string;
}

type Ref = { namespace: string; kind: WorkloadKind; name: string };

const path = (p: Ref): string => `${p.kind.toLowerCase()}s/${p.namespace}/${p.name}/scale`;

/** The controller ownerReference (`controller: true`), if any. */
const controllerOf = (meta: k8s.V1ObjectMeta | undefined): k8s.V1OwnerReference | undefined => meta?.ownerReferences?.find((o) => o.controller === true);

const isApps = (owner: k8s.V1OwnerReference): boolean => owner.apiVersion.split('/')[0] === 'apps';

/**
 * The workload that runs `pod`, and the chain that led there (`Pod ns/x`, `ReplicaSet y`, `Deployment z`). Each owner
 * is read and must still be the object the reference names (same uid), not a later one with the same name.
 */
async function resolvePod(ctx: ActionContext, namespace: string, pod: string): Promise<{ ref: Ref; via: string[] }> {
  const { core, apps } = ctx.kube;
  const found = await readOrNull(() => core.readNamespacedPod({ namespace, name: pod }));
  if (!found) throw new BulwarkError('BWK_NOT_FOUND', `pod ${namespace}/${pod} does not exist: name its workload with kind and name instead`, { field: 'pod' });
  const via = [`Pod ${namespace}/${pod}`];
  const owner = controllerOf(found.metadata);
  if (!owner) {
    throw new BulwarkError('BWK_BAD_REQUEST', `pod ${namespace}/${pod} has no controller: there is no workload to scale (quarantine or delete the pod instead)`, { field: 'pod' });
  }
  const refuse = (what: string): never => {
    throw new BulwarkError('BWK_BAD_REQUEST', `pod ${namespace}/${pod} is run by ${what}: only Deployments, StatefulSets and ReplicaSets can be scaled (quarantine or delete the pod instead)`, {
      field: 'pod',
    });
  };
  const owned = async <T extends { metadata?: k8s.V1ObjectMeta }>(ref: k8s.V1OwnerReference, read: () => Promise<T>): Promise<T> => {
    const object = await readOrNull(read);
    if (!object || object.metadata?.uid !== ref.uid) {
      throw new BulwarkError('BWK_NOT_FOUND', `${ref.kind} ${namespace}/${ref.name}, the controller of ${via.join(' → ')}, no longer exists`, { field: 'pod' });
    }
    via.push(`${ref.kind} ${ref.name}`);
    return object;
  };
  if (!isApps(owner) || (owner.kind !== 'ReplicaSet' && owner.kind !== 'StatefulSet')) return refuse(`${owner.kind} ${owner.name}`);
  if (owner.kind === 'StatefulSet') {
    await owned(owner, () => apps.readNamespacedStatefulSet({ namespace, name: owner.name }));
    return { ref: { namespace, kind: 'StatefulSet', name: owner.name }, via };
  }
  const rs = await owned(owner, () => apps.readNamespacedReplicaSet({ namespace, name: owner.name }));
  const top = controllerOf(rs.metadata);
  if (!top) return { ref: { namespace, kind: 'ReplicaSet', name: owner.name }, via };
  if (!isApps(top) || top.kind !== 'Deployment') return refuse(`ReplicaSet ${owner.name}, which ${top.kind} ${top.name} controls`);
  await owned(top, () => apps.readNamespacedDeployment({ namespace, name: top.name }));
  return { ref: { namespace, kind: 'Deployment', name: top.name }, via };
}

async function readReplicas(ctx: ActionContext, p: Ref): Promise<number> {
  const { apps } = ctx.kube;
  const args = { namespace: p.namespace, name: p.name };
  const scale =
    p.kind === 'Deployment' ? await apps.readNamespacedDeploymentScale(args)
    : p.kind === 'StatefulSet' ? await apps.readNamespacedStatefulSetScale(args)
    : await apps.readNamespacedReplicaSetScale(args);
  return scale.spec?.replicas ?? 0;
}

async function writeReplicas(ctx: ActionContext, p: Ref, replicas: number): Promise<void> {
  const { apps } = ctx.kube;
  const body = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: p.name, namespace: p.namespace }, spec: { replicas } };
  const args = { namespace: p.namespace, name: p.name, body };
  if (p.kind === 'Deployment') await apps.replaceNamespacedDeploymentScale(args);
  else if (p.kind === 'StatefulSet') await apps.replaceNamespacedStatefulSetScale(args);
  else await apps.replaceNamespacedReplicaSetScale(args);
}

async function readAnnotations(ctx: ActionContext, p: Ref): Promise<Record<string, string>> {
  return (await readWorkloadMeta(ctx, p)).annotations ?? {};
}

async function readWorkloadMeta(ctx: ActionContext, p: Ref): Promise<k8s.V1ObjectMeta> {
  const { apps } = ctx.kube;
  const args = { namespace: p.namespace, name: p.name };
  const object =
    p.kind === 'Deployment' ? await apps.readNamespacedDeployment(args)
    : p.kind === 'StatefulSet' ? await apps.readNamespacedStatefulSet(args)
    : await apps.readNamespacedReplicaSet(args);
  return object.metadata ?? {};
}

async function annotate(ctx: ActionContext, p: Ref, annotations: Record<string, string | null>): Promise<void> {
  const { apps } = ctx.kube;
  const args = { namespace: p.namespace, name: p.name, body: { metadata: { annotations } } };
  if (p.kind === 'Deployment') await apps.patchNamespacedDeployment(args, mergePatch);
  else if (p.kind === 'StatefulSet') await apps.patchNamespacedStatefulSet(args, mergePatch);
  else await apps.patchNamespacedReplicaSet(args, mergePatch);
}

export const scaleWorkload: Action<ScaleParams, ScaleUndo, ScaleInput> = {
  name: 'k8s.scaleWorkload',
  description:
    "Set a workload's replicas (default 0) through its scale subresource; name it (kind, name) or one of its pods (pod: the controller chain is followed). Undo restores the previous count.",
  params: Params,
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], verbs: ['get', 'update'] },
    // The idempotency record (annotations) on the workload itself; reading them also follows a pod's owners.
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'replicasets'], verbs: ['get', 'patch'] },
    // The pod form: the pod's ownerReferences.
    { apiGroups: [''], resources: ['pods'], verbs: ['get'] },
  ],
  example: { namespace: 'payments', kind: 'Deployment', name: 'miner', replicas: 0 },

  async run(ctx, input) {
    const params = Params.parse(input);
    refuseProtected(ctx, params.namespace);
    const { ref, via } =
      params.pod !== undefined
        ? await resolvePod(ctx, params.namespace, params.pod)
        : { ref: { namespace: params.namespace, kind: params.kind ?? 'Deployment', name: params.name! }, via: null };
    const from = via ? { pod: params.pod! } : {};
    const through = via ? ` (${via.join(' → ')})` : '';
    const key = ctx.idempotencyKey;
    const meta = await readWorkloadMeta(ctx, ref);
    refuseOwnWorkload(meta, `${ref.kind} ${ref.namespace}/${ref.name}`, params.pod !== undefined ? 'pod' : 'name');
    const current = await readReplicas(ctx, ref);
    // An earlier attempt of this very step: its record (and so the count to restore) comes from the journal.
    const prior = priorRecord<ScaleUndo>(ctx, (r) => r.namespace === ref.namespace && r.kind === ref.kind && r.name === ref.name);
    const previous = prior?.previous ?? current;
    const outputs = { namespace: ref.namespace, kind: ref.kind, name: ref.name, previous, replicas: params.replicas };
    if (current === params.replicas) {
      return { changed: false, summary: `${path(ref)} already at ${current}${through}`, plan: [], undo: prior, outputs };
    }
    const plan = [{ kind: 'patch' as const, target: path(ref), detail: { from: current, to: params.replicas, ...(via ? { via } : {}) } }];
    if (ctx.dryRun) return { changed: false, summary: `would scale ${path(ref)} from ${current} to ${params.replicas}${through}`, plan, undo: null, outputs };
    const undo: ScaleUndo = { ...ref, previous, ...from, ...(key ? { key } : {}) };
    // Journaled before scaling: a retry after a crash in between still finds the count to restore.
    if (!prior) await checkpoint(ctx, undo);
    const annotations = meta.annotations ?? {};
    if (key && annotations[ACTION_KEY_ANNOTATION] !== key) {
      await annotate(ctx, ref, { [ACTION_KEY_ANNOTATION]: key, [PREVIOUS_REPLICAS_ANNOTATION]: String(previous) });
    }
    await writeReplicas(ctx, ref, params.replicas);
    return { changed: true, summary: `scaled ${path(ref)} from ${current} to ${params.replicas}${through}`, plan, undo, outputs };
  },

  async undo(ctx, record) {
    refuseProtected(ctx, record.namespace);
    const foreign = foreignRecord(ctx, record.key);
    if (foreign) return refusedUndo(foreign);
    const current = await readReplicas(ctx, record);
    const marker = (await readAnnotations(ctx, record))[ACTION_KEY_ANNOTATION];
    const recordOurs = record.key !== undefined && marker === record.key;
    // The count is the journal's; a marker that no longer names this step changes nothing about it, but is said.
    const markerNote =
      record.key !== undefined && !recordOurs ? ` (its ${ACTION_KEY_ANNOTATION} marker ${marker ? `names ${marker}` : 'is gone'}: the count comes from the run journal)` : '';
    const plan: PlannedChange[] = [];
    if (current !== record.previous) plan.push({ kind: 'patch', target: path(record), detail: { from: current, to: record.previous } });
    const clear = { [ACTION_KEY_ANNOTATION]: null, [PREVIOUS_REPLICAS_ANNOTATION]: null };
    if (recordOurs) plan.push({ kind: 'patch', target: path(record).replace(/\/scale$/, ''), detail: { metadata: { annotations: clear } } });
    if (plan.length === 0) return { changed: false, summary: `${path(record)} already at ${current}${markerNote}`, plan, undo: null };
    if (!ctx.dryRun) {
      if (current !== record.previous) await writeReplicas(ctx, record, record.previous);
      if (recordOurs) await annotate(ctx, record, clear);
    }
    return { changed: !ctx.dryRun, summary: `restored ${path(record)} to ${record.previous}${markerNote}`, plan, undo: null };
  },
};
