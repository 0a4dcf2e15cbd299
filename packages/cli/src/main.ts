/**
 * The `bulwark` command line. `runCli(argv, io)` does the work and returns the exit code, writing only to the
 * injected streams, so tests run it in-process; run as a script it uses the process's streams and exit code.
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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

Options:
  --json        (rules list) print JSON
  -h, --help    show this help

Exit codes:
  0  success: every rule valid (validate), listed (list), every fixture passed (test)
  1  a rule problem, a failing or missing fixture, or a path that does not exist
  2  usage error: unknown command or option, missing arguments
`;

/** Runs one command line (without `node` and the script) and returns its exit code. */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
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
