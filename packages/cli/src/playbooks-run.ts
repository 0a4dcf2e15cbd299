/**
 * `bulwark playbooks run <name> [--input key=value …] [--dry-run] [--alert <id>] [--incident <id>] [--json]`:
 * POST /v1/playbooks/:name/run on a running Bulwark. Input values are sent as strings (the server types them as the
 * playbook declares: numbers, booleans, lists); a key given more than once becomes a list. A dry run is carried out
 * by the server before it answers, so its steps and plans are printed at once; a real run is scheduled and printed
 * as started, with the command to follow it.
 */
import { request, serverTarget, SERVER_OPTIONS, withServerErrors } from './http-client.js';
import { EXIT, line, parseCommand, UsageError, type CliIo } from './io.js';
import { printRun, type RunView } from './run-format.js';

const RUN_OPTIONS = {
  ...SERVER_OPTIONS,
  input: { type: 'string', multiple: true },
  'dry-run': { type: 'boolean' },
  alert: { type: 'string' },
  incident: { type: 'string' },
} as const;

/** `key=value` pairs into the request's `inputs`; a repeated key collects its values into a list. */
export function parseInputs(pairs: readonly string[]): Record<string, string | string[]> {
  const inputs: Record<string, string | string[]> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    const key = eq === -1 ? '' : pair.slice(0, eq).trim();
    if (eq === -1 || key === '') throw new UsageError(`--input '${pair}': expected key=value`);
    const value = pair.slice(eq + 1);
    const had = inputs[key];
    inputs[key] = had === undefined ? value : [...(Array.isArray(had) ? had : [had]), value];
  }
  return inputs;
}

/** Runs the command; `argv` is what follows `playbooks run`. */
export function runPlaybookCommand(argv: string[], io: CliIo): Promise<number> {
  return withServerErrors(io, async () => {
    const { values, positionals } = parseCommand(argv, RUN_OPTIONS);
    if (positionals.length !== 1) throw new UsageError('playbooks run needs exactly one playbook name');
    const name = positionals[0]!;
    const inputs = parseInputs(values.input ?? []);
    const target = serverTarget(values, io.env ?? process.env);
    const dryRun = values['dry-run'] ?? false;
    const body = {
      inputs,
      dry_run: dryRun,
      ...(values.alert !== undefined ? { alert_id: values.alert } : {}),
      ...(values.incident !== undefined ? { incident_id: values.incident } : {}),
    };
    const run = await request<RunView>(target, 'POST', `/v1/playbooks/${encodeURIComponent(name)}/run`, body);
    if (values.json) {
      line(io.stdout, JSON.stringify(run, null, 2));
      return dryRun && run.status !== 'succeeded' ? EXIT.failed : EXIT.ok;
    }
    if (dryRun) {
      printRun(io, run);
      if (run.status !== 'succeeded') {
        line(io.stderr, `bulwark: the dry run of ${name} ended ${run.status}${run.error ? `: ${run.error}` : ''}`);
        return EXIT.failed;
      }
      return EXIT.ok;
    }
    line(io.stdout, `started run ${run.id} of playbook ${run.playbook} (status ${run.status}, ${run.steps.length} steps)`);
    line(io.stdout, `follow it with: bulwark runs show ${run.id}`);
    return EXIT.ok;
  });
}
