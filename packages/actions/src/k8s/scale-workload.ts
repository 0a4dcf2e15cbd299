/**
 * `k8s.scaleWorkload`: sets a Deployment's, StatefulSet's or ReplicaSet's replicas (default 0: stop a crypto miner)
 * through its scale subresource, recording the previous count for undo. A second run finds the count already set and
 * changes nothing.
 */
import { z } from 'zod';
import { refuseProtected, type Action, type ActionContext } from '../action.js';

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

export const scaleWorkload: Action<ScaleParams, ScaleUndo, ScaleInput> = {
  name: 'k8s.scaleWorkload',
  description: "Set a workload's replicas (default 0) through its scale subresource; undo restores the previous count.",
  params: Params,
  rbac: [
    { apiGroups: ['apps'], resources: ['deployments/scale', 'statefulsets/scale', 'replicasets/scale'], verbs: ['get', 'update'] },
  ],
  example: { namespace: 'payments', kind: 'Deployment', name: 'miner', replicas: 0 },

  async run(ctx, input) {
    const params = Params.parse(input);
    refuseProtected(ctx, params.namespace);
    const previous = await readReplicas(ctx, params);
    if (previous === params.replicas) {
      return { changed: false, summary: `${path(params)} already at ${previous}`, plan: [], undo: null };
    }
    const plan = [{ kind: 'patch' as const, target: path(params), detail: { from: previous, to: params.replicas } }];
    if (ctx.dryRun) return { changed: false, summary: `would scale ${path(params)} from ${previous} to ${params.replicas}`, plan, undo: null };
    await writeReplicas(ctx, params, params.replicas);
    return {
      changed: true,
      summary: `scaled ${path(params)} from ${previous} to ${params.replicas}`,
      plan,
      undo: { namespace: params.namespace, kind: params.kind, name: params.name, previous },
    };
  },

  async undo(ctx, record) {
    refuseProtected(ctx, record.namespace);
    const current = await readReplicas(ctx, record);
    if (current === record.previous) return { changed: false, summary: `${path(record)} already at ${current}`, plan: [], undo: null };
    const plan = [{ kind: 'patch' as const, target: path(record), detail: { from: current, to: record.previous } }];
    if (!ctx.dryRun) await writeReplicas(ctx, record, record.previous);
    return { changed: !ctx.dryRun, summary: `restored ${path(record)} to ${record.previous}`, plan, undo: null };
  },
};
