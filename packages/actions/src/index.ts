/**
 * @bulwark/actions — containment actions, one folder per family, each self-describing (see `action.ts`). The
 * registry below is what the playbook engine and `bulwark actions list` read.
 */
export * from './action.js';
export { kubeClients, statusOf, type KubeClients, type KubeOptions } from './kube.js';
export { quarantinePod, QUARANTINE_LABEL, type QuarantineParams, type QuarantineUndo } from './k8s/quarantine-pod.js';
export { scaleWorkload, type ScaleParams, type ScaleUndo } from './k8s/scale-workload.js';
export { cordonNode, type CordonParams, type CordonUndo } from './k8s/cordon-node.js';

import { quarantinePod } from './k8s/quarantine-pod.js';
import { scaleWorkload } from './k8s/scale-workload.js';
import { cordonNode } from './k8s/cordon-node.js';

/** Every action, by name. */
export const ACTIONS = { [quarantinePod.name]: quarantinePod, [scaleWorkload.name]: scaleWorkload, [cordonNode.name]: cordonNode } as const;
