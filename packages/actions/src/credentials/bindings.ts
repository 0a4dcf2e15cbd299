/**
 * What the credential actions share: the RBAC and authentication clients, "who am I" (the responder never revokes
 * itself), and taking a subject out of every RoleBinding and ClusterRoleBinding with a backup that undo puts back.
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
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'clusterroles'], verbs: ['bind'] },
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
}

/** A binding the action would have changed but leaves alone, and why. */
export interface SkippedBinding {
  kind: BindingKind;
  namespace?: string;
  name: string;
  reason: string;
}

export type SubjectMatch = (subject: k8s.RbacV1Subject) => boolean;

type Binding = k8s.V1RoleBinding | k8s.V1ClusterRoleBinding;

export const bindingTarget = (b: { kind: BindingKind; namespace?: string; name: string }): string =>
  b.kind === 'RoleBinding' ? `rolebindings/${b.namespace}/${b.name}` : `clusterrolebindings/${b.name}`;

const jsonPatch = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);

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
const plainSubject = (s: k8s.RbacV1Subject): k8s.RbacV1Subject => ({
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

const subjectsPatch = (before: k8s.RbacV1Subject[], after: k8s.RbacV1Subject[]): object[] => [
  { op: 'test', path: '/subjects', value: before },
  { op: 'replace', path: '/subjects', value: after },
];

async function readBinding(kube: KubeClients, ref: { kind: BindingKind; namespace?: string; name: string }): Promise<Binding | null> {
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
      return backup;
    } catch (err) {
      const status = statusOf(err);
      if (status !== 404 && status !== 409 && status !== 422) throw err;
    }
    binding = await readBinding(kube, { kind, ...(backup.namespace ? { namespace: backup.namespace } : {}), name: backup.name });
  }
  const ns = first.metadata?.namespace;
  throw new BulwarkError('BWK_CONFLICT', `${bindingTarget({ kind, ...(ns ? { namespace: ns } : {}), name: first.metadata?.name ?? '' })} kept changing: gave up`);
}

const sameSubject = (a: k8s.RbacV1Subject, b: k8s.RbacV1Subject): boolean =>
  a.kind === b.kind && a.name === b.name && (a.namespace ?? '') === (b.namespace ?? '') && (a.apiGroup ?? '') === (b.apiGroup ?? '');
const sameRoleRef = (a: k8s.V1RoleRef, b: k8s.V1RoleRef): boolean => a.kind === b.kind && a.name === b.name && a.apiGroup === b.apiGroup;

/**
 * Undoes one removal. A deleted binding is created again as it was (labels, annotations, roleRef, subjects) unless a
 * binding of that name exists again, which is left alone. A patched binding gets the removed subjects back — the
 * exact original list when nothing else changed, else appended — unless they are already there, it is gone (someone
 * deleted it since: their decision stands) or it now refers to another role. Returns the change made (or planned in a
 * dry run), or why it was left alone.
 */
export async function restoreBinding(ctx: ActionContext, backup: BindingBackup): Promise<{ change?: PlannedChange; leftAlone?: string }> {
  const rbac = rbacApi(ctx.kube);
  const target = bindingTarget(backup);
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
