/**
 * `k8s.evictPod`: the polite delete — a policy/v1 Eviction through the pod's `eviction` subresource, which the API
 * server refuses (429) when it would break a PodDisruptionBudget; that refusal is reported as such, and nothing is
 * changed. Undo as `k8s.deletePod`: the pod is recreated only when no controller owned it and it does not exist again.
 */
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import type { Action } from '../action.js';
import { statusOf } from '../kube.js';
import { reasonOf } from './common.js';
import { PodRemovalParams, removePod, restorePod, type PodRemovalUndo } from './pod-removal.js';

const Params = PodRemovalParams;
export type EvictPodParams = z.infer<typeof Params>;
export type EvictPodInput = z.input<typeof Params>;
export type EvictPodUndo = PodRemovalUndo;

export const evictPod: Action<EvictPodParams, EvictPodUndo, EvictPodInput> = {
  name: 'k8s.evictPod',
  description: 'Evict one pod through the eviction API (PodDisruptionBudgets respected); undo recreates it only if no controller owned it.',
  params: Params,
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'create'] },
    { apiGroups: [''], resources: ['pods/eviction'], verbs: ['create'] },
    // The Event telling people which step removed the pod (never read back).
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  ],
  example: { namespace: 'payments', pod: 'api-7f9c' },

  async run(ctx, input) {
    const params = Params.parse(input);
    const grace = params.grace_period_seconds;
    const eviction = (uid: string) => ({
      apiVersion: 'policy/v1',
      kind: 'Eviction',
      metadata: { name: params.pod, namespace: params.namespace },
      deleteOptions: { preconditions: { uid }, ...(grace === undefined ? {} : { gracePeriodSeconds: grace }) },
    });
    return removePod(ctx, params, 'evict', eviction, async (uid) => {
      try {
        await ctx.kube.core.createNamespacedPodEviction({ namespace: params.namespace, name: params.pod, body: eviction(uid) });
      } catch (err) {
        if (statusOf(err) === 429) {
          throw new BulwarkError('BWK_CONFLICT', `eviction of pod ${params.namespace}/${params.pod} refused by a PodDisruptionBudget: ${reasonOf(err)}`, {
            field: 'pod',
            status: 429,
          });
        }
        throw err;
      }
    });
  },

  undo: restorePod,
};
