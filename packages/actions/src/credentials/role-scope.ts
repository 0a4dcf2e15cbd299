/**
 * Whether a role is cluster-admin-equivalent: `cluster-admin` itself, or any Role/ClusterRole with a rule granting
 * every verb (`*`) on every resource (`*`). Undo must never create a binding to such a role that the run journal did
 * not record removing (docs/ARCHITECTURE.md, "Undo from the journal") — a role edited to grant everything after the
 * revocation stays unbound.
 */
import type * as k8s from '@kubernetes/client-node';
import type { KubeClients } from '../kube.js';
import { statusOf } from '../kube.js';
import type { BindingBackup } from './bindings.js';

/** True when the role `roleRef` names (in `namespace` for a Role) grants everything; a missing role grants nothing. */
export async function roleGrantsAll(kube: KubeClients, roleRef: k8s.V1RoleRef, namespace: string | undefined): Promise<boolean> {
  if (roleRef.kind === 'ClusterRole' && roleRef.name === 'cluster-admin') return true;
  let role: k8s.V1Role | k8s.V1ClusterRole;
  try {
    role =
      roleRef.kind === 'ClusterRole'
        ? await kube.rbac.readClusterRole({ name: roleRef.name })
        : await kube.rbac.readNamespacedRole({ namespace: namespace ?? '', name: roleRef.name });
  } catch (err) {
    if (statusOf(err) === 404) return false;
    throw err;
  }
  return (role.rules ?? []).some((r) => r.verbs.includes('*') && (r.resources ?? []).includes('*'));
}

/** The backups with `roleGrantsAll` as their roles are now (recorded at revocation time, in the journal). */
export async function withRoleScope(kube: KubeClients, backups: BindingBackup[]): Promise<BindingBackup[]> {
  const seen = new Map<string, boolean>();
  const out: BindingBackup[] = [];
  for (const b of backups) {
    const id = `${b.roleRef.kind}/${b.roleRef.kind === 'Role' ? (b.namespace ?? '') : ''}/${b.roleRef.name}`;
    if (!seen.has(id)) seen.set(id, await roleGrantsAll(kube, b.roleRef, b.namespace));
    out.push({ ...b, roleGrantsAll: seen.get(id)! });
  }
  return out;
}
