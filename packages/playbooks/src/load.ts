/**
 * Loading playbooks: every file is parsed and checked at load — the schema (unknown keys refused),
 * that each action exists and each literal parameter passes the action's own schema, that every `{{ reference }}`
 * names a declared input or an earlier step, that names and step ids are unique — and every problem is reported with
 * its file and YAML path, all at once. `bulwark playbooks validate` runs the same check for CI.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { z } from 'zod';
import { RE2JS } from 're2js';
import type { AnyAction } from '@bulwark/actions';
import { PlaybookSchema, SECRET_REF, type Playbook, type PlaybookSpec } from './format.js';
import { isTemplated, referencesIn, ROOTS } from './template.js';

export interface PlaybookProblem {
  file: string;
  /** YAML path, e.g. `steps.1.with.namespace`; '' for the whole file. */
  path: string;
  message: string;
}

export interface LoadedPlaybooks {
  playbooks: Map<string, Playbook>;
  problems: PlaybookProblem[];
}

/** The YAML files under the given files or directories (recursively), sorted. */
export function playbookFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (path: string): void => {
    if (statSync(path).isDirectory()) {
      for (const entry of readdirSync(path).sort()) walk(join(path, entry));
    } else if (/\.ya?ml$/.test(path)) {
      files.push(path);
    }
  };
  for (const path of paths) walk(path);
  return files;
}

/** Loads and checks every playbook under `paths`; playbooks with problems are left out of the map. */
export function loadPlaybooks(paths: readonly string[], actions: ReadonlyMap<string, AnyAction>, base = process.cwd()): LoadedPlaybooks {
  const playbooks = new Map<string, Playbook>();
  const problems: PlaybookProblem[] = [];
  const seen = new Map<string, string>();
  for (const path of playbookFiles(paths)) {
    const file = relative(base, path) || path;
    const text = readFileSync(path, 'utf8');
    const found = checkPlaybook(text, file, actions);
    problems.push(...found.problems);
    if (!found.playbook) continue;
    const other = seen.get(found.playbook.name);
    if (other) {
      problems.push({ file, path: 'name', message: `playbook ${found.playbook.name} is already defined in ${other}` });
      continue;
    }
    seen.set(found.playbook.name, file);
    if (found.problems.length === 0) playbooks.set(found.playbook.name, found.playbook);
  }
  return { playbooks, problems };
}

/** Checks one playbook's YAML text. */
export function checkPlaybook(text: string, file: string, actions: ReadonlyMap<string, AnyAction>): { playbook: Playbook | null; problems: PlaybookProblem[] } {
  const problems: PlaybookProblem[] = [];
  const doc = parseDocument(text, { prettyErrors: false, uniqueKeys: true });
  for (const error of doc.errors) problems.push({ file, path: '', message: `YAML: ${error.message.split('\n')[0]}` });
  if (problems.length > 0) return { playbook: null, problems };
  const parsed = PlaybookSchema.safeParse(doc.toJS());
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.map(String);
      // An unknown key is reported at the object holding it; name the key itself.
      if (issue.code === 'unrecognized_keys') for (const key of issue.keys) problems.push({ file, path: [...path, key].join('.'), message: `unknown key ${key}` });
      else problems.push({ file, path: path.join('.'), message: issue.message });
    }
    return { playbook: null, problems };
  }
  const spec = parsed.data;
  problems.push(...semanticProblems(spec, actions).map((p) => ({ file, ...p })));
  const digest = createHash('sha256').update(text).digest('hex');
  return { playbook: { ...spec, file, digest }, problems };
}

type Problem = Omit<PlaybookProblem, 'file'>;

function semanticProblems(spec: PlaybookSpec, actions: ReadonlyMap<string, AnyAction>): Problem[] {
  const problems: Problem[] = [];
  for (const [name, input] of Object.entries(spec.inputs)) {
    if (input.pattern !== undefined) {
      try {
        RE2JS.compile(input.pattern);
      } catch (err) {
        problems.push({ path: `inputs.${name}.pattern`, message: `not a valid pattern: ${(err as Error).message}` });
      }
    }
    if (input.default !== undefined && !typeMatches(input.type, input.default)) {
      problems.push({ path: `inputs.${name}.default`, message: input.type === 'secret' ? 'is not a secret reference (env:NAME or file:/absolute/path)' : `is not a ${input.type}` });
    }
  }
  const earlier = new Set<string>();
  spec.steps.forEach((step, index) => {
    const at = `steps.${index}`;
    if (earlier.has(step.id)) problems.push({ path: `${at}.id`, message: `step id ${step.id} is used twice` });
    const action = actions.get(step.action);
    if (!action) problems.push({ path: `${at}.action`, message: `no action ${step.action} (see \`bulwark actions list\`)` });
    else problems.push(...paramProblems(action, step.with, `${at}.with`), ...secretProblems(spec, step.action, step.with, `${at}.with`));
    if (typeof step.undo === 'object') {
      const undoAction = actions.get(step.undo.action);
      if (!undoAction) problems.push({ path: `${at}.undo.action`, message: `no action ${step.undo.action}` });
      else problems.push(...paramProblems(undoAction, step.undo.with, `${at}.undo.with`), ...secretProblems(spec, step.undo.action, step.undo.with, `${at}.undo.with`));
    }
    problems.push(...referenceProblems(step.with, `${at}.with`, spec, earlier, step.id));
    problems.push(...referenceProblems(step.when, `${at}.when`, spec, earlier, step.id));
    earlier.add(step.id);
    // An explicit undo runs after its step: it may use the step's own outputs.
    if (typeof step.undo === 'object') problems.push(...referenceProblems(step.undo.with, `${at}.undo.with`, spec, earlier, ''));
  });
  return problems;
}

function typeMatches(type: string, value: unknown): boolean {
  if (type === 'string[]') return Array.isArray(value) && value.every((v) => typeof v === 'string');
  if (type === 'secret') return typeof value === 'string' && SECRET_REF.test(value);
  return typeof value === type;
}

/**
 * Credentials in parameters (docs/ARCHITECTURE.md, "Bulwark's own secrets"): a webhook URL (Slack, Teams) is a credential, so notify.webhook's
 * `url` is never filled in by a reference — whoever starts the run, or writes the alert, would choose where the
 * incident goes; use `url_ref`. A `*_ref` parameter is a literal secret reference or exactly `{{ inputs.<name> }}` of
 * an input of type `secret` (which is never taken from the alert).
 */
function secretProblems(spec: PlaybookSpec, action: string, params: Record<string, unknown>, path: string): Problem[] {
  const problems: Problem[] = [];
  if (action === 'notify.webhook' && isTemplated(params.url)) {
    problems.push({
      path: `${path}.url`,
      message: 'a webhook URL is a credential: give url_ref, a secret reference (env:NAME or file:/path) or an input of type secret, not a URL filled in from inputs or the alert',
    });
  }
  const walk = (value: unknown, at: string, key: string): void => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) walk(v, `${at}.${k}`, k);
      return;
    }
    if (!key.endsWith('_ref')) return;
    if (typeof value === 'string' && !isTemplated(value)) {
      if (!SECRET_REF.test(value)) problems.push({ path: at, message: 'is not a secret reference (env:NAME or file:/absolute/path)' });
      return;
    }
    const whole = typeof value === 'string' ? /^\{\{\s*inputs\.([a-z][a-z0-9_]*)\s*\}\}$/.exec(value) : null;
    if (!whole || !Object.hasOwn(spec.inputs, whole[1]!) || spec.inputs[whole[1]!]!.type !== 'secret') {
      problems.push({ path: at, message: `a secret reference comes from the playbook itself or an input of type secret, e.g. '{{ inputs.${key.replace(/_ref$/, '')} }}' declared with type: secret` });
    }
  };
  for (const [key, value] of Object.entries(params)) walk(value, `${path}.${key}`, key);
  return problems;
}

/**
 * Literal parameters must pass the action's schema now; templated ones are checked when the run reaches the step
 * (their values come from the alert), but their names must still be parameters the action has.
 */
function paramProblems(action: AnyAction, params: Record<string, unknown>, path: string): Problem[] {
  if (!isTemplated(params)) {
    const result = action.params.safeParse(params);
    return result.success ? [] : result.error.issues.map((i) => ({ path: [path, ...i.path.map(String)].join('.'), message: i.message }));
  }
  const shape = (action.params as unknown as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) return [];
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(params)) {
    const field = shape[key];
    if (!field) {
      problems.push({ path: `${path}.${key}`, message: `${action.name} has no parameter ${key} (it takes ${Object.keys(shape).join(', ')})` });
    } else if (!isTemplated(value)) {
      const result = field.safeParse(value);
      if (!result.success) for (const i of result.error.issues) problems.push({ path: [path, key, ...i.path.map(String)].join('.'), message: i.message });
    }
  }
  return problems;
}

function referenceProblems(value: unknown, path: string, spec: PlaybookSpec, earlier: ReadonlySet<string>, stepId: string): Problem[] {
  const problems: Problem[] = [];
  for (const ref of referencesIn(value)) {
    const [root, second, third] = ref.split('.');
    if (ref.includes('{{') || !(ROOTS as readonly string[]).includes(root!)) {
      problems.push({ path, message: `{{ ${ref} }} must start with one of ${ROOTS.join(', ')}` });
    } else if (root === 'inputs' && !(second && Object.hasOwn(spec.inputs, second))) {
      problems.push({ path, message: `{{ ${ref} }}: no input ${second ?? ''} is declared` });
    } else if (root === 'steps') {
      if (!second || !earlier.has(second)) problems.push({ path, message: `{{ ${ref} }}: ${second === stepId ? 'a step cannot use its own outputs' : `no earlier step ${second ?? ''}`}` });
      else if (third !== 'outputs' && third !== 'status') problems.push({ path, message: `{{ ${ref} }}: a step has outputs and status` });
    }
  }
  return problems;
}
