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

/** Parses one fixture file; every problem is returned, none thrown. */
export function parseFixtureFile({ file, source }: SourceFile): { fixtures: Fixture[]; problems: FixtureProblem[] } {
  const fixtures: Fixture[] = [];
  const problems: FixtureProblem[] = [];
  const add = (path: string, message: string) => problems.push({ file, path, message });
  const doc = parseDocument(source, { uniqueKeys: true });
  for (const error of doc.errors) add('', `YAML: ${error.message}`);
  if (doc.errors.length > 0) return { fixtures, problems };
  const root: unknown = doc.toJS();
  if (root === null || typeof root !== 'object' || Array.isArray(root)) {
    add('', 'a fixture file must be a map with true_positives and/or true_negatives');
    return { fixtures, problems };
  }
  for (const [key, value] of Object.entries(root)) {
    if (!(FIXTURE_KINDS as readonly string[]).includes(key)) {
      add(key, `unknown key (expected ${FIXTURE_KINDS.join(' or ')})`);
      continue;
    }
    if (!Array.isArray(value)) {
      add(key, 'must be a list of events');
      continue;
    }
    value.forEach((event, i) => {
      const path = `${key}[${i}]`;
      const checked = EventSchema.safeParse(event);
      if (checked.success) fixtures.push({ kind: key as FixtureKind, file, path, event });
      else for (const issue of checked.error.issues) add([path, ...issue.path.map(String)].join('.'), `not a Bulwark event: ${issue.message}`);
    });
  }
  return { fixtures, problems };
}

/** A short name for a fixture event in messages: its id, else the start of its message. */
export function describeEvent(event: unknown): string {
  const e = event as { event?: { id?: unknown }; message?: unknown };
  if (typeof e.event?.id === 'string') return `event ${e.event.id}`;
  if (typeof e.message === 'string') return JSON.stringify(e.message.slice(0, 60));
  return 'event';
}
