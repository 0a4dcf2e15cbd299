/**
 * `k8s.deletePod`: deletes one pod (a crashed or compromised one; its controller, if any, starts a fresh replacement).
 * The undo record keeps the pod's manifest; undo recreates it only when no controller owned it and it does not exist
 * again. With `uid`, only the pod with that uid is deleted (a StatefulSet's replacement keeps the name, not the uid).
 */
import { z } from 'zod';
import type { Action } from '../action.js';
import { PodRemovalParams, removePod, restorePod, type PodRemovalUndo } from './pod-removal.js';

const Params = PodRemovalParams;
export type DeletePodParams = z.infer<typeof Params>;
export type DeletePodInput = z.input<typeof Params>;
export type DeletePodUndo = PodRemovalUndo;

export const deletePod: Action<DeletePodParams, DeletePodUndo, DeletePodInput> = {
  name: 'k8s.deletePod',
  description: 'Delete one pod (its controller, if any, replaces it); undo recreates it only if no controller owned it.',
  params: Params,
  rbac: [
    { apiGroups: [''], resources: ['pods'], verbs: ['get', 'delete', 'create'] },
    // The Event telling people which step removed the pod (never read back).
    { apiGroups: [''], resources: ['events'], verbs: ['create'] },
  ],
  example: { namespace: 'payments', pod: 'api-7f9c', grace_period_seconds: 0 },

  async run(ctx, input) {
    const params = Params.parse(input);
    const grace = params.grace_period_seconds;
    const options = (uid: string) => ({ preconditions: { uid }, ...(grace === undefined ? {} : { gracePeriodSeconds: grace }) });
    return removePod(ctx, params, 'delete', options, async (uid) => {
      await ctx.kube.core.deleteNamespacedPod({ namespace: params.namespace, name: params.pod, body: options(uid) });
    });
  },

  undo: restorePod,
};
