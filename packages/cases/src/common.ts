/** Helpers shared by the alert and incident services: conflict retries, validation errors, audit records. */
import { randomUUID } from 'node:crypto';
import type { z } from 'zod';
import { BulwarkError, type ErrorCode, type Incident } from '@bulwark/schema';
import type { CaseStore } from '@bulwark/store';

/** Who made a change: a principal's name, or a process such as `correlator`. */
export type Actor = string;

/**
 * Runs a read-modify-write until it commits. Only for writes the service makes on its own behalf (attaching an alert,
 * bumping a count): a person's change carries the version they read and is never retried over someone else's.
 */
export async function withConflictRetry<R>(work: () => Promise<R>, attempts = 10): Promise<R> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work();
    } catch (err) {
      if (!(err instanceof BulwarkError) || err.code !== 'BWK_CONFLICT' || attempt >= attempts) throw err;
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));
    }
  }
}

/** Parses with zod; the first problem becomes a 400 naming the field (dotted path, list positions included). */
export function parseOrThrow<T extends z.ZodType>(schema: T, value: unknown, code: ErrorCode = 'BWK_BAD_REQUEST', prefix = ''): z.output<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [prefix, ...issue.path.map(String)].filter((p) => p !== '').join('.') || '(body)';
  throw new BulwarkError(code, `field "${field}": ${issue.message}`, {
    field,
    problems: result.error.issues.slice(0, 20).map((i) => ({ field: [prefix, ...i.path.map(String)].filter((p) => p !== '').join('.'), message: i.message })),
  });
}

/** What an audit record says about an incident before and after a change. */
export function incidentSummary(incident: Incident | null): Record<string, unknown> | null {
  if (!incident) return null;
  return {
    status: incident.status,
    severity: incident.severity,
    assignee: incident.assignee,
    alert_count: incident.alert_count,
    tags: incident.tags,
    merged_into: incident.merged_into,
  };
}

export interface AuditEntry {
  actor: Actor;
  action: string;
  collection: 'alerts' | 'incidents';
  target_id: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

/** Appends one record to the audit trail: who, what, when, before and after. */
export async function audit(store: CaseStore, entry: AuditEntry, at: string): Promise<void> {
  await store.append('audit', { id: `aud-${randomUUID()}`, at, ...entry });
}

/** The later of two ISO times (compared as instants, not text). */
export function laterOf(a: string, b: string): string {
  return Date.parse(a) >= Date.parse(b) ? a : b;
}

export function earlierOf(a: string, b: string): string {
  return Date.parse(a) <= Date.parse(b) ? a : b;
}

/** Keeps the last `max` items of a list (first-in, first-out), unique. */
export function boundedUnion(list: readonly string[], add: readonly string[], max: number): string[] {
  const merged = [...new Set([...list, ...add])];
  return merged.length > max ? merged.slice(merged.length - max) : merged;
}
