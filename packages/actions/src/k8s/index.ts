/** The Kubernetes family: one line per action. */
import type { AnyAction } from '../action.js';
import { cordonNode } from './cordon-node.js';
import { quarantinePod } from './quarantine-pod.js';
import { scaleWorkload } from './scale-workload.js';

export const K8S_ACTIONS: readonly AnyAction[] = [quarantinePod, scaleWorkload, cordonNode];
