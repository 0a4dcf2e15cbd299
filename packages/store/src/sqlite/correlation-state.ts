/**
 * The SQLite adapter of detection's correlation state port (`CorrelationState`, embedded mode): window state that survives a restart, in its
 * own table of the embedded database file (`data_dir/bulwark.db`), on its own connection.
 *
 * The correlator reads and writes state for every matched event, so `read`/`write` work on an in-memory overlay —
 * as fast as `InMemoryCorrelationState` — and remember which keys changed. `flush()` writes the changed keys in one
 * transaction; the correlator calls it once per batch, after the batch's alerts are recorded and before the bus
 * batch is acknowledged. Writes not flushed are lost on a crash or `close()` by design: the bus redelivers the
 * unacknowledged batch, the engine rebuilds the same state from it and the match ids are deterministic. Flushing
 * state *ahead* of the alerts would be the bug: the redelivered events would then be duplicates and their alerts lost.
 *
 * At open, live entries are loaded (expired rows deleted). Versions come from one counter persisted with every
 * flush, so they never repeat for a key across restarts (no ABA). Expiry is by wall clock, stored as an absolute time.
 *
 * One process owns the table at a time: opening it takes ownership (a token in the meta table) and a flush by an
 * earlier owner fails instead of overwriting the newer one's windows. Several correlators sharing state need Redis.
 */
import { BulwarkError } from '@bulwark/schema';
import { randomUUID } from 'node:crypto';
import Database from 'better-sqlite3';
import type { CorrelationState, VersionedWindow, WindowState } from '@bulwark/detection';

export interface SqliteCorrelationStateOptions {
  /** Table holding one row per window key; `<table>_meta` holds the version counter and owner. Default `correlation_state`. */
  table?: string;
  /** `synchronous` pragma: NORMAL (default; in WAL mode a commit survives a process crash, and a power loss can only
   * drop the WAL's tail, which holds the bus acknowledgement after it too) or FULL (an fsync per flush). */
  synchronous?: 'NORMAL' | 'FULL';
  /** Milliseconds a flush waits for another connection's write lock (default 5000). */
  busyTimeoutMs?: number;
  /** Expired keys are swept from memory and the table at most this often, at a flush (default 10 s). */
  sweepIntervalMs?: number;
  /** Wall clock for expiry; injectable for tests. */
  now?: () => number;
}

interface Item {
  state: WindowState;
  version: number;
  expiresAt: number;
}

const TABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The embedded log store's page size (./schema.ts); a new file takes it only before WAL. */
const STORE_PAGE_SIZE = 16384;

export class SqliteCorrelationState implements CorrelationState {
  readonly table: string;
  private readonly db: Database.Database;
  private readonly items = new Map<string, Item>();
  /** Keys changed (written, deleted or expired) since the last flush. */
  private readonly dirty = new Set<string>();
  private readonly owner = randomUUID();
  private readonly now: () => number;
  private readonly sweepIntervalMs: number;
  private lastVersion = 0;
  private flushedVersion = 0;
  private lastSweep: number;
  private readonly statements: {
    upsert: Database.Statement<[string, number, number, string]>;
    remove: Database.Statement<[string]>;
    setMeta: Database.Statement<[string, string | number]>;
    getOwner: Database.Statement<[], { value: string } | undefined>;
  };

  /** Opens (creating if needed) `path` and the table, and loads every live window. */
  constructor(path: string, options: SqliteCorrelationStateOptions = {}) {
    this.table = options.table ?? 'correlation_state';
    if (!TABLE_NAME.test(this.table)) throw new RangeError(`table name '${this.table}' is not a plain SQL identifier`);
    this.now = options.now ?? Date.now;
    this.sweepIntervalMs = options.sweepIntervalMs ?? 10_000;
    this.db = new Database(path);
    try {
      if (this.db.pragma('page_count', { simple: true }) === 0) this.db.pragma(`page_size = ${STORE_PAGE_SIZE}`);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'FULL' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
      const t = this.table;
      this.db.exec(`CREATE TABLE IF NOT EXISTS ${t} (key TEXT PRIMARY KEY, version INTEGER NOT NULL, expires_at INTEGER NOT NULL, state TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS ${t}_meta (name TEXT PRIMARY KEY, value NOT NULL);`);
      this.statements = {
        upsert: this.db.prepare(`INSERT INTO ${t} (key, version, expires_at, state) VALUES (?, ?, ?, ?)
          ON CONFLICT (key) DO UPDATE SET version = excluded.version, expires_at = excluded.expires_at, state = excluded.state`),
        remove: this.db.prepare(`DELETE FROM ${t} WHERE key = ?`),
        setMeta: this.db.prepare(`INSERT INTO ${t}_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value`),
        getOwner: this.db.prepare(`SELECT value FROM ${t}_meta WHERE name = 'owner'`),
      };
      this.db.transaction(() => this.load())();
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.lastSweep = this.now();
  }

  async read(key: string): Promise<VersionedWindow | undefined> {
    const item = this.live(key);
    return item && { state: item.state, version: item.version };
  }

  async write(key: string, state: WindowState | undefined, expectedVersion: number, ttlMs: number): Promise<boolean> {
    const current = this.live(key)?.version ?? 0;
    if (current !== expectedVersion) return false;
    if (state === undefined) {
      if (this.items.delete(key)) this.dirty.add(key);
    } else {
      this.items.set(key, { state, version: ++this.lastVersion, expiresAt: this.now() + ttlMs });
      this.dirty.add(key);
    }
    return true;
  }

  /**
   * Writes every key changed since the last flush (and the version counter) in one transaction; returns how many
   * keys it wrote or deleted. Call it after the batch's alerts are recorded and before acknowledging the batch.
   * Throws if another process has opened the table since (this instance's windows are stale then).
   */
  flush(): number {
    if (this.now() - this.lastSweep >= this.sweepIntervalMs) this.sweep();
    if (this.dirty.size === 0 && this.lastVersion === this.flushedVersion) return 0;
    const keys = [...this.dirty];
    this.db.transaction(() => {
      const owner = this.statements.getOwner.get()?.value;
      if (owner !== this.owner) throw new BulwarkError('BWK_CONFLICT', `correlation state table ${this.table} was opened by another process; this instance must not flush`, { table: this.table });
      for (const key of keys) {
        const item = this.items.get(key);
        if (item) this.statements.upsert.run(key, item.version, item.expiresAt, JSON.stringify(item.state));
        else this.statements.remove.run(key);
      }
      this.statements.setMeta.run('last_version', this.lastVersion);
    })();
    this.dirty.clear();
    this.flushedVersion = this.lastVersion;
    return keys.length;
  }

  /** Keys changed since the last flush. */
  get pending(): number {
    return this.dirty.size;
  }

  /** Keys currently held (expired ones dropped first). */
  get size(): number {
    this.sweep();
    return this.items.size;
  }

  /** Drops expired keys from memory; the next flush deletes their rows. Reads do this lazily per key anyway. */
  sweep(): void {
    for (const key of [...this.items.keys()]) this.live(key);
    this.lastSweep = this.now();
  }

  /** Closes the connection. Does not flush: writes since the last `flush()` are discarded (see the module comment). */
  close(): void {
    this.db.close();
  }

  private load(): void {
    const now = this.now();
    this.db.prepare(`DELETE FROM ${this.table} WHERE expires_at <= ?`).run(now);
    const meta = this.db.prepare(`SELECT value FROM ${this.table}_meta WHERE name = 'last_version'`).get() as { value: number } | undefined;
    this.lastVersion = meta?.value ?? 0;
    const rows = this.db.prepare(`SELECT key, version, expires_at AS expiresAt, state FROM ${this.table}`).all() as
      { key: string; version: number; expiresAt: number; state: string }[];
    for (const row of rows) {
      this.items.set(row.key, { state: JSON.parse(row.state) as WindowState, version: row.version, expiresAt: row.expiresAt });
      this.lastVersion = Math.max(this.lastVersion, row.version);
    }
    this.flushedVersion = this.lastVersion;
    this.statements.setMeta.run('owner', this.owner);
  }

  private live(key: string): Item | undefined {
    const item = this.items.get(key);
    if (item && item.expiresAt <= this.now()) {
      this.items.delete(key);
      this.dirty.add(key);
      return undefined;
    }
    return item;
  }
}
