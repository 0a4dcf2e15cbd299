/**
 * `incident.update`: a playbook step changes the incident it runs for — status (e.g. `contained` after a
 * quarantine), severity, tags, a comment. Each change is the case service's own operation, so it is audited and on
 * the timeline like a person's. Undo restores the previous status, severity and tags (a comment stays: the timeline is
 * history).
 */
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import type { Action, ActionContext } from '../action.js';

const Params = z
  .strictObject({
    /** Default: the incident the run is about. */
    incident: z.string().min(1).max(512).optional(),
    status: z.enum(['open', 'acknowledged', 'contained', 'resolved']).optional(),
    severity: z.enum(['info', 'low', 'medium', 'high', 'critical']).optional(),
    add_tags: z.array(z.string().min(1).max(128)).max(32).default([]),
    remove_tags: z.array(z.string().min(1).max(128)).max(32).default([]),
    comment: z.string().min(1).max(16_384).optional(),
  })
  .refine((p) => p.status || p.severity || p.add_tags.length || p.remove_tags.length || p.comment, {
    message: 'give at least one of status, severity, add_tags, remove_tags, comment',
  });
export type IncidentUpdateParams = z.infer<typeof Params>;
export type IncidentUpdateInput = z.input<typeof Params>;
export interface IncidentUpdateUndo {
  incident: string;
  status?: string;
  severity?: string;
  tags?: { add: string[]; remove: string[] };
}

function target(ctx: ActionContext, given: string | undefined): string {
  const id = given ?? ctx.run?.incidentId;
  if (!id) throw new BulwarkError('BWK_BAD_REQUEST', 'no incident: the run has none and `incident` is not given', { field: 'incident' });
  if (!ctx.incidents) throw new BulwarkError('BWK_INTERNAL', 'incident updates need the case service (run inside the responder)');
  return id;
}

export const incidentUpdate: Action<IncidentUpdateParams, IncidentUpdateUndo, IncidentUpdateInput> = {
  name: 'incident.update',
  description: 'Change the incident the run is about: status, severity, tags, a comment (audited, on its timeline).',
  params: Params,
  rbac: [],
  limited: false,
  example: { status: 'contained', add_tags: ['contained-by-bulwark'], comment: 'Pod quarantined automatically.' },

  async run(ctx, input) {
    const params = Params.parse(input);
    const id = target(ctx, params.incident);
    const change = {
      ...(params.status ? { status: params.status } : {}),
      ...(params.severity ? { severity: params.severity } : {}),
      ...(params.add_tags.length ? { addTags: params.add_tags } : {}),
      ...(params.remove_tags.length ? { removeTags: params.remove_tags } : {}),
      ...(params.comment ? { comment: params.comment } : {}),
    };
    const plan = [{ kind: 'patch' as const, target: `incidents/${id}`, detail: change }];
    if (ctx.dryRun) return { changed: false, summary: `would update incident ${id}`, plan, undo: null };
    const { before, after, changed } = await ctx.incidents!.update(id, change);
    // Undo reverses this step's own change only (a concurrent step's tags on the same incident are not ours).
    const beforeTags = (before.tags as string[] | undefined) ?? [];
    const undo: IncidentUpdateUndo = {
      incident: id,
      ...(params.status && before.status !== after.status ? { status: String(before.status) } : {}),
      ...(params.severity && before.severity !== after.severity ? { severity: String(before.severity) } : {}),
      tags: { add: params.remove_tags.filter((t) => beforeTags.includes(t)), remove: params.add_tags.filter((t) => !beforeTags.includes(t)) },
    };
    return { changed, summary: `updated incident ${id}${params.status ? ` (status ${params.status})` : ''}`, plan, undo };
  },

  async undo(ctx, record) {
    const id = target(ctx, record.incident);
    const change = {
      ...(record.status ? { status: record.status } : {}),
      ...(record.severity ? { severity: record.severity } : {}),
      ...(record.tags?.add.length ? { addTags: record.tags.add } : {}),
      ...(record.tags?.remove.length ? { removeTags: record.tags.remove } : {}),
    };
    const plan = [{ kind: 'patch' as const, target: `incidents/${id}`, detail: change }];
    if (Object.keys(change).length === 0 || ctx.dryRun) return { changed: false, summary: `incident ${id}: nothing to restore`, plan, undo: null };
    const { changed } = await ctx.incidents!.update(id, change);
    return { changed, summary: `restored incident ${id}`, plan, undo: null };
  },
};
