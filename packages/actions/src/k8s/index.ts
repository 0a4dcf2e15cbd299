/** The Kubernetes family: one line per action. */
import type { AnyAction } from '../action.js';
import { annotate, label } from './metadata.js';
import { captureEvidence } from './capture-evidence.js';
import { cordonNode } from './cordon-node.js';
import { deletePod } from './delete-pod.js';
import { evictPod } from './evict-pod.js';
import { quarantinePod } from './quarantine-pod.js';
import { scaleWorkload } from './scale-workload.js';

export const K8S_ACTIONS: readonly AnyAction[] = [
  quarantinePod,
  scaleWorkload,
  cordonNode,
  deletePod,
  evictPod,
  label,
  annotate,
  captureEvidence,
];
