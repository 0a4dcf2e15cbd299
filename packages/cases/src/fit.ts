/**
 * Fitting an alert to the alert model (docs/ARCHITECTURE.md, "Detection never stalls"): detection must never stall on one event with an oversized
 * field, so an alert whose only problems are sizes — a string too long, a list too long, too many or badly named map
 * entries — is recorded with those fields cut, and says so in `provenance.truncated`. Anything else wrong with it (a
 * severity that is not one, a missing entity) is still refused with a 400 naming the field: that is a producer's bug
 * or a caller's mistake, not a size, and guessing would record something nobody sent. An alert without an id is
 * refused too, as it could not be recognised when retried.
 */
import type { z } from 'zod';
import { AlertSchema, BulwarkError, type Alert } from '@bulwark/schema';
import { parseOrThrow } from './common.js';

/** Entries a label or annotation map keeps (the first ones); the schema bounds their size, not their number. */
export const MAX_MAP_ENTRIES = 256;
/** How many cut fields `provenance.truncated` lists (the schema's bound). */
export const MAX_TRUNCATED_LISTED = 64;
const MAPS = ['labels', 'annotations'] as const;

export interface FittedAlert {
  alert: Alert;
  /** Field paths that were cut (`annotations.description`, `event_ids`, `labels`), in the order found. */
  truncated: string[];
}

/**
 * Parses an alert, cutting what is too big. `prefix` names the alert in errors (its position in a posted list).
 * @throws BulwarkError BWK_INGEST_BAD_FIELD naming the field, for a problem that is not a size.
 */
export function fitAlert(input: unknown, prefix = ''): FittedAlert {
  const field = (name: string) => [prefix, name].filter(Boolean).join('.');
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new BulwarkError('BWK_INGEST_BAD_FIELD', 'an alert must be a JSON object', { field: field('(body)') || '(body)' });
  }
  const id = (input as { id?: unknown }).id;
  if (typeof id !== 'string' || id.length === 0) {
    throw new BulwarkError('BWK_INGEST_BAD_FIELD', `field "${field('id')}": an alert needs a string id`, { field: field('id') });
  }
  const value = structuredClone(input) as Record<string, unknown>;
  const truncated = new Set<string>();
  for (const map of MAPS) capEntries(value, map, truncated);
  // A cut can only reveal problems nested deeper (a map value once its key is fixed), so a few passes suffice.
  for (let pass = 0; pass < 4; pass++) {
    const result = AlertSchema.safeParse(value);
    if (result.success) return { alert: result.data, truncated: [...truncated] };
    let repaired = false;
    for (const issue of result.error.issues) if (repair(value, issue, truncated)) repaired = true;
    if (!repaired) break;
  }
  return { alert: parseOrThrow(AlertSchema, value, 'BWK_INGEST_BAD_FIELD', prefix), truncated: [...truncated] };
}

/** Keeps the first {@link MAX_MAP_ENTRIES} entries of a label or annotation map. */
function capEntries(alert: Record<string, unknown>, map: string, truncated: Set<string>): void {
  const entries = alert[map];
  if (entries === null || typeof entries !== 'object' || Array.isArray(entries)) return;
  const keys = Object.keys(entries);
  if (keys.length <= MAX_MAP_ENTRIES) return;
  alert[map] = Object.fromEntries(keys.slice(0, MAX_MAP_ENTRIES).map((k) => [k, (entries as Record<string, unknown>)[k]]));
  truncated.add(map);
}

/** Cuts the value one size issue is about; false when the issue is not one this can fix. */
function repair(root: Record<string, unknown>, issue: z.core.$ZodIssue, truncated: Set<string>): boolean {
  const path = issue.path.map(String);
  // The id is the alert's identity (retries are recognised by it): a cut one would be another alert's.
  if (path.length === 0 || path[0] === 'id') return false;
  const parent = at(root, path.slice(0, -1));
  const key = path[path.length - 1]!;
  if (parent === null) return false;
  const current = parent[key];
  if (issue.code === 'too_big' && typeof current === 'string' && typeof issue.maximum === 'number') {
    parent[key] = current.slice(0, Number(issue.maximum));
  } else if (issue.code === 'too_big' && Array.isArray(current) && typeof issue.maximum === 'number') {
    const max = Number(issue.maximum);
    // Event ids: the latest are kept, as a fold keeps them; other lists keep their first items.
    parent[key] = path.join('.') === 'event_ids' ? current.slice(current.length - max) : current.slice(0, max);
  } else if (issue.code === 'invalid_key' && path.length === 2 && (MAPS as readonly string[]).includes(path[0]!)) {
    // Map keys become field names in the case store: outside the allowed characters they become `_`, as
    // Alertmanager label names do; a key that then collides with another is dropped.
    const safe = key.replace(/[^A-Za-z0-9_@/:-]/g, '_').slice(0, 128) || '_';
    delete parent[key];
    if (!(safe in parent)) parent[safe] = current;
  } else {
    return false;
  }
  truncated.add(path.join('.').slice(0, 256));
  return true;
}

/** The object at `path` inside `root`, or null when something on the way is not an object. */
function at(root: Record<string, unknown>, path: string[]): Record<string, unknown> | null {
  let node: unknown = root;
  for (const segment of path) {
    if (node === null || typeof node !== 'object') return null;
    node = (node as Record<string, unknown>)[segment];
  }
  return node !== null && typeof node === 'object' ? (node as Record<string, unknown>) : null;
}

/** `provenance.truncated`: what was cut now added to what the producer already reported, bounded. */
export function mergeTruncated(previous: readonly string[] | undefined, added: readonly string[]): string[] | undefined {
  const all = [...new Set([...(previous ?? []), ...added.map((p) => p.slice(0, 256))])];
  return all.length === 0 ? undefined : all.slice(0, MAX_TRUNCATED_LISTED);
}
