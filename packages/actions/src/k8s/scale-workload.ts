/**
 * `k8s.scaleWorkload`: sets a Deployment's, StatefulSet's or ReplicaSet's replicas (default 0: stop a crypto miner)
 * through its scale subresource, recording the previous count for undo. A second run finds the count already set and
 * changes nothing. With an idempotency key, the key and the previous count are recorded on the workload (annotations
 * `bulwark.io/action-key`, `bulwark.io/previous-replicas`) before it is scaled, so a retry after a crash returns the
 * first run's undo record; undo removes them again.
 */
import { z } from 'zod';
import { refuseProtected, type Action, type ActionContext, type PlannedChange } from '../action.js';
import { ACTION_KEY_ANNOTATION, mergePatch } from './common.js';

export const PREVIOUS_REPLICAS_ANNOTATION = 'bulwark.io/previous-replicas';

const Params = z.strictObject({
  namespace: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a namespace name').max(63),
  kind: z.enum(['Deployment', 'StatefulSet', 'ReplicaSet']).default('Deployment'),
  name: z.string().min(1).max(253),
  replicas: z.number().int().min(0).max(10_000).default(0),
});
export type ScaleParams = z.infer<typeof Params>;
export type ScaleInput = z.input<typeof Params>;

export interface ScaleUndo {
  namespace: string;
  kind: ScaleParams['kind'];
  name: string;
  previous: number;
  /** The idempotency key recorded on the workload (undo removes that record). */
  key?: string;
}

const path = (p: { namespace: string; kind: string; name: string }): string => `${p.kind.toLowerCase()}s/${p.namespace}/${p.name}/scale`;

async function readReplicas(ctx: ActionContext, p: { namespace: string; kind: ScaleParams['kind']; name: string }): Promise<number> {
  const { apps } = ctx.kube;
  const args = { namespace: p.namespace, name: p.name };
  const scale =
    p.kind === 'Deployment' ? await apps.readNamespacedDeploymentScale(args)
    : p.kind === 'StatefulSet' ? await apps.readNamespacedStatefulSetScale(args)
    : await apps.readNamespacedReplicaSetScale(args);
  return scale.spec?.replicas ?? 0;
}

async function writeReplicas(ctx: ActionContext, p: { namespace: string; kind: ScaleParams['kind']; name: string }, replicas: number): Promise<void> {
  const { apps } = ctx.kube;
  const body = { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: p.name, namespace: p.namespace }, spec: { replicas } };
  const args = { namespace: p.namespace, name: p.name, body };
  if (p.kind === 'Deployment') await apps.replaceNamespacedDeploymentScale(args);
  else if (p.kind === 'StatefulSet') await apps.replaceNamespacedStatefulSetScale(args);
  else await apps.replaceNamespacedReplicaSetScale(args);
}

type Ref = { namespace: string; kind: ScaleParams['kind']; name: string };

async function readAnnotations(ctx: ActionContext, p: Ref): Promise<Record<string, string>> {
  const { apps } = ctx.kube;
  const args = { namespace: p.namespace, name: p.name };
  const object =
    p.kind === 'Deployment' ? await apps.readNamespacedDeployment(args)
    : p.kind === 'StatefulSet' ? await apps.readNamespacedStatefulSet(args)
    : await apps.readNamespacedReplicaSet(args);
  return object.metadata?.annotations ?? {};
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
  description: "Set a workload's replicas (default 0) through its scale subresource; undo restores the previous count.",
  params: Params,
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], verbs: ['get', 'update'] },
    // The idempotency record (annotations) on the workload itself.
    { apiGroups: ['apps'], resources: ['deployments', 'statefulsets', 'replicasets'], verbs: ['get', 'patch'] },
  ],
  example: { namespace: 'payments', kind: 'Deployment', name: 'miner', replicas: 0 },

  async run(ctx, input) {
    const params = Params.parse(input);
    refuseProtected(ctx, params.namespace);
    const key = ctx.idempotencyKey;
    const current = await readReplicas(ctx, params);
    const annotations = key ? await readAnnotations(ctx, params) : {};
    const recorded = key && annotations[ACTION_KEY_ANNOTATION] === key ? Number(annotations[PREVIOUS_REPLICAS_ANNOTATION]) : NaN;
    const previous = Number.isInteger(recorded) ? recorded : current;
    const ref = { namespace: params.namespace, kind: params.kind, name: params.name };
    const undo: ScaleUndo | null = key && Number.isInteger(recorded) ? { ...ref, previous, key } : null;
    if (current === params.replicas) {
      return { changed: false, summary: `${path(params)} already at ${current}`, plan: [], undo };
    }
    const plan = [{ kind: 'patch' as const, target: path(params), detail: { from: current, to: params.replicas } }];
    if (ctx.dryRun) return { changed: false, summary: `would scale ${path(params)} from ${current} to ${params.replicas}`, plan, undo: null };
    // Recorded before scaling: a retry after a crash in between still finds the count to restore.
    if (key && undo === null) await annotate(ctx, params, { [ACTION_KEY_ANNOTATION]: key, [PREVIOUS_REPLICAS_ANNOTATION]: String(previous) });
    await writeReplicas(ctx, params, params.replicas);
    return {
      changed: true,
      summary: `scaled ${path(params)} from ${current} to ${params.replicas}`,
      plan,
      undo: { ...ref, previous, ...(key ? { key } : {}) },
    };
  },

  async undo(ctx, record) {
    refuseProtected(ctx, record.namespace);
    const current = await readReplicas(ctx, record);
    const recordOurs = record.key !== undefined && (await readAnnotations(ctx, record))[ACTION_KEY_ANNOTATION] === record.key;
    const plan: PlannedChange[] = [];
    if (current !== record.previous) plan.push({ kind: 'patch', target: path(record), detail: { from: current, to: record.previous } });
    const clear = { [ACTION_KEY_ANNOTATION]: null, [PREVIOUS_REPLICAS_ANNOTATION]: null };
    if (recordOurs) plan.push({ kind: 'patch', target: path(record).replace(/\/scale$/, ''), detail: { metadata: { annotations: clear } } });
    if (plan.length === 0) return { changed: false, summary: `${path(record)} already at ${current}`, plan, undo: null };
    if (!ctx.dryRun) {
      if (current !== record.previous) await writeReplicas(ctx, record, record.previous);
      if (recordOurs) await annotate(ctx, record, clear);
    }
    return { changed: !ctx.dryRun, summary: `restored ${path(record)} to ${record.previous}`, plan, undo: null };
  },
};
