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
  rules validate <dir|file...>   load and compile every Sigma rule; print every problem as
                                 <file>: <yaml path>: <message> (also duplicate or missing ids)
  rules list <dir|file...>       one line per rule: id, level, title, logsource, tags (--json for JSON)
  rules test <dir|file...>       run each rule's fixtures (<rule>.fixtures.yml or <rule>.fixtures/*.yml):
                                 every true_positives event must match the rule, every true_negatives
                                 event must not; for correlation rules each fixture is a sequence of
                                 events that must (true_positives) or must not (true_negatives) make
                                 the correlation fire; a rule without both kinds of fixtures fails
  rules backtest <rule> --from <time> [--to <time>]
                                 run one rule or correlation (a file, or an id or name in --rules)
                                 over the events in the configured store (BULWARK_CONFIG, BULWARK_*
                                 env: the SQLite file in data_dir, or the search engine) and print
                                 what it would have fired; times are ISO 8601, epoch ms or now-24h

Options:
  --json             (rules list, rules backtest) print JSON
  --rules <dir>      (rules backtest) rules a correlation's references resolve in (default: bundled)
  --limit <n>        (rules backtest) hits to list, default 100; counts are always exact
  --max-events <n>   (rules backtest) stop after n events and report the scan as truncated
  -h, --help         show this help

Exit codes:
  0  success: every rule valid (validate), listed (list), every fixture passed (test)
  1  a rule problem, a failing or missing fixture, a path or rule id that does not exist, an unreadable store
  2  usage error: unknown command or option, missing arguments, bad times, bad config, no store in data_dir
`;

/** Runs one command line (without `node` and the script) and returns its exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  // backtest takes options of its own (--from, --to, …), so it parses its arguments itself.
  if (argv[0] === 'rules' && argv[1] === 'backtest' && !argv.slice(2).some((a) => a === '-h' || a === '--help')) {
    return backtestCommand(argv.slice(2), io);
  }
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { help: { type: 'boolean', short: 'h' }, json: { type: 'boolean' } },
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
  if (values.json && command !== 'list') {
    line(io.stderr, `bulwark: --json applies to 'rules list' only`);
    return EXIT.usage;
  }
  switch (command) {
    case 'validate':
      return validateCommand(paths, io);
    case 'list':
      return listCommand(paths, values.json ?? false, io);
    default:
      return (await testCommand(paths, io)).code;
  }
}

/** True when this file is the program (`node --import tsx main.ts`), not imported by bin/bulwark.mjs or a test. */
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
