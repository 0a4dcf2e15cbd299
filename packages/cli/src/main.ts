/**
 * The `bulwark` command line. `runCli(argv, io)` does the work and returns the exit code, writing only to the
 * injected streams, so tests run it in-process; run as a script it uses the process's streams and exit code.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backtestCommand } from './backtest.js';
import { EXIT, line, type CliIo } from './io.js';
import { listCommand } from './list.js';
import { testCommand } from './test-rules.js';
import { validateCommand } from './validate.js';

export { EXIT, type CliIo } from './io.js';
export { testCommand, type TestSummary } from './test-rules.js';

export const HELP = `Usage: bulwark <command> [options]

Commands:
  rules validate [--strict] <dir|file...>
                                 load and compile every Sigma rule; print every problem as
                                 <file>: <yaml path>: <message> (also duplicate or missing ids); then
                                 warn of fields no event of the rule's datasets can carry, text compared
                                 with a numeric field, and values outside a field's domain (--strict:
                                 those are problems too)
  rules list <dir|file...>       one line per rule: id, level, title, logsource, tags (--json for JSON)
  rules test <dir|file...>       run each rule's fixtures (<rule>.fixtures.yml or <rule>.fixtures/*.yml):
                                 every true_positives event must match the rule, every true_negatives
                                 event must not; for correlation rules each fixture is a sequence of
                                 events that must (true_positives) or must not (true_negatives) make
                                 the correlation fire; a rule without both kinds of fixtures fails
  rules coverage [--from now-7d] [--to now] [--config <file>] [--rules <dir>] [--json]
                                 per rule, how many stored events of its datasets in the range had every
                                 field it names (the events it could judge), from the configured store
  rules backtest <rule> --from <time> [--to <time>] [--config <file>]
                                 run one rule or correlation over the events in the configured store
                                 (--config or BULWARK_CONFIG, BULWARK_* env on top: the SQLite file in
                                 data_dir, or the search engine) and print what it would have fired;
                                 <rule> is a file, else an id or name in the rules directory (--rules,
                                 else detection.rules_dir, else the bundled rules/), compiled with
                                 detection.placeholders and logsources, as the API's rule_id is;
                                 times are ISO 8601, epoch ms or now-24h
  actions list                   the containment actions: description, whether the blast radius limits
                                 them, parameters, the RBAC rules they need, an example step (--json)
  decoders list                  the ingest protocols the collector speaks, from the decoder registry: name,
                                 routes, content types, body limit, the source kind its events speak for (--json)
  playbooks validate <dir|file...>
                                 load every playbook as the responder does; print every problem as
                                 <file>: <yaml path>: <message> (unknown keys and actions, parameters an
                                 action refuses, references to undeclared inputs or later steps, names
                                 used twice, YAML errors)
  playbooks list <dir|file...>   name, trigger, inputs and steps of each playbook (--json for JSON)

Server commands (a running Bulwark at --url or BULWARK_URL, default http://127.0.0.1:8080, with a token from
--token or BULWARK_TOKEN: scope read to look, respond to start/cancel/undo, approve to approve or reject — never a
run your own token or name requested; --json prints the API's JSON):
  playbooks run <name> [--input key=value ...] [--dry-run] [--alert <id>] [--incident <id>]
                                 start a run (values are typed by the playbook; a key given twice is a
                                 list); --dry-run prints each step's status and plan (kind, target,
                                 detail) and changes nothing
  runs list [--status s] [--playbook p] [--incident id] [--limit n]
                                 the latest runs, newest first
  runs show <id>                 a run's steps: status, attempts, summary, error, approval, plan
  runs approve <id> [--step s] [--comment c]
                                 approve the step waiting for a decision (the first, or --step)
  runs reject <id> [--step s] [--comment c]
                                 reject it (the run ends rejected)
  runs cancel <id>               cancel a pending, running or waiting run
  runs undo <id>                 reverse a finished run's completed steps, last first
  config check [file]            validate a config file and BULWARK_* env as a service would; every problem, exit 2
  backup --to <dir> [--data-dir <dir>]
                                 online backup of the embedded store (SQLite backup API) while Bulwark runs
  restore --from <dir> [--data-dir <dir>] [--force]
                                 check a backup and put it in place; refused while a process holds the data dir
  tokens create|list|revoke      API tokens with scopes and source restrictions (admin; see tokens --help
                                 for the trust model: who may do what, what acts without a person)

Options:
  --json             (rules list, rules backtest, actions list, decoders list, playbooks list, server commands) print JSON
  --config <file>    (rules backtest) the configuration file, instead of BULWARK_CONFIG
  --rules <dir>      (rules backtest) rules an id resolves in and a correlation's references too
                     (default: detection.rules_dir of the configuration, else the bundled rules/)
  --limit <n>        (rules backtest) hits to list, default 100; counts are always exact
  --max-events <n>   (rules backtest) stop after n events and report the scan as truncated
  -h, --help         show this help

Exit codes:
  0  success: every rule or playbook valid (validate), listed (list), every fixture passed (test), done (server)
  1  a rule or playbook problem, a failing or missing fixture, a rule path or id that does not exist, an unreadable store, an API error (its code and message are printed), an unreachable server, a failed dry run
  2  usage error: unknown command or option, missing arguments, bad times, bad config, no store in data_dir, a playbook path that does not exist, no token for a server command
`;

/** Runs one command line (without `node` and the script) and returns its exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  if (argv[0] === 'tokens') return (await import('./tokens.js')).tokensCommand(argv.slice(1), io);
  if (argv[0] === 'config') return (await import('./config-check.js')).configCommand(argv.slice(1), io);
  if (argv[0] === 'backup' || argv[0] === 'restore') return (await import('./backup.js')).backupCommand(argv[0], argv.slice(1), io);
  if (argv[0] === 'decoders') {
    if (argv.some((a) => a === '-h' || a === '--help')) {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    return (await import('./decoders-list.js')).decodersCommand(argv.slice(1), io);
  }
  if (argv[0] === 'rules' && argv[1] === 'coverage' && !argv.slice(2).some((a) => a === '-h' || a === '--help')) {
    return (await import('./coverage.js')).coverageCommand(argv.slice(2), io);
  }
  // backtest takes options of its own (--from, --to, …), so it parses its arguments itself.
  if (argv[0] === 'rules' && argv[1] === 'backtest' && !argv.slice(2).some((a) => a === '-h' || a === '--help')) {
    return backtestCommand(argv.slice(2), io);
  }
  if (argv[0] === 'actions' || argv[0] === 'playbooks' || argv[0] === 'runs') {
    if (argv.some((a) => a === '-h' || a === '--help')) {
      io.stdout.write(HELP);
      return EXIT.ok;
    }
    return responseCommand(argv, io);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' }, strict: { type: 'boolean' } },
    });
  } catch (error) {
    line(io.stderr, `bulwark: ${(error as Error).message}`);
    line(io.stderr, "Run 'bulwark --help' for usage.");
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    (values.help ? io.stdout : io.stderr).write(HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  const [group, command, ...paths] = positionals;
  if (group !== 'rules' || !['validate', 'list', 'test'].includes(command ?? '')) {
    line(io.stderr, `bulwark: unknown command '${positionals.slice(0, 2).join(' ')}'`);
    io.stderr.write(HELP);
    return EXIT.usage;
  }
  if (paths.length === 0) {
    line(io.stderr, `bulwark: rules ${command} needs at least one rule file or directory`);
    return EXIT.usage;
  }
  if (values.strict && command !== 'validate') {
    line(io.stderr, `bulwark: --strict applies to 'rules validate' only`);
    return EXIT.usage;
  }
  if (values.json && command !== 'list') {
    line(io.stderr, `bulwark: --json applies to 'rules list' only`);
    return EXIT.usage;
  }
  switch (command) {
    case 'validate':
      return validateCommand(paths, io, values.strict ?? false);
    case 'list':
      return listCommand(paths, values.json ?? false, io);
    default:
      return (await testCommand(paths, io)).code;
  }
}

/**
 * `actions`, `playbooks` and `runs`: each command parses its own options. Loaded on demand, so the rules commands do
 * not pay for the action registry and the playbook loader.
 */
async function responseCommand(argv: string[], io: CliIo): Promise<number> {
  const [group, command] = argv;
  if (group === 'actions') return (await import('./actions-list.js')).actionsCommand(argv.slice(1), io);
  if (group === 'runs') return (await import('./runs.js')).runsCommand(argv.slice(1), io);
  if (command === 'validate' || command === 'list') return (await import('./playbooks.js')).playbooksLocalCommand(command, argv.slice(2), io);
  if (command === 'run') return (await import('./playbooks-run.js')).runPlaybookCommand(argv.slice(2), io);
  line(io.stderr, `bulwark: unknown command 'playbooks${command ? ` ${command}` : ''}' (one of: playbooks validate, playbooks list, playbooks run)`);
  line(io.stderr, "Run 'bulwark --help' for usage.");
  return EXIT.usage;
}

/** True when this file is the program (`node dist/main.js`, or from source under tsx), not imported by bin/bulwark.mjs or a test. */
function isProgram(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return realpathSync(entry) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isProgram()) process.exitCode = await runCli(process.argv.slice(2), process);
