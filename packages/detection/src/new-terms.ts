/**
 * First-seen ("new terms") detection, a Bulwark extension to Sigma rules written in their YAML style:
 *
 * ```yaml
 * detection: { selection: { objectRef.subresource: exec }, condition: selection }
 * new_terms:
 *   fields: [user.username, objectRef.namespace]   # 1–4 fields, resolved as the rule's other fields are
 *   history_window: 14d                            # a combination unseen this long is new again
 * ```
 *
 * The rule alerts only for an event whose combination of those fields' values (every field present; a multi-valued
 * field takes each value) has not been seen within the window — a user exec'ing into pods of a namespace for the
 * first time, an image never run in a namespace. The memory of what was seen lives in the correlation state store the
 * correlator already has (SQLite in embedded mode, Redis in scale mode), one key per rule and combination, written
 * with its compare-and-set: of two correlator processes seeing a new combination at once exactly one wins, and a
 * restart keeps what was learned. A key holds when the combination was first seen (and by which event: the same
 * event evaluated again — a redelivered batch — is still new, so its alert is not lost) and when it was last seen; it
 * expires a window after the last sighting.
 */
import { createHash } from 'node:crypto';
import type { CorrelationState } from './correlation/state.js';
import { parseTimespan } from './correlation/load.js';
import { compileFieldPath, type FieldResolver } from './fields.js';
import type { SigmaRule } from './load.js';

export interface NewTermsSpec {
  fields: string[];
  windowMs: number;
  resolvers: FieldResolver[];
}

const specs = new WeakMap<SigmaRule, NewTermsSpec | null>();

/** The rule's new-terms settings, compiled once; null for an ordinary rule. */
export function newTermsOf(rule: SigmaRule): NewTermsSpec | null {
  let spec = specs.get(rule);
  if (spec === undefined) {
    const nt = rule.new_terms;
    spec = nt ? { fields: nt.fields, windowMs: parseTimespan(nt.history_window), resolvers: nt.fields.map((f) => compileFieldPath(f)) } : null;
    specs.set(rule, spec);
  }
  return spec;
}

/** Every combination of the fields' values in `event` (as text); none when a field is missing. At most 64. */
export function termsOf(spec: NewTermsSpec, event: unknown): string[][] {
  let combos: string[][] = [[]];
  for (const resolve of spec.resolvers) {
    const values = [...new Set(resolve(event).values.filter((v) => v !== null && v !== undefined && typeof v !== 'object').map(String))];
    if (values.length === 0) return [];
    combos = combos.flatMap((c) => values.map((v) => [...c, v])).slice(0, 64);
  }
  return combos;
}

const keyOf = (ruleKey: string, term: readonly string[]): string =>
  `newterm:${ruleKey}:${createHash('sha256').update(JSON.stringify(term)).digest('hex').slice(0, 32)}`;

/** Sightings are written again at most this often within a window (a busy term costs a read, not a write, per event). */
const REFRESH_FRACTION = 0.1;

/**
 * Records that `term` was seen at `atMs` by event `eventId`; true when it is new (first seen now, or by this very
 * event before). Concurrent observers of a new term: exactly one gets true.
 */
export async function observeTerm(state: CorrelationState, ruleKey: string, term: readonly string[], atMs: number, eventId: string, windowMs: number): Promise<boolean> {
  const key = keyOf(ruleKey, term);
  for (let attempt = 0; attempt < 5; attempt++) {
    const current = await state.read(key);
    const first = current?.state.entries[0];
    const lastSeen = current?.state.watermark ?? -Infinity;
    if (current && first?.id === eventId) return true;
    if (current && atMs - lastSeen <= windowMs) {
      if (atMs - lastSeen < windowMs * REFRESH_FRACTION) return false;
      // A later sighting moves the window on; losing this race to another observer changes nothing that matters.
      await state.write(key, { entries: current.state.entries, watermark: Math.max(lastSeen, atMs) }, current.version, windowMs);
      return false;
    }
    const written = await state.write(key, { entries: [{ t: atMs, id: eventId, rules: [] }], watermark: atMs }, current?.version ?? 0, windowMs);
    if (written) return true;
  }
  return false;
}

/** True when any of the event's combinations is new for the rule (each one is recorded). */
export async function isNewTerm(state: CorrelationState, rule: SigmaRule, ruleKey: string, event: unknown, atMs: number, eventId: string): Promise<boolean> {
  const spec = newTermsOf(rule);
  if (!spec) return true;
  let fresh = false;
  for (const term of termsOf(spec, event)) if (await observeTerm(state, ruleKey, term, atMs, eventId, spec.windowMs)) fresh = true;
  return fresh;
}
