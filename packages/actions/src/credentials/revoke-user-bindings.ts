/**
 * `credentials.revokeUserBindings`: takes one user or one group out of every RoleBinding (all namespaces) and
 * ClusterRoleBinding — a binding that named only them is deleted, otherwise the subject is patched out — and backs up
 * each binding for undo, which puts them back. A second run finds nothing and changes nothing.
 *
 * What Kubernetes cannot do: revoke a user's client certificate or an OIDC/webhook token. Authentication still
 * succeeds after this; only what RBAC lets the identity do is gone (rights from other authorizers, from groups the
 * user belongs to, or from `system:masters` in a certificate are untouched). Rotate the CA / disable the account at the
 * identity provider for that.
 *
 * Refused: `system:` users and groups (Kubernetes built-ins: `system:masters` is not even RBAC, the rest are the
 * control plane's and every service account's identities), and the responder's own user or groups. `system:` bindings
 * and bindings in protected namespaces are left alone and listed in the summary (see `skipReason`).
 *
 * Every binding is backed up in the step's journal (`ctx.checkpoint`) before the first one is changed, so a run
 * retried after a crash midway still returns — and undo still restores — the bindings the first attempt changed.
 * Undo restores exactly those journal backups, each checked by `restoreBinding` (this identity only, no protected
 * namespace, no unrecorded binding to a role that grants everything).
 */
import type * as k8s from '@kubernetes/client-node';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import type { Action } from '../action.js';
import { BINDING_RBAC, bindingTarget, whoAmI, type BindingBackup, type SubjectMatch } from './bindings.js';
import { leftAloneNote, mergeBackups, planRevocation, restoreBindings, revokeBindings } from './revocation.js';
import { withRoleScope } from './role-scope.js';

const identity = z.string().min(1).max(253);
const Params = z
  .strictObject({ user: identity.optional(), group: identity.optional() })
  .superRefine((p, ctx) => {
    if ((p.user === undefined) === (p.group === undefined)) {
      ctx.addIssue({ code: 'custom', path: [p.user === undefined ? 'user' : 'group'], message: 'give exactly one of user or group' });
      return;
    }
    const field = p.user !== undefined ? 'user' : 'group';
    if ((p.user ?? p.group)!.startsWith('system:')) {
      ctx.addIssue({ code: 'custom', path: [field], message: `system: ${field}s are Kubernetes built-ins (system:masters is not even RBAC): refused` });
    }
  });
export type RevokeUserParams = z.infer<typeof Params>;
export type RevokeUserInput = z.input<typeof Params>;

export interface RevokeUserUndo {
  user?: string;
  group?: string;
  bindings: BindingBackup[];
}

const who = (p: { user?: string | undefined; group?: string | undefined }): string => (p.user !== undefined ? `user ${p.user}` : `group ${p.group}`);
const matcher = (p: RevokeUserParams): SubjectMatch =>
  p.user !== undefined ? (s: k8s.RbacV1Subject) => s.kind === 'User' && s.name === p.user : (s: k8s.RbacV1Subject) => s.kind === 'Group' && s.name === p.group;

const cannot = 'Kubernetes cannot revoke a client certificate or an OIDC token: the identity still authenticates, RBAC grants it nothing here';

export const revokeUserBindings: Action<RevokeUserParams, RevokeUserUndo, RevokeUserInput> = {
  name: 'credentials.revokeUserBindings',
  description: 'Remove a user or group from every RoleBinding and ClusterRoleBinding (bindings backed up; undo restores them).',
  params: Params,
  rbac: BINDING_RBAC,
  example: { user: 'mallory@example.com' },

  async run(ctx, input) {
    const params = Params.parse(input);
    const field = params.user !== undefined ? 'user' : 'group';
    const me = await whoAmI(ctx.kube);
    if (params.user === me.username || (params.group !== undefined && me.groups.includes(params.group))) {
      throw new BulwarkError('BWK_BAD_REQUEST', `${who(params)} is the responder's own identity: refused`, { field });
    }
    const match = matcher(params);
    const { todo, backups, changes: plan, skipped } = await planRevocation(ctx, match);
    const left = leftAloneNote(skipped);
    const outputs = { skipped };
    const whom = params.user !== undefined ? { user: params.user } : { group: params.group! };
    // What an earlier attempt of this step backed up (it may have changed them before a crash): still ours to undo.
    const prior = (ctx.priorUndo as RevokeUserUndo | undefined)?.bindings ?? [];
    if (plan.length === 0) {
      return { changed: false, summary: `no binding to change names ${who(params)}${left}`, plan, undo: prior.length > 0 ? { ...whom, bindings: prior } : null, outputs };
    }
    if (ctx.dryRun) return { changed: false, summary: `would remove ${who(params)} from ${plan.length} binding(s)${left}`, plan, undo: null, outputs };
    await ctx.checkpoint?.({ ...whom, bindings: mergeBackups(prior, await withRoleScope(ctx.kube, backups)) });
    const done = await revokeBindings(ctx.kube, todo, match);
    const bindings = mergeBackups(prior, done);
    if (done.length === 0) {
      const undo = prior.length > 0 ? { ...whom, bindings: prior } : null;
      return { changed: false, summary: `no binding names ${who(params)} any more${left}`, plan: [], undo, outputs };
    }
    return {
      changed: true,
      summary: `removed ${who(params)} from ${bindings.map(bindingTarget).join(', ')}${left}. ${cannot}`,
      plan,
      undo: { ...whom, bindings },
      outputs,
    };
  },

  async undo(ctx, record) {
    // The identity comes from the journal's record and is checked as the run checked it.
    const whom = Params.safeParse({ ...(record.user !== undefined ? { user: record.user } : {}), ...(record.group !== undefined ? { group: record.group } : {}) });
    if (!whom.success) return { changed: false, summary: `refused: the undo record does not name one user or group that may be revoked`, plan: [], undo: null };
    const { plan, note: rest } = await restoreBindings(ctx, record.bindings, matcher(whom.data));
    return {
      changed: plan.length > 0 && !ctx.dryRun,
      summary: `${ctx.dryRun ? 'would restore' : 'restored'} ${plan.length} binding(s) for ${who(record)}${rest}`,
      plan,
      undo: null,
    };
  },
};
