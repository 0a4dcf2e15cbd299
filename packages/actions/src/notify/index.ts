/** Notifications and outgoing HTTP: one line per action. */
import type { AnyAction } from '../action.js';

export const NOTIFY_ACTIONS: readonly AnyAction[] = [];
