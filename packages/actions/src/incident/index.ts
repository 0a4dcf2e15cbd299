/** Changes to the incident a run is about: one line per action. */
import type { AnyAction } from '../action.js';
import { incidentUpdate } from './update.js';

export const INCIDENT_ACTIONS: readonly AnyAction[] = [incidentUpdate];
