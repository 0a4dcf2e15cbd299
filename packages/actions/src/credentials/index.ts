/** The credentials family: one line per action. */
import type { AnyAction } from '../action.js';

export const CREDENTIALS_ACTIONS: readonly AnyAction[] = [];
