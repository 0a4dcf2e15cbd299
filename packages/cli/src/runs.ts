/**
 * `bulwark runs list|show|approve|reject|cancel|undo`: playbook runs on a running Bulwark (services/responder's runs
 * API). Looking needs a token with `read`; cancel and undo need `respond`; approve and reject need `approve` (and one
 * of the approver scopes the playbook names) — and an approval never comes from whoever started the run (403
 * BWK_SELF_APPROVAL: separation of duties). Each acting command prints the run's new state; the server's refusal (a
 * run that is not waiting, a token without the scope, a self-approval) is printed as it answered, with exit 1.
 */
import { RunStatuses } from '@bulwark/schema';
import { request, serverTarget, SERVER_OPTIONS, withServerErrors } from './http-client.js';
import { EXIT, line, parseCommand, UsageError, type CliIo } from './io.js';
import { printRun, printRunLines, type RunView } from './run-format.js';

export const RUN_COMMANDS = ['list', 'show', 'approve', 'reject', 'cancel', 'undo'] as const;
export type RunCommand = (typeof RUN_COMMANDS)[number];

const LIST_OPTIONS = { ...SERVER_OPTIONS, status: { type: 'string' }, playbook: { type: 'string' }, incident: { type: 'string' }, limit: { type: 'string' } } as const;
const DECIDE_OPTIONS = { ...SERVER_OPTIONS, step: { type: 'string' }, comment: { type: 'string' } } as const;

const runPath = (id: string, action = ''): string => `/v1/runs/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;

function oneId(command: string, positionals: string[]): string {
  if (positionals.length !== 1) throw new UsageError(`runs ${command} needs exactly one run id`);
  return positionals[0]!;
}

async function listRuns(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, LIST_OPTIONS);
  if (positionals.length > 0) throw new UsageError(`runs list takes no arguments (got ${positionals.join(' ')}); filter with --status, --playbook, --incident`);
  if (values.status !== undefined && !(RunStatuses as readonly string[]).includes(values.status)) {
    throw new UsageError(`--status '${values.status}': one of ${RunStatuses.join(', ')}`);
  }
  if (values.limit !== undefined && !(/^[1-9]\d{0,2}$/.test(values.limit) && Number(values.limit) <= 500)) throw new UsageError(`--limit '${values.limit}': a whole number from 1 to 500`);
  const target = serverTarget(values, io.env ?? process.env);
  const query = new URLSearchParams();
  if (values.status) query.set('status', values.status);
  if (values.playbook) query.set('playbook', values.playbook);
  if (values.incident) query.set('incident_id', values.incident);
  if (values.limit) query.set('size', values.limit);
  const page = await request<{ items: RunView[]; cursor: string | null }>(target, 'GET', `/v1/runs${query.size > 0 ? `?${query}` : ''}`);
  if (values.json) {
    line(io.stdout, JSON.stringify(page, null, 2));
    return EXIT.ok;
  }
  printRunLines(io, page.items);
  line(io.stdout, `${page.items.length} runs${page.cursor ? ' (more exist: narrow the filters or raise --limit)' : ''}`);
  return EXIT.ok;
}

async function showRun(argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, SERVER_OPTIONS);
  const id = oneId('show', positionals);
  const run = await request<RunView>(serverTarget(values, io.env ?? process.env), 'GET', runPath(id));
  if (values.json) line(io.stdout, JSON.stringify(run, null, 2));
  else printRun(io, run);
  return EXIT.ok;
}

/** approve / reject: the first step waiting for a decision, or `--step`. */
async function decide(decision: 'approve' | 'reject', argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, DECIDE_OPTIONS);
  const id = oneId(decision, positionals);
  const target = serverTarget(values, io.env ?? process.env);
  const body = { ...(values.step !== undefined ? { step: values.step } : {}), ...(values.comment !== undefined ? { comment: values.comment } : {}) };
  const run = await request<RunView>(target, 'POST', runPath(id, decision), body);
  if (values.json) line(io.stdout, JSON.stringify(run, null, 2));
  else {
    const step = decidedStep(run, values.step, decision === 'approve' ? 'approved' : 'rejected');
    line(io.stdout, `${decision === 'approve' ? 'approved' : 'rejected'} step ${step ?? '?'} of run ${run.id}; the run is ${run.status}`);
  }
  return EXIT.ok;
}

function decidedStep(run: RunView, wanted: string | undefined, decision: string): string | undefined {
  if (wanted) return wanted;
  return [...run.steps].reverse().find((s) => s.approval?.decision === decision)?.id;
}

/** cancel / undo: no options beyond the server's. */
async function transition(action: 'cancel' | 'undo', argv: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommand(argv, SERVER_OPTIONS);
  const id = oneId(action, positionals);
  const run = await request<RunView>(serverTarget(values, io.env ?? process.env), 'POST', runPath(id, action), {});
  if (values.json) line(io.stdout, JSON.stringify(run, null, 2));
  else if (action === 'cancel') line(io.stdout, `cancelled run ${run.id}; the run is ${run.status}`);
  else {
    const steps = run.steps.filter((s) => s.status === 'succeeded').length;
    line(io.stdout, `undo of run ${run.id} requested (${steps} completed steps, reversed last first); the run is ${run.status}`);
    line(io.stdout, `follow it with: bulwark runs show ${run.id}`);
  }
  return EXIT.ok;
}

/** Runs `runs <command> …`; `argv` is what follows `runs`. */
export function runsCommand(argv: string[], io: CliIo): Promise<number> {
  return withServerErrors(io, async () => {
    const [command, ...rest] = argv;
    switch (command as RunCommand | undefined) {
      case 'list':
        return listRuns(rest, io);
      case 'show':
        return showRun(rest, io);
      case 'approve':
      case 'reject':
        return decide(command as 'approve' | 'reject', rest, io);
      case 'cancel':
      case 'undo':
        return transition(command as 'cancel' | 'undo', rest, io);
      default:
        throw new UsageError(`unknown command 'runs${command ? ` ${command}` : ''}' (one of: ${RUN_COMMANDS.map((c) => `runs ${c}`).join(', ')})`);
    }
  });
}
