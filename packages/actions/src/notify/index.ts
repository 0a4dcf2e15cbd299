/** Notifications and outgoing HTTP: one line per action. */
import type { AnyAction } from '../action.js';
import { notifyEmail } from './email.js';
import { httpRequest } from './http-request.js';
import { revokeExternal } from './revoke-external.js';
import { notifyWebhook } from './webhook.js';

export const NOTIFY_ACTIONS: readonly AnyAction[] = [httpRequest, notifyWebhook, notifyEmail, revokeExternal];
