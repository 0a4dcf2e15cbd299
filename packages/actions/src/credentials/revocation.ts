/**
 * Taking one identity out of every binding, as both credential actions do (`credentials.revokeServiceAccount`,
 * `credentials.revokeUserBindings`): find the bindings naming it and plan each removal (leaving `system:` bindings
 * and protected namespaces alone), apply the removals, merge the backups with those of an earlier attempt of the same
 * step, and for undo put every journal backup back. The actions differ only in which subjects `match` accepts and in
 * what else they do (rotating a service account).
 */
import type { ActionContext, PlannedChange } from '../action.js';
import type { KubeClients } from '../kube.js';
import {
  applyRemoval,
  bindingTarget,
  bindingsNaming,
  planRemoval,
  skipReason,
  type Binding,
  type BindingBackup,
  type BindingKind,
  type SkippedBinding,
  type SubjectMatch,
} from './bindings.js';
import { restoreBinding } from './restore-binding.js';

/** The bindings naming the identity: those the action changes, with their plan and backup, and those it leaves. */
export interface RevocationPlan {
  todo: Array<{ kind: BindingKind; binding: Binding }>;
  /** One per `todo` entry, in order: each binding as it was read. */
  backups: BindingBackup[];
  changes: PlannedChange[];
  skipped: SkippedBinding[];
}

export async function planRevocation(ctx: ActionContext, match: SubjectMatch): Promise<RevocationPlan> {
  const plan: RevocationPlan = { todo: [], backups: [], changes: [], skipped: [] };
  for (const found of await bindingsNaming(ctx.kube, match)) {
    const { backup, change } = planRemoval(found.kind, found.binding, match);
    const reason = skipReason(ctx, found.kind, found.binding);
    if (reason) {
      plan.skipped.push({ kind: backup.kind, ...(backup.namespace ? { namespace: backup.namespace } : {}), name: backup.name, reason });
      continue;
    }
    plan.todo.push(found);
    plan.backups.push(backup);
    plan.changes.push(change);
  }
  return plan;
}

/** The summary's note on bindings left alone, or '' when there are none. */
export const leftAloneNote = (skipped: SkippedBinding[]): string =>
  skipped.length > 0 ? `; left alone: ${skipped.map((s) => `${bindingTarget(s)} (${s.reason})`).join(', ')}` : '';

/** Applies the planned removals; returns the backups of the bindings actually changed (see `applyRemoval`). */
export async function revokeBindings(kube: KubeClients, todo: RevocationPlan['todo'], match: SubjectMatch): Promise<BindingBackup[]> {
  const done: BindingBackup[] = [];
  for (const { kind, binding } of todo) {
    const removed = await applyRemoval(kube, kind, binding, match);
    if (removed) done.push(removed);
  }
  return done;
}

/** Backups by binding, an earlier attempt's first (it saw the binding before this one changed anything). */
export function mergeBackups(earlier: BindingBackup[], later: BindingBackup[]): BindingBackup[] {
  const id = (b: BindingBackup): string => `${b.kind}/${b.namespace ?? ''}/${b.name}`;
  const seen = new Set(earlier.map(id));
  return [...earlier, ...later.filter((b) => !seen.has(id(b)))];
}

/** Undo: restores every journal backup (each checked by `restoreBinding`); the changes made and a note on the rest. */
export async function restoreBindings(ctx: ActionContext, backups: BindingBackup[], match: SubjectMatch): Promise<{ plan: PlannedChange[]; note: string }> {
  const plan: PlannedChange[] = [];
  const leftAlone: string[] = [];
  for (const backup of backups) {
    const result = await restoreBinding(ctx, backup, match);
    if (result.change) plan.push(result.change);
    if (result.leftAlone) leftAlone.push(result.leftAlone);
  }
  return { plan, note: leftAlone.length > 0 ? `; left alone: ${leftAlone.join(', ')}` : '' };
}
