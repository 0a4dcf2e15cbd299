/**
 * `k8s.cordonNode`: marks a node unschedulable so nothing new lands on a compromised host; undo uncordons it, but
 * only if this action was the one that cordoned it (a node an operator had cordoned stays cordoned). With an
 * idempotency key, the same patch records it on the node (annotation `bulwark.io/action-key`), so a retry after a
 * crash recognises its own cordon and returns the same undo record; undo removes it again.
 */
import { z } from 'zod';
import type { Action } from '../action.js';
import { ACTION_KEY_ANNOTATION, mergePatch } from './common.js';

const Params = z.strictObject({ node: z.string().min(1).max(253) });
export type CordonParams = z.infer<typeof Params>;
export interface CordonUndo {
  node: string;
  /** The idempotency key recorded on the node (undo removes that record). */
  key?: string;
}

export const cordonNode: Action<CordonParams, CordonUndo> = {
  name: 'k8s.cordonNode',
  description: 'Mark a node unschedulable; undo makes it schedulable again if this action cordoned it.',
  params: Params,
  rbac: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }],
  example: { node: 'worker-3' },

  async run(ctx, input) {
    const { node } = Params.parse(input);
    const key = ctx.idempotencyKey;
    const current = await ctx.kube.core.readNode({ name: node });
    if (current.spec?.unschedulable) {
      const ours = key !== undefined && current.metadata?.annotations?.[ACTION_KEY_ANNOTATION] === key;
      return { changed: false, summary: `node ${node} is already cordoned`, plan: [], undo: ours ? { node, key } : null };
    }
    const body = { spec: { unschedulable: true }, ...(key ? { metadata: { annotations: { [ACTION_KEY_ANNOTATION]: key } } } : {}) };
    const plan = [{ kind: 'patch' as const, target: `nodes/${node}`, detail: body }];
    if (ctx.dryRun) return { changed: false, summary: `would cordon node ${node}`, plan, undo: null };
    await ctx.kube.core.patchNode({ name: node, body }, mergePatch);
    return { changed: true, summary: `cordoned node ${node}`, plan, undo: { node, ...(key ? { key } : {}) } };
  },

  async undo(ctx, record) {
    const current = await ctx.kube.core.readNode({ name: record.node });
    const ours = record.key !== undefined && current.metadata?.annotations?.[ACTION_KEY_ANNOTATION] === record.key;
    if (!current.spec?.unschedulable && !ours) return { changed: false, summary: `node ${record.node} is schedulable`, plan: [], undo: null };
    const body = { spec: { unschedulable: null }, ...(ours ? { metadata: { annotations: { [ACTION_KEY_ANNOTATION]: null } } } : {}) };
    const plan = [{ kind: 'patch' as const, target: `nodes/${record.node}`, detail: body }];
    if (!ctx.dryRun) await ctx.kube.core.patchNode({ name: record.node, body }, mergePatch);
    return { changed: !ctx.dryRun, summary: `uncordoned node ${record.node}`, plan, undo: null };
  },
};
