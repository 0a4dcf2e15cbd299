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
