/**
 * What the credential actions share: the RBAC and authentication clients, "who am I" (the responder never revokes
 * itself), and taking a subject out of every RoleBinding and ClusterRoleBinding with a backup that undo puts back
 * (restore-binding.ts).
 *
 * Concurrency: a binding is deleted with preconditions (uid and resourceVersion) and patched with a JSON Patch that
 * first `test`s the subjects it read, so a binding someone changed in between is re-read and planned again, never
 * overwritten.
 */
import * as k8s from '@kubernetes/client-node';
import { BulwarkError } from '@bulwark/schema';
import type { ActionContext, PlannedChange } from '../action.js';
import { DEFAULT_PROTECTED_NAMESPACES } from '../action.js';
import type { KubeClients } from '../kube.js';
import { statusOf } from '../kube.js';
import { withRoleScope } from './role-scope.js';

export const ACTION_KEY_ANNOTATION = 'bulwark.io/action-key';

/**
 * RBAC rights both credential actions need on bindings. `bind` on roles and clusterroles: the API server's escalation
 * prevention refuses to create a binding, or to update one (removing a subject is an update), to a role whose
 * permissions the requester does not itself hold, unless it has `bind` on that role. The responder holds none of the
 * roles it revokes (cluster-admin, an application's role), so both the revocation patch and undo's re-creation need
 * `bind`. It is a strong right — with `create` on clusterrolebindings it lets the responder bind any role, itself
 * included — and it is what restoring arbitrary bindings requires; guard the responder's identity accordingly.
 */
export const BINDING_RBAC = [
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings', 'clusterrolebindings'], verbs: ['get', 'list', 'create', 'patch', 'delete'] },
  // get: whether a role grants everything (undo never creates an unrecorded binding to a cluster-admin-like role).
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'clusterroles'], verbs: ['get', 'bind'] },
  // SelfSubjectReview (who the responder is, so it never revokes itself); every authenticated user may already.
  { apiGroups: ['authentication.k8s.io'], resources: ['selfsubjectreviews'], verbs: ['create'] },
];

export function rbacApi(kube: KubeClients): k8s.RbacAuthorizationV1Api {
  return kube.rbac;
}

/** The responder's own user name and groups (SelfSubjectReview). */
export async function whoAmI(kube: KubeClients): Promise<{ username: string; groups: string[] }> {
  const authn = kube.authentication;
  const review = await authn.createSelfSubjectReview({ body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' } });
  return { username: review.status?.userInfo?.username ?? '', groups: review.status?.userInfo?.groups ?? [] };
}

export type BindingKind = 'RoleBinding' | 'ClusterRoleBinding';

/** A binding as it was before the action changed it, and what the action did. */
export interface BindingBackup {
  kind: BindingKind;
  /** RoleBindings only. */
  namespace?: string;
  name: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  roleRef: k8s.V1RoleRef;
  /** All subjects before the change, in order. */
  subjects: k8s.RbacV1Subject[];
  /** The subjects the action took out. */
  removed: k8s.RbacV1Subject[];
  /** Deleted (it named only the revoked subject) or patched (the others kept). */
  change: 'deleted' | 'patched';
  /**
   * Its role granted every verb on every resource (cluster-admin or a `*`/`*` rule) when the binding was changed.
   * Undo restores a binding to such a role only when the journal recorded it so (see `restoreBinding`).
   */
  roleGrantsAll?: boolean;
}

/** A binding the action would have changed but leaves alone, and why. */
export interface SkippedBinding {
  kind: BindingKind;
  namespace?: string;
  name: string;
  reason: string;
}

export type SubjectMatch = (subject: k8s.RbacV1Subject) => boolean;

export type Binding = k8s.V1RoleBinding | k8s.V1ClusterRoleBinding;

export const bindingTarget = (b: { kind: BindingKind; namespace?: string; name: string }): string =>
  b.kind === 'RoleBinding' ? `rolebindings/${b.namespace}/${b.name}` : `clusterrolebindings/${b.name}`;

export const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

/** Every RoleBinding (all namespaces) and ClusterRoleBinding with a subject `match` accepts, page by page. */
export async function bindingsNaming(kube: KubeClients, match: SubjectMatch): Promise<Array<{ kind: BindingKind; binding: Binding }>> {
  const rbac = rbacApi(kube);
  const found: Array<{ kind: BindingKind; binding: Binding }> = [];
  let next: string | undefined;
  do {
    const page = await rbac.listRoleBindingForAllNamespaces({ limit: 500, ...(next ? { _continue: next } : {}) });
    for (const b of page.items) if ((b.subjects ?? []).some(match)) found.push({ kind: 'RoleBinding', binding: b });
    next = page.metadata?._continue || undefined;
  } while (next);
  do {
    const page = await rbac.listClusterRoleBinding({ limit: 500, ...(next ? { _continue: next } : {}) });
    for (const b of page.items) if ((b.subjects ?? []).some(match)) found.push({ kind: 'ClusterRoleBinding', binding: b });
    next = page.metadata?._continue || undefined;
  } while (next);
  return found;
}

/**
 * Why a binding is left alone, or null. `system:` bindings are the control plane's own (controllers, nodes, the
 * scheduler, discovery): the API server reconciles them at startup (`rbac.authorization.kubernetes.io/autoupdate`),
 * so an edit could break the cluster and would not even last; a person decides about them. Protected namespaces are
 * never changed by any action.
 */
export function skipReason(ctx: ActionContext, kind: BindingKind, binding: Binding): string | null {
  const name = binding.metadata?.name ?? '';
  if (name.startsWith('system:')) return 'a system: binding (the control plane reconciles and depends on it): review by hand';
  const namespace = binding.metadata?.namespace;
  if (kind === 'RoleBinding' && namespace && (ctx.protectedNamespaces ?? DEFAULT_PROTECTED_NAMESPACES).includes(namespace)) {
    return `namespace ${namespace} is protected`;
  }
  return null;
}

/** Plain objects (the client returns class instances), so plans and undo records are JSON as journaled. */
export const plainSubject = (s: k8s.RbacV1Subject): k8s.RbacV1Subject => ({
  ...(s.apiGroup !== undefined ? { apiGroup: s.apiGroup } : {}),
  kind: s.kind,
  name: s.name,
  ...(s.namespace !== undefined ? { namespace: s.namespace } : {}),
});
const plainRoleRef = (r: k8s.V1RoleRef): k8s.V1RoleRef => ({ apiGroup: r.apiGroup, kind: r.kind, name: r.name });

/** The change that takes `match`'s subjects out of `binding`, and the backup undo needs. */
export function planRemoval(kind: BindingKind, binding: Binding, match: SubjectMatch): { backup: BindingBackup; change: PlannedChange } {
  const subjects = (binding.subjects ?? []).map(plainSubject);
  const kept = subjects.filter((s) => !match(s));
  const backup: BindingBackup = {
    kind,
    ...(kind === 'RoleBinding' ? { namespace: binding.metadata!.namespace! } : {}),
    name: binding.metadata!.name!,
    ...(binding.metadata?.labels ? { labels: { ...binding.metadata.labels } } : {}),
    ...(binding.metadata?.annotations ? { annotations: { ...binding.metadata.annotations } } : {}),
    roleRef: plainRoleRef(binding.roleRef),
    subjects,
    removed: subjects.filter(match),
    change: kept.length === 0 ? 'deleted' : 'patched',
  };
  const change: PlannedChange =
    kept.length === 0
      ? { kind: 'delete', target: bindingTarget(backup), detail: { preconditions: { uid: binding.metadata!.uid!, resourceVersion: binding.metadata!.resourceVersion! } } }
      : { kind: 'patch', target: bindingTarget(backup), detail: subjectsPatch(subjects, kept) };
  return { backup, change };
}

export const subjectsPatch = (before: k8s.RbacV1Subject[], after: k8s.RbacV1Subject[]): object[] => [
  { op: 'test', path: '/subjects', value: before },
  { op: 'replace', path: '/subjects', value: after },
];

export async function readBinding(kube: KubeClients, ref: { kind: BindingKind; namespace?: string; name: string }): Promise<Binding | null> {
  const rbac = rbacApi(kube);
  try {
    return ref.kind === 'RoleBinding'
      ? await rbac.readNamespacedRoleBinding({ namespace: ref.namespace!, name: ref.name })
      : await rbac.readClusterRoleBinding({ name: ref.name });
  } catch (err) {
    if (statusOf(err) === 404) return null;
    throw err;
  }
}

/**
 * Applies a planned removal; when the binding changed since it was read (precondition 409, failed `test` 422) it is
 * read again and planned again. Returns the backup of what was actually changed, or null when the subject is no
 * longer there (someone else removed it, or the binding is gone).
 */
export async function applyRemoval(kube: KubeClients, kind: BindingKind, first: Binding, match: SubjectMatch): Promise<BindingBackup | null> {
  const rbac = rbacApi(kube);
  let binding: Binding | null = first;
  for (let attempt = 0; attempt < 5; attempt++) {
    if (!binding || !(binding.subjects ?? []).some(match)) return null;
    const { backup } = planRemoval(kind, binding, match);
    try {
      if (backup.change === 'deleted') {
        const body = { preconditions: { uid: binding.metadata!.uid!, resourceVersion: binding.metadata!.resourceVersion! } };
        if (kind === 'RoleBinding') await rbac.deleteNamespacedRoleBinding({ namespace: backup.namespace!, name: backup.name, body });
        else await rbac.deleteClusterRoleBinding({ name: backup.name, body });
      } else {
        const body = subjectsPatch(backup.subjects, backup.subjects.filter((s) => !match(s)));
        if (kind === 'RoleBinding') await rbac.patchNamespacedRoleBinding({ namespace: backup.namespace!, name: backup.name, body }, jsonPatch);
        else await rbac.patchClusterRoleBinding({ name: backup.name, body }, jsonPatch);
      }
      // The role's reach as it is when removed: undo compares it with the role's then (see restoreBinding).
      return (await withRoleScope(kube, [backup]))[0]!;
    } catch (err) {
      const status = statusOf(err);
      if (status !== 404 && status !== 409 && status !== 422) throw err;
    }
    binding = await readBinding(kube, { kind, ...(backup.namespace ? { namespace: backup.namespace } : {}), name: backup.name });
  }
  const ns = first.metadata?.namespace;
  throw new BulwarkError('BWK_CONFLICT', `${bindingTarget({ kind, ...(ns ? { namespace: ns } : {}), name: first.metadata?.name ?? '' })} kept changing: gave up`);
}
