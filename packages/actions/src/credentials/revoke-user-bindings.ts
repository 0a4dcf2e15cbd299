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
import type { Action, PlannedChange } from '../action.js';
import {
  BINDING_RBAC,
  applyRemoval,
  bindingTarget,
  bindingsNaming,
  planRemoval,
  skipReason,
  whoAmI,
  type BindingBackup,
  type SkippedBinding,
  type SubjectMatch,
} from './bindings.js';
import { restoreBinding } from './restore-binding.js';
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
/** Backups by binding, an earlier attempt's first (it saw the binding before this one changed anything). */
function mergeBackups(earlier: BindingBackup[], later: BindingBackup[]): BindingBackup[] {
  const key = (b: BindingBackup): string => `${b.kind}/${b.namespace ?? ''}/${b.name}`;
  const seen = new Set(earlier.map(key));
  return [...earlier, ...later.filter((b) => !seen.has(key(b)))];
}

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
    const plan: PlannedChange[] = [];
    const skipped: SkippedBinding[] = [];
    const todo: Array<{ kind: 'RoleBinding' | 'ClusterRoleBinding'; binding: k8s.V1RoleBinding }> = [];
    for (const found of await bindingsNaming(ctx.kube, match)) {
      const { backup, change } = planRemoval(found.kind, found.binding, match);
      const reason = skipReason(ctx, found.kind, found.binding);
      if (reason) skipped.push({ kind: backup.kind, ...(backup.namespace ? { namespace: backup.namespace } : {}), name: backup.name, reason });
      else {
        plan.push(change);
        todo.push(found);
      }
    }
    const left = skipped.length > 0 ? `; left alone: ${skipped.map((s) => `${bindingTarget(s)} (${s.reason})`).join(', ')}` : '';
    const outputs = { skipped };
    const whom = params.user !== undefined ? { user: params.user } : { group: params.group! };
    // What an earlier attempt of this step backed up (it may have changed them before a crash): still ours to undo.
    const prior = (ctx.priorUndo as RevokeUserUndo | undefined)?.bindings ?? [];
    if (plan.length === 0) {
      return { changed: false, summary: `no binding to change names ${who(params)}${left}`, plan, undo: prior.length > 0 ? { ...whom, bindings: prior } : null, outputs };
    }
    if (ctx.dryRun) return { changed: false, summary: `would remove ${who(params)} from ${plan.length} binding(s)${left}`, plan, undo: null, outputs };
    const planned = await withRoleScope(ctx.kube, todo.map(({ kind, binding }) => planRemoval(kind, binding, match).backup));
    await ctx.checkpoint?.({ ...whom, bindings: mergeBackups(prior, planned) });
    const done: BindingBackup[] = [];
    for (const { kind, binding } of todo) {
      const removed = await applyRemoval(ctx.kube, kind, binding, match);
      if (removed) done.push(removed);
    }
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
    const match = matcher(whom.data);
    const plan: PlannedChange[] = [];
    const leftAlone: string[] = [];
    for (const backup of record.bindings) {
      const result = await restoreBinding(ctx, backup, match);
      if (result.change) plan.push(result.change);
      if (result.leftAlone) leftAlone.push(result.leftAlone);
    }
    const rest = leftAlone.length > 0 ? `; left alone: ${leftAlone.join(', ')}` : '';
    return {
      changed: plan.length > 0 && !ctx.dryRun,
      summary: `${ctx.dryRun ? 'would restore' : 'restored'} ${plan.length} binding(s) for ${who(record)}${rest}`,
      plan,
      undo: null,
    };
  },
};
