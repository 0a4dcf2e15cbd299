/**
 * `bulwark playbooks validate|list <dir|file…>`: load playbooks exactly as the responder does (`loadPlaybooks` with
 * the ACTIONS registry: schema, actions, literal parameters against each action's schema, references against inputs
 * and earlier steps, names unique across files) and print every problem as `<file>: <yaml path>: <message>`, or list
 * what they are. `playbooks run` (a server command) is in playbooks-run.ts.
 */
import { existsSync } from 'node:fs';
import { ACTIONS } from '@bulwark/actions';
import { loadPlaybooks, playbookFiles, type Playbook, type PlaybookProblem } from '@bulwark/playbooks';
import { EXIT, line, parseCommand, UsageError, usageFailed, type CliIo } from './io.js';

export function formatPlaybookProblem(p: PlaybookProblem): string {
  return `${p.file}: ${p.path || '(file)'}: ${p.message}`;
}

interface Loaded {
  files: string[];
  playbooks: Playbook[];
  problems: PlaybookProblem[];
}

/** Loads the given paths; a path that does not exist is a usage error (nothing is loaded then). */
function load(command: string, paths: string[]): Loaded {
  if (paths.length === 0) throw new UsageError(`playbooks ${command} needs at least one playbook file or directory`);
  const missing = paths.filter((p) => !existsSync(p));
  if (missing.length > 0) throw new UsageError(missing.map((p) => `${p}: no such file or directory`).join('\n'));
  const files = playbookFiles(paths);
  const { playbooks, problems } = loadPlaybooks(paths, ACTIONS);
  return { files, playbooks: [...playbooks.values()], problems };
}

/** `playbooks validate`: exit 0 with a one-line summary, 1 on any problem (or no playbook at all). */
export function validatePlaybooks(paths: string[], io: CliIo): number {
  const { files, playbooks, problems } = load('validate', paths);
  for (const problem of problems) line(io.stderr, formatPlaybookProblem(problem));
  if (files.length === 0) {
    line(io.stderr, `bulwark: no playbook files (*.yml, *.yaml) in ${paths.join(', ')}`);
    return EXIT.failed;
  }
  const steps = playbooks.reduce((n, p) => n + p.steps.length, 0);
  if (problems.length === 0) {
    line(io.stdout, `OK: ${playbooks.length} playbooks, ${steps} steps, in ${files.length} files`);
    return EXIT.ok;
  }
  const bad = new Set(problems.map((p) => p.file)).size;
  line(io.stdout, `${files.length} playbook files, ${playbooks.length} valid, ${bad} with problems, ${problems.length} problems`);
  return EXIT.failed;
}

/** `rules [a, b]; tags [x]; severity >= high; …; once per incident; trusts k8s-audit,falco (else approval)`, or `manual only`. */
export function triggerSummary(playbook: Pick<Playbook, 'trigger'>): string {
  const t = playbook.trigger;
  if (!t) return 'manual only';
  const parts: string[] = [];
  if (t.rules) parts.push(`rules ${t.rules.join(',')}`);
  if (t.tags) parts.push(`tags ${t.tags.join(',')}`);
  if (t.min_severity) parts.push(`severity >= ${t.min_severity}`);
  if (t.entity_kinds) parts.push(`entity ${t.entity_kinds.join(',')}`);
  if (t.sources) parts.push(`source ${t.sources.join(',')}`);
  if (t.incident) {
    const i = t.incident;
    const inc = [
      ...(i.min_severity ? [`severity >= ${i.min_severity}`] : []),
      ...(i.min_alerts ? [`alerts >= ${i.min_alerts}`] : []),
      ...(i.statuses ? [`status ${i.statuses.join(',')}`] : []),
    ];
    parts.push(`incident ${inc.join(' ')}`);
  }
  parts.push(`once per ${t.once_per}`);
  // Which evidence moves it without a person (ARCHITECTURE.md, "What acts without a person"), and what the rest does.
  parts.push(`trusts ${t.trust.length > 0 ? t.trust.join(',') : 'nothing'} (else ${t.untrusted === 'notify' ? 'notify only' : 'approval'})`);
  return parts.join('; ');
}

function listRow(p: Playbook) {
  return {
    name: p.name,
    description: p.description,
    enabled: p.enabled,
    file: p.file,
    trigger: p.trigger ?? null,
    trigger_summary: triggerSummary(p),
    inputs: p.inputs,
    steps: p.steps.map((s) => ({
      id: s.id,
      action: s.action,
      approval: s.approval === 'auto' || !s.approval.required ? 'auto' : 'required',
      conditional: s.when !== undefined,
    })),
  };
}

/** `playbooks list`: the valid playbooks (problems on stderr, exit 1 when there are any). */
export function listPlaybooks(paths: string[], json: boolean, io: CliIo): number {
  const { playbooks, problems } = load('list', paths);
  const rows = playbooks.map(listRow);
  if (json) line(io.stdout, JSON.stringify(rows, null, 2));
  else {
    for (const row of rows) {
      line(io.stdout, `${row.name}${row.enabled ? '' : '  (disabled: runs only when asked)'}  [${row.file}]`);
      line(io.stdout, `  trigger: ${row.trigger_summary}`);
      const inputs = Object.keys(row.inputs);
      if (inputs.length > 0) line(io.stdout, `  inputs:  ${inputs.join(', ')}`);
      const steps = row.steps.map((s) => `${s.id} (${s.action}${s.approval === 'required' ? ', approval' : ''}${s.conditional ? ', when' : ''})`);
      line(io.stdout, `  steps:   ${steps.join(' -> ')}`);
    }
    line(io.stdout, `${rows.length} playbooks`);
  }
  for (const problem of problems) line(io.stderr, formatPlaybookProblem(problem));
  return problems.length > 0 ? EXIT.failed : EXIT.ok;
}

/** Runs `playbooks validate|list`; `argv` is what follows `playbooks <command>`. */
export function playbooksLocalCommand(command: 'validate' | 'list', argv: string[], io: CliIo): number {
  try {
    const { values, positionals } = parseCommand(argv, { json: { type: 'boolean' } });
    if (values.json && command !== 'list') throw new UsageError(`--json applies to 'playbooks list' (and the server commands), not 'playbooks ${command}'`);
    return command === 'validate' ? validatePlaybooks(positionals, io) : listPlaybooks(positionals, values.json ?? false, io);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailed(io, error);
  }
}
