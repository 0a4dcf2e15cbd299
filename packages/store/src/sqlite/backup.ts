/**
 * Online backup and restore of the embedded mode's data directory (README, "Operations").
 *
 * What the data directory holds, and what a backup takes:
 * - `bulwark.db`: events, the case store (alerts, incidents, runs and their journals, audit, dead-letter), tokens,
 *   the embedded bus's consumer cursors and the correlator's open windows — backed up;
 * - `responder-jobs.db`: the responders' job queue (runs to advance, alerts to act on, scheduled retries and approval
 *   deadlines) — backed up;
 * - `*-wal`, `*-shm`: SQLite's write-ahead log and its index, part of each database while it is open; the backup API
 *   reads through them, so a copy is one self-contained file with no log of its own;
 * - `initial-admin-token`: the admin secret minted at a first start, to be read once and deleted — never backed up (a
 *   secret in a backup is a second copy to protect; the token itself is in `bulwark.db` and keeps working).
 *
 * Each database is copied with SQLite's online backup API (better-sqlite3's `db.backup()`) from a connection of its
 * own, while Bulwark keeps writing: in WAL mode writers never wait for the copy. The copy is taken in one step, so
 * it is one consistent snapshot (a step-by-step copy restarts whenever another process writes between steps, and
 * under steady ingest would never end). Every copy passes `PRAGMA integrity_check` and is listed with its size and
 * SHA-256 in `manifest.json`; a restore checks all of it before it replaces anything.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';

/** The databases of a data directory, in the order they are copied (the job queue refers to runs in the store). */
export const DATA_DIR_DATABASES = ['bulwark.db', 'responder-jobs.db'] as const;
export const BACKUP_MANIFEST = 'manifest.json';

const ManifestSchema = z.strictObject({
  format: z.literal(1),
  created_at: z.string(),
  data_dir: z.string(),
  files: z.array(z.strictObject({ name: z.enum(DATA_DIR_DATABASES), bytes: z.number().int().nonnegative(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })),
});
export type BackupManifest = z.infer<typeof ManifestSchema>;

/** Pages per backup step: all of them, so the copy is one read transaction (see the module comment). */
const ALL_PAGES = 0x7fffffff;
/** A process holding a database stays on its lock; a backup or restore waits this long for a moment between writes. */
const BUSY_TIMEOUT_MS = 10_000;

function sha256Of(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/**
 * The copy keeps the source's WAL flag, so opening it would create `-wal` and `-shm` files beside it: switched to a
 * rollback journal it is one file that reads without writing anything. Bulwark switches it back to WAL when it opens
 * the restored file.
 */
function standalone(path: string): void {
  const db = new Database(path, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
  } finally {
    db.close();
  }
}

function integrityProblem(path: string): string | null {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const rows = db.pragma('integrity_check') as Array<{ integrity_check: string }>;
    const problems = rows.map((r) => r.integrity_check).filter((r) => r !== 'ok');
    return problems.length > 0 ? problems.slice(0, 5).join('; ') : null;
  } finally {
    db.close();
  }
}

/**
 * Copies every database of `dataDir` into the new or empty directory `toDir` while Bulwark may be running; returns
 * the manifest written beside them. A database the data directory does not have (no responder ran yet) is skipped.
 */
export async function backupDataDir(dataDir: string, toDir: string): Promise<BackupManifest> {
  const from = resolve(dataDir);
  if (!existsSync(join(from, 'bulwark.db'))) {
    throw new BulwarkError('BWK_CONFIG_INVALID', `no embedded store at ${join(from, 'bulwark.db')}: is ${from} a data directory?`, { field: 'data_dir', path: from });
  }
  if (existsSync(toDir) && readdirSync(toDir).length > 0) {
    throw new BulwarkError('BWK_CONFLICT', `${toDir} is not empty: a backup goes into a new or empty directory`, { id: toDir });
  }
  mkdirSync(toDir, { recursive: true });
  const files: BackupManifest['files'] = [];
  for (const name of DATA_DIR_DATABASES) {
    const source = join(from, name);
    if (!existsSync(source)) continue;
    const target = join(toDir, name);
    const db = new Database(source, { fileMustExist: true, timeout: BUSY_TIMEOUT_MS });
    try {
      await db.backup(target, { progress: () => ALL_PAGES });
    } finally {
      db.close();
    }
    standalone(target);
    const problem = integrityProblem(target);
    if (problem) throw new BulwarkError('BWK_BACKUP_INVALID', `the copy of ${name} fails SQLite's integrity check: ${problem}`, { dir: toDir, file: name, reason: problem });
    files.push({ name, bytes: statSync(target).size, sha256: sha256Of(target) });
  }
  const manifest: BackupManifest = { format: 1, created_at: new Date().toISOString(), data_dir: from, files };
  writeFileSync(join(toDir, BACKUP_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return manifest;
}

/** Reads and checks a backup: the manifest, each file's size and SHA-256, SQLite's integrity check. */
export function verifyBackup(dir: string): BackupManifest {
  const invalid = (reason: string, file?: string) => new BulwarkError('BWK_BACKUP_INVALID', `${dir}: ${reason}`, { dir, reason, ...(file ? { file } : {}) });
  const manifestPath = join(dir, BACKUP_MANIFEST);
  if (!existsSync(manifestPath)) throw invalid(`no ${BACKUP_MANIFEST}: not a Bulwark backup, or one that did not finish`);
  let parsed;
  try {
    parsed = ManifestSchema.safeParse(JSON.parse(readFileSync(manifestPath, 'utf8')));
  } catch (err) {
    throw invalid(`${BACKUP_MANIFEST} is not JSON: ${(err as Error).message}`);
  }
  if (!parsed.success) throw invalid(`${BACKUP_MANIFEST}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const manifest = parsed.data;
  if (!manifest.files.some((f) => f.name === 'bulwark.db')) throw invalid('the backup has no bulwark.db');
  for (const file of manifest.files) {
    const path = join(dir, file.name);
    if (!existsSync(path)) throw invalid(`${file.name} is missing`, file.name);
    if (statSync(path).size !== file.bytes || sha256Of(path) !== file.sha256) throw invalid(`${file.name} differs from the manifest`, file.name);
    const problem = integrityProblem(path);
    if (problem) throw invalid(`${file.name} fails SQLite's integrity check: ${problem}`, file.name);
  }
  return manifest;
}

/**
 * True when a process has `path` open. Every connection to a WAL database holds a shared lock on it for as long as it
 * is open, so an exclusive lock is granted only when nobody uses it: a running Bulwark, its correlator thread, a
 * `bulwark` command reading it — on this machine or another one sharing the volume.
 */
export function databaseInUse(path: string): boolean {
  if (!existsSync(path)) return false;
  const db = new Database(path, { fileMustExist: true, timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('BEGIN EXCLUSIVE');
    db.exec('COMMIT');
    return false;
  } catch (err) {
    if ((err as { code?: string }).code === 'SQLITE_BUSY') return true;
    throw err;
  } finally {
    db.close();
  }
}

/**
 * Puts a verified backup in place in `dataDir`. Refuses while any process holds one of its databases, and refuses to
 * replace existing databases unless `replace` is set. The WAL and index files of replaced databases are removed:
 * applied to the restored file, an old log would corrupt it.
 */
export function restoreDataDir(fromDir: string, dataDir: string, options: { replace?: boolean } = {}): BackupManifest {
  const manifest = verifyBackup(fromDir);
  mkdirSync(dataDir, { recursive: true });
  for (const name of DATA_DIR_DATABASES) {
    const path = join(dataDir, name);
    if (databaseInUse(path)) {
      throw new BulwarkError('BWK_DATA_DIR_IN_USE', `${path} is open in a running process: stop every Bulwark process using ${dataDir} first`, { data_dir: dataDir, file: name });
    }
  }
  const existing = DATA_DIR_DATABASES.filter((name) => existsSync(join(dataDir, name)));
  if (existing.length > 0 && !options.replace) {
    throw new BulwarkError('BWK_CONFLICT', `${dataDir} already holds ${existing.join(' and ')}; pass --force to replace them with the backup`, { id: dataDir });
  }
  for (const name of DATA_DIR_DATABASES) {
    const path = join(dataDir, name);
    // A database the backup lacks is removed too: the restored state is the backup's, whole.
    for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
    if (!manifest.files.some((f) => f.name === name)) continue;
    // Copied beside the target, then renamed: a restore cut short never leaves half a database under the real name.
    copyFileSync(join(fromDir, name), `${path}.restoring`);
    renameSync(`${path}.restoring`, path);
  }
  return manifest;
}
