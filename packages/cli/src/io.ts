import { parseArgs, type ParseArgsConfig } from 'node:util';
import { BulwarkError } from '@bulwark/schema';

/** The streams a command writes to, injected so tests run the CLI in-process. */
export interface CliIo {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
  /** Where configuration is read from (`rules backtest` opens the configured store); default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** Exit codes (printed by `--help`). */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

export function line(stream: CliIo['stdout'], text = ''): void {
  stream.write(text + '\n');
}

/**
 * A problem with the command line (every command's, local or server): printed with a pointer to `--help`, exit 2.
 * A catalogue error like any other Bulwark error: a command line is the CLI's request.
 */
export class UsageError extends BulwarkError<'BWK_BAD_REQUEST'> {
  constructor(message: string) {
    super('BWK_BAD_REQUEST', message);
    this.name = 'UsageError';
  }
}

/** Prints a usage problem (each line of it) and the pointer to `--help`; returns the usage exit code. */
export function usageFailed(io: CliIo, error: UsageError): number {
  for (const text of error.message.split('\n')) line(io.stderr, `bulwark: ${text}`);
  line(io.stderr, "Run 'bulwark --help' for usage.");
  return EXIT.usage;
}

/** Parses a command's arguments strictly; a parse error becomes a UsageError. */
export function parseCommand<O extends NonNullable<ParseArgsConfig['options']>>(
  argv: string[],
  options: O,
): ReturnType<typeof parseArgs<{ args: string[]; allowPositionals: true; strict: true; options: O }>> {
  try {
    return parseArgs({ args: argv, allowPositionals: true as const, strict: true as const, options });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

/**
 * `bulwark <noun> list [--json]` for a registry this build carries (actions, decoders): the arguments checked, then
 * the rows as JSON or as `printText` lays them out.
 */
export function registryListCommand<Row>(noun: string, argv: string[], io: CliIo, rows: () => Row[], printText: (rows: Row[]) => void): number {
  let parsed;
  try {
    parsed = parseCommand(argv, { json: { type: 'boolean' } });
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailed(io, error);
  }
  const [command, ...rest] = parsed.positionals;
  if (command !== 'list' || rest.length > 0) {
    line(io.stderr, command === 'list' ? `bulwark: ${noun} list takes no arguments (got ${rest.join(' ')})` : `bulwark: unknown command '${noun}${command ? ` ${command}` : ''}' (try '${noun} list')`);
    return EXIT.usage;
  }
  if (parsed.values.json) line(io.stdout, JSON.stringify(rows(), null, 2));
  else printText(rows());
  return EXIT.ok;
}
