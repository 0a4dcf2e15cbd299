/**
 * `bulwark backup --data-dir D --to DIR` and `bulwark restore --from DIR --data-dir D [--force]`: the embedded
 * store's online backup and its restore (README, "Operations"; what is copied and how: @bulwark/store's
 * sqlite/backup.ts).
 *
 * A command rather than an admin route: it needs no running server and no token, works the same while Bulwark runs
 * (SQLite's online backup from a connection of its own, on the same volume) or after it stopped, and writes wherever
 * the operator points it — another volume, not the data directory it protects. In Kubernetes it runs as
 * `kubectl exec <pod> -- bulwark backup …` or as a CronJob mounting the volume.
 */
import { resolve } from 'node:path';
import { loadConfig } from '@bulwark/config';
import { BulwarkError } from '@bulwark/schema';
import { backupDataDir, restoreDataDir, type BackupManifest } from '@bulwark/store';
import { EXIT, line, parseCommand, UsageError, usageFailed, type CliIo } from './io.js';

export const BACKUP_HELP = `Usage:
  bulwark backup --to <dir> [--data-dir <dir>] [--json]
      copy the embedded store's databases (bulwark.db, responder-jobs.db) into <dir>, a new or empty
      directory, while Bulwark runs: one consistent snapshot per database, checked and listed with its
      SHA-256 in <dir>/manifest.json
  bulwark restore --from <dir> [--data-dir <dir>] [--force] [--json]
      check a backup and put it in place; refused while any process has the data directory's databases
      open; --force replaces databases the data directory already holds

--data-dir defaults to data_dir of the configuration (BULWARK_CONFIG, BULWARK_DATA_DIR).
`;

function dataDirOf(given: string | undefined, io: CliIo): string {
  return given ?? loadConfig(io.env ?? process.env).data_dir;
}

function report(io: CliIo, json: boolean, verb: string, dir: string, manifest: BackupManifest): void {
  if (json) {
    line(io.stdout, JSON.stringify(manifest));
    return;
  }
  for (const file of manifest.files) line(io.stdout, `${verb} ${file.name} (${file.bytes} bytes, sha256 ${file.sha256.slice(0, 16)}…)`);
  line(io.stdout, `${verb === 'backed up' ? 'backup in' : 'restored from'} ${dir}`);
}

/** `argv`: the arguments after `backup` or `restore`. */
export async function backupCommand(command: 'backup' | 'restore', argv: string[], io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseCommand(argv, {
      'data-dir': { type: 'string' },
      to: { type: 'string' },
      from: { type: 'string' },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
    if (values.help) {
      io.stdout.write(BACKUP_HELP);
      return EXIT.ok;
    }
    if (positionals.length > 0) throw new UsageError(`${command} takes no arguments besides its options (got ${positionals.join(' ')})`);
    const dataDir = resolve(dataDirOf(values['data-dir'], io));
    if (command === 'backup') {
      if (!values.to) throw new UsageError('backup needs --to <dir>');
      if (values.from || values.force) throw new UsageError('--from and --force apply to restore');
      const to = resolve(values.to);
      report(io, values.json ?? false, 'backed up', to, await backupDataDir(dataDir, to));
    } else {
      if (!values.from) throw new UsageError('restore needs --from <dir>');
      if (values.to) throw new UsageError('--to applies to backup');
      const from = resolve(values.from);
      report(io, values.json ?? false, 'restored', from, restoreDataDir(from, dataDir, { replace: values.force ?? false }));
    }
    return EXIT.ok;
  } catch (err) {
    if (err instanceof UsageError) return usageFailed(io, err);
    if (err instanceof BulwarkError) {
      line(io.stderr, `bulwark ${command}: ${err.code}: ${err.message}`);
      return err.code === 'BWK_CONFIG_INVALID' ? EXIT.usage : EXIT.failed;
    }
    throw err;
  }
}
