/**
 * Undo comes from Bulwark's own run journal, never from the target (docs/ARCHITECTURE.md, "Undo from the journal"). Whoever can edit a pod, a
 * workload or a ServiceAccount can edit its annotations and labels, so nothing read back from a cluster object may
 * decide what an undo restores. Two rules follow, shared by every action:
 *
 * - A step retried after a crash gets what its earlier attempt saved through `ctx.checkpoint` back as
 *   `ctx.priorUndo` (the engine keeps it in the step's journal entry). That is the only place a retry recovers its
 *   undo record from; markers on objects (`bulwark.io/action-key`) are pointers for people and for "is this my
 *   change", never a record.
 * - `undo` receives the journal's record. When the record names the step it belongs to (its idempotency key
 *   `<run id>/<step id>`) and the engine says which run and step it is undoing, the two must agree.
 */
import type { ActionContext } from './action.js';

/**
 * What an earlier attempt of this step checkpointed in the journal, when it is a record about the same target (and,
 * when it carries a key, this step's key); else null. `isFor` checks the target fields of the record.
 */
export function priorRecord<T extends object>(ctx: ActionContext, isFor: (record: T) => boolean): T | null {
  const prior = ctx.priorUndo;
  if (prior === null || typeof prior !== 'object' || Array.isArray(prior)) return null;
  const key = (prior as { key?: unknown }).key;
  if (key !== undefined && key !== ctx.idempotencyKey) return null;
  return isFor(prior as T) ? structuredClone(prior as T) : null;
}

/** Saves the undo record in the step's journal entry before a change is made (no-op outside the engine). */
export async function checkpoint(ctx: ActionContext, record: unknown): Promise<void> {
  if (!ctx.dryRun) await ctx.checkpoint?.(record);
}

/**
 * Why an undo record is not the one of the step being undone, or null. The engine undoes step `<run>/<step>` with
 * `ctx.run`; a record whose key names another step is refused rather than applied.
 */
export function foreignRecord(ctx: ActionContext, key: string | undefined): string | null {
  if (key === undefined || !ctx.run) return null;
  const expected = `${ctx.run.id}/${ctx.run.step}`;
  return key === expected ? null : `refused: the undo record belongs to step ${key}, not to ${expected} being undone`;
}

/** The result an undo returns when it refuses a record (nothing changed, the reason in the summary). */
export function refusedUndo(summary: string): { changed: false; summary: string; plan: []; undo: null } {
  return { changed: false, summary, plan: [], undo: null };
}
