/**
 * @bulwark/actions — containment actions, one folder per family, each self-describing (see `action.ts`). The
 * registry below is what the playbook engine and `bulwark actions list` read.
 */
export * from './action.js';
export { kubeClients, statusOf, type KubeClients, type KubeOptions } from './kube.js';
export { quarantinePod, QUARANTINE_LABEL, type QuarantineParams, type QuarantineUndo } from './k8s/quarantine-pod.js';

import { quarantinePod } from './k8s/quarantine-pod.js';

/** Every action, by name. */
export const ACTIONS = { [quarantinePod.name]: quarantinePod } as const;
