/**
 * `bulwark config check [file]`: load a configuration exactly as a Bulwark process does at start — the YAML file (the
 * argument, else BULWARK_CONFIG) with the BULWARK_* environment on top, through the one schema — and print every
 * problem with its path and where the value came from, so a bad deployment is caught before it is rolled out.
 */
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig, type Config } from '@bulwark/config';
import { EXIT, line, type CliIo } from './io.js';

export const CONFIG_HELP = `Usage: bulwark config check [file]

Load the configuration as every Bulwark process does at start: the YAML file (the argument, else BULWARK_CONFIG),
then the BULWARK_* environment variables on top, validated together. Prints every problem as
  <config path>: <message> (from <file, env var or defaults>)
and, when valid, the mode it configures.

Options:
  -h, --help   show this help

Exit codes:
  0  the configuration is valid
  2  it has problems (each is printed), or a usage error
`;

export function configCommand(argv: string[], io: CliIo): number {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { help: { type: 'boolean', short: 'h' } } });
  } catch (error) {
    line(io.stderr, `bulwark: ${(error as Error).message}`);
    line(io.stderr, "Run 'bulwark config --help' for usage.");
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(CONFIG_HELP);
    return EXIT.ok;
  }
  const [command, file, ...extra] = positionals;
  if (command !== 'check' || extra.length > 0) {
    line(io.stderr, command === 'check' ? 'bulwark: config check takes at most one file' : `bulwark: unknown command 'config${command ? ` ${command}` : ''}' (one of: config check)`);
    io.stderr.write(CONFIG_HELP);
    return EXIT.usage;
  }
  const env = { ...(io.env ?? process.env), ...(file !== undefined ? { BULWARK_CONFIG: file } : {}) };
  const from = env.BULWARK_CONFIG ? env.BULWARK_CONFIG : 'the environment (no file: BULWARK_CONFIG is unset)';
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const p of error.problems) line(io.stderr, `${p.path}: ${p.message} (from ${p.source})`);
    line(io.stdout, `${from}: ${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}`);
    return EXIT.usage;
  }
  line(io.stdout, `${from}: valid; ${describeMode(config)}`);
  return EXIT.ok;
}

/** One line on what the configuration runs: the two modes of docs/ARCHITECTURE.md. */
function describeMode(config: Config): string {
  if (config.store.type === 'sqlite') {
    const parts = [config.detection.correlator ? 'correlator' : null, config.responder.enabled ? 'responder' : null].filter(Boolean);
    return `embedded mode: SQLite in ${config.data_dir}${parts.length ? `, ${parts.join(' and ')} in process` : ''}`;
  }
  return `scale mode: ${config.store.type} at ${config.store.url}, bus on Redis (prefix ${config.bus.prefix})`;
}
