/**
 * Handing over the admin token minted at a first start (docs/ARCHITECTURE.md, "Bulwark's own secrets"). The
 * process's stdout is its log stream: under a container runtime it is collected and shipped — possibly into Bulwark
 * itself, where anyone with `read` could search it. So the secret goes to the terminal only when stdout is one, and otherwise to a file only root (or the
 * service user) can read; the log line says where, never what.
 */
import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';

export const INITIAL_TOKEN_FILE = 'initial-admin-token';

export interface TokenHandover {
  /** Where the secret went: the terminal, or the file's path. */
  to: 'terminal' | string;
}

/**
 * Shows the minted secret on an interactive terminal, else writes it to `<data_dir>/initial-admin-token` (mode 0600).
 * `interactive` defaults to whether stdout is a TTY.
 */
export function handOverInitialToken(
  secret: string,
  dataDir: string,
  logger: Logger,
  interactive: boolean = process.stdout.isTTY === true,
): TokenHandover {
  if (interactive) {
    process.stdout.write(`\nNo API token existed, so an admin token was created. It is shown only now; keep it safe:\n\n  ${secret}\n\n`);
    return { to: 'terminal' };
  }
  const path = join(dataDir, INITIAL_TOKEN_FILE);
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600); // an existing file keeps its old mode through writeFileSync
  logger.warn({ file: path }, 'no API token existed, so an admin token was created; it is in this file (mode 0600): read it, store it safely, delete the file');
  return { to: path };
}
