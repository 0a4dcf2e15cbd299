/**
 * Rule fixtures: events a rule must match (`true_positives`) and must not (`true_negatives`), written in Bulwark's
 * decoded event shape (`packages/schema` `EventSchema`: ECS plus the native audit event under `kubernetes.audit`,
 * Falco's `output_fields` under `falco`). Each event is checked against the schema, so a fixture cannot drift into
 * a shape the collector never produces and pass for the wrong reason.
 */
import { EventSchema } from '@bulwark/schema';
import { parseDocument } from 'yaml';
import type { SourceFile } from './files.js';

export type FixtureKind = 'true_positives' | 'true_negatives';
export const FIXTURE_KINDS: readonly FixtureKind[] = ['true_positives', 'true_negatives'];

/** One fixture event and where it was written (`rules/x.fixtures.yml`, `true_positives[2]`). */
export interface Fixture {
  kind: FixtureKind;
  file: string;
  path: string;
  event: unknown;
}

/** A problem with a fixture file itself (YAML, layout, an event that is not a Bulwark event). */
export interface FixtureProblem {
  file: string;
  path: string;
  message: string;
}

/** One correlation fixture: a sequence of events fed in order (`true_positives[1]`: the correlation must fire). */
export interface SequenceFixture {
  kind: FixtureKind;
  file: string;
  path: string;
  events: unknown[];
}

/** Parses one fixture file of a detection rule (lists of events); every problem is returned, none thrown. */
export function parseFixtureFile(source: SourceFile): { fixtures: Fixture[]; problems: FixtureProblem[] } {
  const fixtures: Fixture[] = [];
  const problems = parseLists(source, 'events', (kind, path, entry, add) => {
    const event = checkEvent(entry, path, add);
    if (event !== undefined) fixtures.push({ kind, file: source.file, path, event });
  });
  return { fixtures, problems };
}

/**
 * Parses one fixture file of a correlation rule: `true_positives` and `true_negatives` are lists of sequences, each
 * a non-empty list of events fed in order through the rule set and a fresh correlation engine.
 */
export function parseSequenceFixtureFile(source: SourceFile): { sequences: SequenceFixture[]; problems: FixtureProblem[] } {
  const sequences: SequenceFixture[] = [];
  const problems = parseLists(source, 'sequences of events', (kind, path, entry, add) => {
    if (!Array.isArray(entry) || entry.length === 0) {
      add(path, 'a correlation fixture must be a non-empty list of events (a sequence)');
      return;
    }
    const events = entry.map((event, j) => checkEvent(event, `${path}[${j}]`, add));
    if (!events.includes(undefined)) sequences.push({ kind, file: source.file, path, events });
  });
  return { sequences, problems };
}

type Add = (path: string, message: string) => void;

/** The common layout: a map of `true_positives` / `true_negatives` lists; `each` sees every entry. */
function parseLists(
  { file, source }: SourceFile,
  what: string,
  each: (kind: FixtureKind, path: string, entry: unknown, add: Add) => void,
): FixtureProblem[] {
  const problems: FixtureProblem[] = [];
  const add: Add = (path, message) => problems.push({ file, path, message });
  const doc = parseDocument(source, { uniqueKeys: true });
  for (const error of doc.errors) add('', `YAML: ${error.message}`);
  if (doc.errors.length > 0) return problems;
  const root: unknown = doc.toJS();
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    add('', 'a fixture file must be a map with true_positives and/or true_negatives');
    return problems;
  }
  for (const [key, value] of Object.entries(root)) {
    if (!(FIXTURE_KINDS as readonly string[]).includes(key)) {
      add(key, `unknown key (expected ${FIXTURE_KINDS.join(' or ')})`);
      continue;
    }
    if (!Array.isArray(value)) {
      add(key, `must be a list of ${what}`);
      continue;
    }
    value.forEach((entry, i) => each(key as FixtureKind, `${key}[${i}]`, entry, add));
  }
  return problems;
}

/** The event if it is a Bulwark event (`EventSchema`), else undefined with its problems added. */
function checkEvent(event: unknown, path: string, add: Add): unknown {
  const checked = EventSchema.safeParse(event);
  if (checked.success) return event;
  for (const issue of checked.error.issues) add([path, ...issue.path.map(String)].join('.'), `not a Bulwark event: ${issue.message}`);
  return undefined;
}

/** A short name for a fixture event in messages: its id, else the start of its message. */
export function describeEvent(event: unknown): string {
  const e = event as { event?: { id?: unknown }; message?: unknown };
  if (typeof e.event?.id === 'string') return `event ${e.event.id}`;
  if (typeof e.message === 'string') return JSON.stringify(e.message.slice(0, 60));
  return 'event';
}
