/** The credentials family: one line per action. */
import type { AnyAction } from '../action.js';
import { revokeServiceAccount } from './revoke-service-account.js';
import { revokeUserBindings } from './revoke-user-bindings.js';

export const CREDENTIALS_ACTIONS: readonly AnyAction[] = [revokeServiceAccount, revokeUserBindings];
