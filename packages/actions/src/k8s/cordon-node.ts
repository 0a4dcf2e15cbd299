/**
 * `k8s.cordonNode`: marks a node unschedulable so nothing new lands on a compromised host; undo uncordons it, but
 * only if this action was the one that cordoned it (a node an operator had cordoned stays cordoned).
 */
import * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import type { Action } from '../action.js';

const Params = z.strictObject({ node: z.string().min(1).max(253) });
export type CordonParams = z.infer<typeof Params>;
export interface CordonUndo {
  node: string;
}

const mergePatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch);

export const cordonNode: Action<CordonParams, CordonUndo> = {
  name: 'k8s.cordonNode',
  description: 'Mark a node unschedulable; undo makes it schedulable again if this action cordoned it.',
  params: Params,
  rbac: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }],
  example: { node: 'worker-3' },

  async run(ctx, input) {
    const { node } = Params.parse(input);
    const current = await ctx.kube.core.readNode({ name: node });
    if (current.spec?.unschedulable) return { changed: false, summary: `node ${node} is already cordoned`, plan: [], undo: null };
    const plan = [{ kind: 'patch' as const, target: `nodes/${node}`, detail: { spec: { unschedulable: true } } }];
    if (ctx.dryRun) return { changed: false, summary: `would cordon node ${node}`, plan, undo: null };
    await ctx.kube.core.patchNode({ name: node, body: { spec: { unschedulable: true } } }, mergePatch);
    return { changed: true, summary: `cordoned node ${node}`, plan, undo: { node } };
  },

  async undo(ctx, record) {
    const current = await ctx.kube.core.readNode({ name: record.node });
    if (!current.spec?.unschedulable) return { changed: false, summary: `node ${record.node} is schedulable`, plan: [], undo: null };
    const plan = [{ kind: 'patch' as const, target: `nodes/${record.node}`, detail: { spec: { unschedulable: null } } }];
    if (!ctx.dryRun) await ctx.kube.core.patchNode({ name: record.node, body: { spec: { unschedulable: null } } }, mergePatch);
    return { changed: !ctx.dryRun, summary: `uncordoned node ${record.node}`, plan, undo: null };
  },
};
