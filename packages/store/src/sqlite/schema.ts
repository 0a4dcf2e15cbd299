/**
 * The embedded store's SQLite file: how it is opened (pragmas) and its schema, versioned with `PRAGMA user_version`
 * and moved forward by ordered migrations. One version covers every table in the file (events, full-text index,
 * tokens), so the log store and the token store can share a file or a connection and still agree on what they see.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { BulwarkError } from '@bulwark/schema';
import { backfillKeysSql } from './indexed-fields.js';

export type SqliteDatabase = Database.Database;

export interface SqliteOpenOptions {
  /** A file path (its directory is created if missing), or `':memory:'` for a private in-memory database (tests). */
  path: string;
  /**
   * `FULL` (default): a commit is on disk before it returns, so an acknowledged batch survives power loss.
   * `NORMAL`: in WAL mode survives a process crash but the last commits may be lost on power loss; faster.
   */
  synchronous?: 'FULL' | 'NORMAL';
  /** How long a writer waits for another connection's lock before failing with BWK_STORE_UNAVAILABLE (ms). */
  busyTimeoutMs?: number;
}

/**
 * Migration `i` moves the file from version `i` to `i + 1`. Never edit a released migration: append a new one.
 *
 * v1 decisions (see SEARCH.md, "How the SQLite store runs a query"):
 * - `events.seq` is the arrival order (rowid): it breaks ties between equal timestamps and is the full-text key.
 *   Not AUTOINCREMENT: rowids are only reused after deleting the newest rows, which retention never does.
 * - `ts` is `@timestamp` in epoch ms; `(ts, seq)` serves time ranges, sorting and keyset pagination in one index.
 * - `dataset` is `event.dataset`, the most common filter, indexed with time.
 * - `events_fts` indexes `message` only. Contentless (the text already lives in `doc`), with `contentless_delete`
 *   so retention can delete rows. Tokenizer `unicode61 remove_diacritics 2` (case- and accent-insensitive) with its
 *   default separators: `10.0.0.1`, `/api/v1/pods` and `web-1` are split into tokens, and every user text is
 *   searched as a phrase of the same tokens, so such values still match exactly as a sequence while single path
 *   segments (`pods`) match too.
 * - Other fields are read from `doc` with JSON functions: no per-field columns, because indexing five hot fields
 *   as generated columns cost about 40% of the insert rate when measured (see the store's report in SEARCH.md).
 */
const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE events (
    seq     INTEGER PRIMARY KEY,
    id      TEXT NOT NULL UNIQUE,
    ts      INTEGER NOT NULL,
    dataset TEXT,
    doc     TEXT NOT NULL
  ) STRICT;
  CREATE INDEX events_ts_seq ON events (ts, seq);
  CREATE INDEX events_dataset_ts ON events (dataset, ts);
  CREATE VIRTUAL TABLE events_fts USING fts5 (
    message,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 2'
  );
  CREATE TABLE tokens (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    scopes     TEXT NOT NULL,
    hash       TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  ) STRICT;
  `,
  // v2: a token's `sources` restriction (docs/ARCHITECTURE.md, "Tokens and sources"),
  // JSON text of a list of source kinds; NULL is unrestricted.
  `
  ALTER TABLE tokens ADD COLUMN sources TEXT;
  `,
  // v3: the client certificate identity a token stands for (mTLS), JSON text of the binding; NULL: none.
  `
  ALTER TABLE tokens ADD COLUMN client_cert TEXT;
  `,
  // v4: a console session's parent token and expiry, JSON text; NULL: a token, not a session.
  `
  ALTER TABLE tokens ADD COLUMN session TEXT;
  `,
  // v5: `event_keys`, the values of the entity fields an investigator filters by one rare value (indexed-fields.ts),
  // one row per value and event, written with the event; filled here for the events already stored.
  `
  CREATE TABLE event_keys (
    field INTEGER NOT NULL,
    value TEXT NOT NULL,
    seq   INTEGER NOT NULL,
    PRIMARY KEY (field, value, seq)
  ) STRICT, WITHOUT ROWID;
  ${backfillKeysSql()}
  `,
  // v6: the block store (blocks/catalog.ts, docs/ARCHITECTURE.md, "The embedded log store"). Events live in column
  // blocks from here on; `blocks/legacy.ts` moves the rows of `events` into blocks and drops the v1–v5 event tables.
  `
  CREATE TABLE blocks (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    stream  TEXT NOT NULL,
    rows    INTEGER NOT NULL,
    min_ts  INTEGER NOT NULL,
    max_ts  INTEGER NOT NULL,
    min_seq INTEGER NOT NULL,
    max_seq INTEGER NOT NULL,
    bytes   INTEGER NOT NULL,
    schema  TEXT NOT NULL,
    ts      BLOB NOT NULL,
    seqs    BLOB NOT NULL
  ) STRICT;
  CREATE INDEX blocks_max_ts ON blocks (max_ts);
  CREATE INDEX blocks_min_ts ON blocks (min_ts);
  CREATE INDEX blocks_min_seq ON blocks (min_seq);
  CREATE TABLE block_columns (
    block INTEGER NOT NULL,
    col   INTEGER NOT NULL,
    data  BLOB NOT NULL,
    PRIMARY KEY (block, col)
  ) STRICT;
  CREATE TABLE block_filters (
    block INTEGER PRIMARY KEY,
    bits  BLOB NOT NULL
  ) STRICT;
  CREATE TABLE block_fields (
    id   INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
  ) STRICT;
  CREATE TABLE event_ids (
    key   INTEGER NOT NULL,
    block INTEGER NOT NULL,
    PRIMARY KEY (key, block)
  ) STRICT, WITHOUT ROWID;
  CREATE TABLE store_state (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
  ) STRICT;
  INSERT INTO store_state (name, value) VALUES ('next_seq', coalesce((SELECT max(seq) FROM events), 0) + 1);
  `,
  // v7: the event-id set in two levels (blocks/id-index.ts): `event_ids` holds the keys of blocks up to this mark,
  // newer blocks' keys are merged into it in bulk. Every block written so far has its keys in `event_ids`.
  `
  INSERT INTO store_state (name, value) VALUES ('keys_merged_upto', coalesce((SELECT max(id) FROM blocks), 0));
  `,
  // v8: the merged event-id keys in tiers (blocks/id-tiers.ts): `event_ids` is the first; each tier's key count is kept
  // beside it so deciding to move a tier costs no count over a big table.
  `
  CREATE TABLE event_ids_2 (key INTEGER NOT NULL, block INTEGER NOT NULL, PRIMARY KEY (key, block)) STRICT, WITHOUT ROWID;
  CREATE TABLE event_ids_3 (key INTEGER NOT NULL, block INTEGER NOT NULL, PRIMARY KEY (key, block)) STRICT, WITHOUT ROWID;
  CREATE TABLE event_ids_4 (key INTEGER NOT NULL, block INTEGER NOT NULL, PRIMARY KEY (key, block)) STRICT, WITHOUT ROWID;
  INSERT INTO store_state (name, value) VALUES
    ('id_keys_1', (SELECT count(*) FROM event_ids)), ('id_keys_2', 0), ('id_keys_3', 0), ('id_keys_4', 0);
  `,
  // v9: keys of dropped blocks stay in their tiers, stale, until a move or a sweep takes them out (blocks/id-tiers.ts);
  // this counts them. Every key so far belongs to a stored block (they were deleted with their blocks).
  `
  INSERT INTO store_state (name, value) VALUES ('id_keys_stale', 0);
  `,
  // v10: a block's column may be stored as 128-bit hex ids in bytes (blocks/codec.ts, `packHexIds`), which an older
  // Bulwark would take for compressed text, so such a Bulwark must refuse the file. And the bus finds the blocks after
  // its position by their last arrival number (blocks/outbox.ts): by the first, it walked every block of the last
  // million numbers on each read.
  `
  CREATE INDEX blocks_max_seq ON blocks (max_seq);
  `,
];

/** The schema version this code writes and reads. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/**
 * Open a connection with the pragmas the store relies on: WAL (readers never block the writer), the chosen
 * `synchronous`, a busy timeout, 4 KiB pages and a 64 MiB page cache.
 */
export function openDatabase(options: SqliteOpenOptions): SqliteDatabase {
  let db: SqliteDatabase;
  try {
    if (options.path !== ':memory:' && options.path !== '') mkdirSync(dirname(options.path), { recursive: true });
    db = new Database(options.path);
  } catch (err) {
    throw storeUnavailable(err, `cannot open the SQLite database at ${options.path}`);
  }
  try {
    // Only takes effect on a new file, and must precede WAL. 4 KiB: a block's columns and filter are blobs that spill
    // into overflow pages, and the last page of each is on average half empty; measured on stored events, 16 KiB
    // pages cost 20% more disk per event than 4 KiB ones, at the same append rate.
    db.pragma('page_size = 4096');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${options.synchronous === 'NORMAL' ? 'NORMAL' : 'FULL'}`);
    db.pragma(`busy_timeout = ${Math.max(0, Math.trunc(options.busyTimeoutMs ?? 5000))}`);
    db.pragma('cache_size = -65536');
  } catch (err) {
    db.close();
    throw storeUnavailable(err, `cannot configure the SQLite database at ${options.path}`);
  }
  return db;
}

/** The file's schema version (0 for a new file). */
export function schemaVersion(db: SqliteDatabase): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Bring the file to {@link SCHEMA_VERSION} (`target`: an earlier version, for tests building a file as an older Bulwark
 * wrote it). Idempotent, and safe when several processes start together: the version is read again inside an
 * IMMEDIATE (write-locked) transaction. A file written by a newer Bulwark is refused rather than misread.
 */
export function migrate(db: SqliteDatabase, target = SCHEMA_VERSION): void {
  const run = db.transaction(() => {
    const current = schemaVersion(db);
    if (current > SCHEMA_VERSION) {
      throw new BulwarkError(
        'BWK_STORE_UNAVAILABLE',
        `the database schema version ${current} is newer than this Bulwark supports (${SCHEMA_VERSION}); upgrade Bulwark`,
        { schemaVersion: current, supported: SCHEMA_VERSION },
      );
    }
    for (let version = current; version < target; version++) db.exec(MIGRATIONS[version]!);
    if (current < target) db.pragma(`user_version = ${target}`);
  });
  if (schemaVersion(db) >= target && schemaVersion(db) <= SCHEMA_VERSION) return;
  try {
    run.immediate();
  } catch (err) {
    throw toStoreError(err);
  }
}

const UNAVAILABLE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|CORRUPT|NOTADB)/;

/**
 * Errors the caller can do nothing about but retry or page an operator become `BWK_STORE_UNAVAILABLE` (503); our
 * own BulwarkErrors pass through; anything else is a bug and is rethrown unchanged.
 */
export function toStoreError(err: unknown): unknown {
  if (err instanceof BulwarkError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.test(code)) return storeUnavailable(err, 'the SQLite store failed');
  if (err instanceof TypeError && /database connection is not open/.test(err.message)) {
    return new BulwarkError('BWK_STORE_UNAVAILABLE', 'the SQLite store is closed');
  }
  return err;
}

function storeUnavailable(err: unknown, what: string): BulwarkError {
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as { code?: unknown } | null)?.code;
  return new BulwarkError('BWK_STORE_UNAVAILABLE', `${what}: ${message}`, typeof code === 'string' ? { sqliteCode: code } : {});
}
