/**
 * The embedded CaseStore: alerts, incidents, runs and the audit trail in one SQLite table, `case_records`, keyed by
 * (collection, id), the record kept whole as JSON in `doc`. Filters and sorts read `doc` with SQLite's JSON functions
 * rather than per-field columns: the record shapes belong to the detection and playbook code and will change.
 * Filters on the fields declared in case-index.ts read a side table kept by triggers (an alert storm filters several
 * times per alert, and a scan of the collection made it quadratic); other filters scan the collection (measured
 * ~10 ms at 10,000 records, ~90 ms at 100,000). A guarded update takes ~65 µs.
 *
 * Versions come from one counter shared by all records (`case_schema.last_version`), bumped in the same transaction
 * as each write: a record deleted and created again never reuses a version a stale reader may still hold.
 *
 * The tables have their own schema version (`case_schema`), so they can share a file with the LogStore without
 * touching its `user_version` migrations. Triggers refuse UPDATE and DELETE of audit rows even to raw SQL.
 */
import type Database from 'better-sqlite3';
import { BulwarkError } from '@bulwark/schema';
import {
  assertAppendable,
  assertCaseId,
  assertCollection,
  assertCreatable,
  assertMutable,
  caseNotFound,
  checkGroupQuery,
  checkQuery,
  conflictOnCreate,
  encodeCaseCursor,
  conflictOnVersion,
  recordJson,
  updateJson,
  type CaseCollection,
  type CaseGroup,
  type CaseGroupQuery,
  type CasePage,
  type CaseQuery,
  type CaseRecord,
  type CaseStore,
  type CreateOptions,
  type CreateResult,
  type MutableCaseCollection,
  type Versioned,
} from '../case-port.js';
import { CASE_INDEX_TABLE, ensureCaseIndex } from './case-index.js';
import { groupSql } from './case-groups.js';
import { countSql, pageSql } from './case-page.js';
import { openDatabase, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from './schema.js';

export type SqliteCaseStoreOptions = SqliteOpenOptions | { db: SqliteDatabase };

/** Migration `i` moves the case tables from version `i` to `i + 1`; append, never edit. */
const CASE_MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE case_records (
    collection TEXT NOT NULL,
    id         TEXT NOT NULL,
    version    INTEGER NOT NULL,
    doc        TEXT NOT NULL,
    PRIMARY KEY (collection, id)
  ) STRICT, WITHOUT ROWID;
  CREATE TRIGGER case_audit_no_update BEFORE UPDATE ON case_records WHEN OLD.collection = 'audit'
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
  CREATE TRIGGER case_audit_no_delete BEFORE DELETE ON case_records WHEN OLD.collection = 'audit'
  BEGIN SELECT RAISE(ABORT, 'the audit trail is append-only'); END;
  INSERT INTO case_schema (key, value) VALUES ('last_version', 0);
  `,
  CASE_INDEX_TABLE,
];
export const CASE_SCHEMA_VERSION = CASE_MIGRATIONS.length;

type Statement = Database.Statement<unknown[], unknown>;
type Row = { id: string; version: number; doc: string };

export class SqliteCaseStore implements CaseStore {
  private db: SqliteDatabase | null = null;
  private readonly ownsConnection: boolean;
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly options: SqliteCaseStoreOptions) {
    this.ownsConnection = !('db' in options);
  }

  /** Open (when given a path) and bring the case tables to {@link CASE_SCHEMA_VERSION}; idempotent. */
  async init(): Promise<void> {
    if (this.db?.open) return;
    const db = 'db' in this.options ? this.options.db : openDatabase(this.options);
    try {
      migrateCaseTables(db);
    } catch (err) {
      if (this.ownsConnection) db.close();
      throw toStoreError(err);
    }
    this.statements.clear();
    this.db = db;
  }

  async create<T extends CaseRecord>(collection: MutableCaseCollection, record: T, options?: CreateOptions): Promise<CreateResult<T>> {
    assertCreatable(collection);
    return this.insert(collection, record, options);
  }

  async append<T extends CaseRecord>(collection: 'audit', record: T, options?: CreateOptions): Promise<CreateResult<T>> {
    assertAppendable(collection);
    return this.insert(collection, record, options);
  }

  async get<T extends CaseRecord = CaseRecord>(collection: CaseCollection, id: string): Promise<Versioned<T> | null> {
    assertCollection(collection);
    assertCaseId(id);
    const row = this.run(() => this.statement('SELECT id, version, doc FROM case_records WHERE collection = ? AND id = ?').get(collection, id));
    return row ? toVersioned<T>(row as Row) : null;
  }

  async update<T extends CaseRecord>(
    collection: MutableCaseCollection,
    id: string,
    record: T,
    options: { expectedVersion: string },
  ): Promise<string> {
    const doc = updateJson(collection, id, record);
    const expected = parseVersion(options.expectedVersion);
    return this.write(() => {
      const version = this.nextVersion();
      const sql = 'UPDATE case_records SET version = ?, doc = ? WHERE collection = ? AND id = ? AND version = ?';
      if (this.statement(sql).run(version, doc, collection, id, expected).changes === 1) return String(version);
      throw this.staleOrMissing(collection, id, options.expectedVersion);
    });
  }

  async delete(collection: MutableCaseCollection, id: string, options: { expectedVersion?: string } = {}): Promise<boolean> {
    assertMutable(collection, 'delete');
    return this.write(() => {
      if (options.expectedVersion === undefined) {
        return this.statement('DELETE FROM case_records WHERE collection = ? AND id = ?').run(collection, id).changes === 1;
      }
      const sql = 'DELETE FROM case_records WHERE collection = ? AND id = ? AND version = ?';
      if (this.statement(sql).run(collection, id, parseVersion(options.expectedVersion)).changes === 1) return true;
      const error = this.staleOrMissing(collection, id, options.expectedVersion);
      if (error.code === 'BWK_NOT_FOUND') return false;
      throw error;
    });
  }

  async query<T extends CaseRecord = CaseRecord>(collection: CaseCollection, query: CaseQuery): Promise<CasePage<T>> {
    assertCollection(collection);
    const checked = checkQuery(collection, query);
    const { sql, params } = pageSql(collection, checked);
    const rows = this.run(() => this.statement(sql).all(...params)) as Array<Row & { sort_value: unknown }>;
    const more = rows.length > checked.size;
    const page = more ? rows.slice(0, checked.size) : rows;
    const last = page[page.length - 1];
    const after = checked.sort.field === 'id' ? [last?.id] : [last?.sort_value ?? null, last?.id];
    return { items: page.map((row) => toVersioned<T>(row)), cursor: more ? encodeCaseCursor(checked, after) : null };
  }

  async countBy(collection: CaseCollection, field: string, filter?: CaseQuery['filter'], range?: CaseQuery['range']): Promise<Record<string, number>> {
    assertCollection(collection);
    const checked = checkQuery(collection, { size: 1, sort: { field, order: 'asc' }, ...(filter ? { filter } : {}), ...(range ? { range } : {}) });
    const { sql, params } = countSql(collection, checked, field);
    const rows = this.run(() => this.statement(sql).all(...params)) as Array<{ value: string; n: number }>;
    return Object.fromEntries(rows.map((row) => [row.value, row.n]));
  }

  async groups<T extends CaseRecord = CaseRecord>(collection: CaseCollection, group: CaseGroupQuery): Promise<CaseGroup<T>[]> {
    assertCollection(collection);
    const checked = checkGroupQuery(collection, group);
    const statements = groupSql(collection, checked, group.field, group.latest, group.countBy);
    const all = (q: { sql: string; params: unknown[] }) => this.statement(q.sql).all(...q.params);
    // One read transaction, so the counts and the latest records describe the same moment.
    return this.run(() =>
      this.open().transaction(() => {
        const rows = all(statements.groups) as Array<{ key: string; n: number }>;
        if (rows.length === 0) return [];
        const keys = rows.map((row) => row.key);
        const counts = new Map<string, Record<string, number>>(keys.map((k) => [k, {}]));
        if (statements.counts) for (const row of all(statements.counts(keys)) as Array<{ key: string; value: string; n: number }>) counts.get(row.key)![row.value] = row.n;
        const latest = new Map((all(statements.latest(keys)) as Array<{ key: string; doc: string }>).map((row) => [row.key, JSON.parse(row.doc) as T]));
        return rows.map((row) => ({ key: row.key, count: row.n, counts: counts.get(row.key)!, latest: latest.get(row.key)! }));
      })(),
    );
  }

  async ping(): Promise<boolean> {
    return this.db?.open === true && this.statement('SELECT 1 FROM case_schema LIMIT 1').pluck().get() === 1;
  }

  /** Close the connection if this store opened it; a shared connection is left to its owner. */
  async close(): Promise<void> {
    if (this.ownsConnection && this.db?.open) this.db.close();
    this.db = null;
    this.statements.clear();
  }

  private async insert<T extends CaseRecord>(collection: CaseCollection, record: T, options?: CreateOptions): Promise<CreateResult<T>> {
    const doc = recordJson(record);
    return this.write(() => {
      const version = this.nextVersion();
      const sql = 'INSERT INTO case_records (collection, id, version, doc) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING';
      if (this.statement(sql).run(collection, record.id, version, doc).changes === 1) {
        return { record: JSON.parse(doc) as T, version: String(version), created: true };
      }
      if (!options?.ifAbsent) throw conflictOnCreate(collection, record.id);
      // The write transaction is still open, so the row that blocked the insert is still there to read.
      const stored = this.statement('SELECT id, version, doc FROM case_records WHERE collection = ? AND id = ?').get(collection, record.id);
      return { ...toVersioned<T>(stored as Row), created: false };
    });
  }

  /** Inside a write transaction: the error for a guarded write that matched no row. */
  private staleOrMissing(collection: CaseCollection, id: string, expected: string): BulwarkError {
    const actual = this.statement('SELECT version FROM case_records WHERE collection = ? AND id = ?').pluck().get(collection, id);
    if (actual === undefined) return caseNotFound(collection, id);
    return conflictOnVersion(collection, id, expected, String(actual));
  }

  private nextVersion(): number {
    const sql = "UPDATE case_schema SET value = value + 1 WHERE key = 'last_version' RETURNING value";
    return this.statement(sql).pluck().get() as number;
  }

  /** One IMMEDIATE transaction: the version bump and the guarded write commit together or not at all. */
  private write<R>(work: () => R): R {
    const db = this.open();
    return this.run(() => db.transaction(work).immediate());
  }

  private run<R>(work: () => R): R {
    this.open();
    try {
      return work();
    } catch (err) {
      throw toStoreError(err);
    }
  }

  private open(): SqliteDatabase {
    if (!this.db?.open) throw new BulwarkError('BWK_STORE_UNAVAILABLE', 'the SQLite case store is not open; call init()');
    return this.db;
  }

  /** Statements are prepared once per SQL text; query shapes are few (one per filter/sort combination). */
  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= 200) this.statements.clear();
      statement = this.open().prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

/**
 * Create or move the case tables forward, in an IMMEDIATE transaction so processes starting together agree. Tables
 * of a newer Bulwark are refused rather than misread.
 */
export function migrateCaseTables(db: SqliteDatabase): void {
  db.transaction(() => {
    db.exec('CREATE TABLE IF NOT EXISTS case_schema (key TEXT PRIMARY KEY, value INTEGER NOT NULL) STRICT');
    const current = (db.prepare("SELECT value FROM case_schema WHERE key = 'schema_version'").pluck().get() as number | undefined) ?? 0;
    if (current > CASE_SCHEMA_VERSION) {
      throw new BulwarkError('BWK_STORE_UNAVAILABLE', `the case tables are version ${current}, newer than this Bulwark supports (${CASE_SCHEMA_VERSION})`, {
        schemaVersion: current,
        supported: CASE_SCHEMA_VERSION,
      });
    }
    for (let version = current; version < CASE_SCHEMA_VERSION; version++) db.exec(CASE_MIGRATIONS[version]!);
    ensureCaseIndex(db);
    db.prepare("INSERT INTO case_schema (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
      CASE_SCHEMA_VERSION,
    );
  }).immediate();
}

/** A version this store could have issued, or -1, which matches no row (so a foreign version is simply stale). */
function parseVersion(version: string): number {
  return typeof version === 'string' && /^[1-9][0-9]{0,15}$/.test(version) ? Number(version) : -1;
}

function toVersioned<T extends CaseRecord>(row: Row): Versioned<T> {
  return { record: JSON.parse(row.doc) as T, version: String(row.version) };
}
