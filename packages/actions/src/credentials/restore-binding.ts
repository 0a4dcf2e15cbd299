/**
 * Undo of a credential revocation: a binding the run journal says was changed is put back — exactly the subjects it
 * recorded removing, nothing the cluster says now. Which subjects, which role and whether that role granted
 * everything all come from the journal's backup; the cluster is read only to see what is there now.
 */
import type * as k8s from '@kubernetes/client-node';
import { BulwarkError } from '@bulwark/schema';
import { DEFAULT_PROTECTED_NAMESPACES, type ActionContext, type PlannedChange } from '../action.js';
import { statusOf } from '../kube.js';
import {
  ACTION_KEY_ANNOTATION,
  bindingTarget,
  jsonPatch,
  plainSubject,
  rbacApi,
  readBinding,
  subjectsPatch,
  type BindingBackup,
  type SubjectMatch,
} from './bindings.js';
import { roleGrantsAll } from './role-scope.js';

const sameSubject = (a: k8s.RbacV1Subject, b: k8s.RbacV1Subject): boolean =>
  a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '') && (a.apiGroup ?? '') === (b.apiGroup ?? '');
const sameRoleRef = (a: k8s.V1RoleRef, b: k8s.V1RoleRef): boolean => a.kind === b.kind && a.name === b.name && a.apiGroup === b.apiGroup;

/** Why a journal backup may not be restored, or null. */
function recordProblem(ctx: ActionContext, backup: BindingBackup, match: SubjectMatch): string | null {
  if (backup.name.startsWith('system:')) return 'a system: binding: never restored by an action';
  if (backup.kind === 'RoleBinding' && (ctx.protectedNamespaces ?? DEFAULT_PROTECTED_NAMESPACES).includes(backup.namespace ?? '')) {
    return `namespace ${backup.namespace} is protected`;
  }
  if (backup.removed.length === 0 || !backup.removed.every(match)) return 'refused: the undo record names subjects other than the revoked identity';
  if (!backup.removed.every((r) => backup.subjects.some((s) => sameSubject(s, r)))) return 'refused: the undo record is inconsistent (removed subjects it did not have)';
  // A binding is deleted only when every subject was the revoked identity: recreating it names no one else.
  if (backup.change === 'deleted' && !backup.subjects.every(match)) return 'refused: the undo record would recreate the binding for other subjects';
  return null;
}

/**
 * Undoes one removal. A deleted binding is created again as it was (labels, annotations, roleRef, subjects) unless a
 * binding of that name exists again, which is left alone. A patched binding gets the removed subjects back — the
 * exact original list when nothing else changed, else appended — unless they are already there, it is gone (someone
 * deleted it since: their decision stands) or it now refers to another role. Returns the change made (or planned in a
 * dry run), or why it was left alone.
 *
 * The backup is the run journal's, and is checked before anything is created: it must be about the revoked identity
 * only (`match`), outside protected namespaces and `system:` bindings, and a binding to a role that now grants
 * everything is restored only if the journal recorded that its role granted everything when it was removed.
 */
export async function restoreBinding(ctx: ActionContext, backup: BindingBackup, match: SubjectMatch): Promise<{ change?: PlannedChange; leftAlone?: string }> {
  const rbac = rbacApi(ctx.kube);
  const target = bindingTarget(backup);
  const problem = recordProblem(ctx, backup, match);
  if (problem) return { leftAlone: `${target} (${problem})` };
  if ((await roleGrantsAll(ctx.kube, backup.roleRef, backup.namespace)) && backup.roleGrantsAll !== true) {
    return {
      leftAlone: `${target} (refused: ${backup.roleRef.kind} ${backup.roleRef.name} grants every verb on every resource, and the run journal does not record removing a binding to such a role)`,
    };
  }
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await readBinding(ctx.kube, backup);
    if (backup.change === 'deleted') {
      if (current) return { leftAlone: `${target} exists again` };
      const annotations = { ...backup.annotations, ...(ctx.idempotencyKey ? { [ACTION_KEY_ANNOTATION]: ctx.idempotencyKey } : {}) };
      const metadata: k8s.V1ObjectMeta = {
        name: backup.name,
        ...(backup.namespace ? { namespace: backup.namespace } : {}),
        ...(backup.labels ? { labels: backup.labels } : {}),
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      };
      const body = { apiVersion: 'rbac.authorization.k8s.io/v1', kind: backup.kind, metadata, roleRef: backup.roleRef, subjects: backup.subjects };
      const change: PlannedChange = { kind: 'create', target, detail: body };
      if (ctx.dryRun) return { change };
      try {
        if (backup.kind === 'RoleBinding') await rbac.createNamespacedRoleBinding({ namespace: backup.namespace!, body });
        else await rbac.createClusterRoleBinding({ body });
        return { change };
      } catch (err) {
        if (statusOf(err) === 409) continue; // created meanwhile: read it again, then leave it alone
        throw err;
      }
    }
    if (!current) return { leftAlone: `${target} was deleted since` };
    if (!sameRoleRef(current.roleRef, backup.roleRef)) return { leftAlone: `${target} now refers to ${current.roleRef.kind} ${current.roleRef.name}` };
    const subjects = (current.subjects ?? []).map(plainSubject);
    const missing = backup.removed.filter((r) => !subjects.some((s) => sameSubject(s, r)));
    if (missing.length === 0) return { leftAlone: `${target} already names ${backup.removed.map((s) => s.name).join(', ')}` };
    const untouched = backup.subjects.filter((s) => !backup.removed.some((r) => sameSubject(s, r)));
    const sameAsLeft = untouched.length === subjects.length && untouched.every((s, i) => sameSubject(s, subjects[i]!));
    const wanted = sameAsLeft ? backup.subjects : [...subjects, ...missing];
    const body = subjectsPatch(subjects, wanted);
    const change: PlannedChange = { kind: 'patch', target, detail: body };
    if (ctx.dryRun) return { change };
    try {
      if (backup.kind === 'RoleBinding') await rbac.patchNamespacedRoleBinding({ namespace: backup.namespace!, name: backup.name, body }, jsonPatch);
      else await rbac.patchClusterRoleBinding({ name: backup.name, body }, jsonPatch);
      return { change };
    } catch (err) {
      const status = statusOf(err);
      if (status !== 404 && status !== 422) throw err;
    }
  }
  throw new BulwarkError('BWK_CONFLICT', `${target} kept changing: gave up`);
}
