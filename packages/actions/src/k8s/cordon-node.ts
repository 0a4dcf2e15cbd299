/**
 * `k8s.cordonNode`: marks a node unschedulable so nothing new lands on a compromised host; undo uncordons it, but
 * only if this action was the one that cordoned it (a node an operator had cordoned stays cordoned). With an
 * idempotency key, the same patch puts it on the node (annotation `bulwark.io/action-key`, a pointer); the undo record
 * is checkpointed in the run journal first, and a retry after a crash takes it from there.
 *
 * Control-plane nodes (label or taint `node-role.kubernetes.io/control-plane` or `…/master`) are refused unless the
 * playbook says `allow_control_plane: true`: cordoning them can keep the cluster's own components from being
 * rescheduled, which an alert about one host must not be able to cause by itself.
 */
import type * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import type { Action } from '../action.js';
import { checkpoint, foreignRecord, priorRecord, refusedUndo } from '../journal.js';
import { ACTION_KEY_ANNOTATION, mergePatch } from './common.js';

const CONTROL_PLANE_KEYS = ['node-role.kubernetes.io/control-plane', 'node-role.kubernetes.io/master'];

const Params = z.strictObject({
  node: z.string().min(1).max(253),
  /** Cordon a control-plane node too (refused by default). */
  allow_control_plane: z.boolean().default(false),
});
export type CordonParams = z.infer<typeof Params>;
export type CordonInput = z.input<typeof Params>;
export interface CordonUndo {
  node: string;
  /** The idempotency key of the step, also on the node as a pointer (undo removes it there). */
  key?: string;
}

/** Why `node` is a control-plane node (the label or taint that says so), or null. */
export function controlPlaneMark(node: k8s.V1Node): string | null {
  const labels = node.metadata?.labels ?? {};
  const label = CONTROL_PLANE_KEYS.find((k) => Object.hasOwn(labels, k));
  if (label) return `label ${label}`;
  const taint = (node.spec?.taints ?? []).find((t) => CONTROL_PLANE_KEYS.includes(t.key));
  return taint ? `taint ${taint.key}:${taint.effect}` : null;
}

export const cordonNode: Action<CordonParams, CordonUndo, CordonInput> = {
  name: 'k8s.cordonNode',
  description: 'Mark a node unschedulable (control-plane nodes only with allow_control_plane); undo makes it schedulable again if this action cordoned it.',
  params: Params,
  rbac: [{ apiGroups: [''], resources: ['nodes'], verbs: ['get', 'patch'] }],
  example: { node: 'worker-3' },

  async run(ctx, input) {
    const { node, allow_control_plane } = Params.parse(input);
    const key = ctx.idempotencyKey;
    const current = await ctx.kube.core.readNode({ name: node });
    const mark = controlPlaneMark(current);
    if (mark && !allow_control_plane) {
      throw new BulwarkError('BWK_BAD_REQUEST', `node ${node} is a control-plane node (${mark}): refused; set allow_control_plane: true in the playbook to cordon it`, {
        field: 'allow_control_plane',
      });
    }
    const prior = priorRecord<CordonUndo>(ctx, (r) => r.node === node);
    if (current.spec?.unschedulable) {
      return { changed: false, summary: `node ${node} is already cordoned`, plan: [], undo: prior };
    }
    const body = { spec: { unschedulable: true }, ...(key ? { metadata: { annotations: { [ACTION_KEY_ANNOTATION]: key } } } : {}) };
    const plan = [{ kind: 'patch' as const, target: `nodes/${node}`, detail: body }];
    if (ctx.dryRun) return { changed: false, summary: `would cordon node ${node}`, plan, undo: null };
    const undo = { node, ...(key ? { key } : {}) };
    await checkpoint(ctx, undo);
    await ctx.kube.core.patchNode({ name: node, body }, mergePatch);
    return { changed: true, summary: `cordoned node ${node}${mark ? ` (a control-plane node: ${mark}; allowed by the playbook)` : ''}`, plan, undo };
  },

  async undo(ctx, record) {
    const foreign = foreignRecord(ctx, record.key);
    if (foreign) return refusedUndo(foreign);
    const current = await ctx.kube.core.readNode({ name: record.node });
    const ours = record.key !== undefined && current.metadata?.annotations?.[ACTION_KEY_ANNOTATION] === record.key;
    if (!current.spec?.unschedulable && !ours) return { changed: false, summary: `node ${record.node} is schedulable`, plan: [], undo: null };
    const body = { spec: { unschedulable: null }, ...(ours ? { metadata: { annotations: { [ACTION_KEY_ANNOTATION]: null } } } : {}) };
    const plan = [{ kind: 'patch' as const, target: `nodes/${record.node}`, detail: body }];
    if (!ctx.dryRun) await ctx.kube.core.patchNode({ name: record.node, body }, mergePatch);
    return { changed: !ctx.dryRun, summary: `uncordoned node ${record.node}`, plan, undo: null };
  },
};
