/**
 * The embedded LogStore: SQLite through better-sqlite3, one file, no external service. better-sqlite3 is synchronous,
 * so reads run in the calling tick and return a settled promise; appends run there too (`writer: 'inline'`) or on a
 * writer thread (`writer: 'thread'`) so that inserting overlaps with the caller's parsing. Batches are short
 * transactions. SEARCH.md has the query semantics, the SQL they become and the measured insert rates.
 */
import type Database from 'better-sqlite3';
import { BulwarkError, type Event } from '@bulwark/schema';
import type {
  AppendResult,
  AroundRequest,
  AroundResult,
  HistogramRequest,
  HistogramResult,
  LogStore,
  SearchRequest,
  SearchResult,
  TopValuesRequest,
  TopValuesResult,
} from '../port.js';
import { createRowInserter, type RowInserter } from './insert.js';
import { decodeCursor, encodeCursor, eventToRow, searchFingerprint, type EventRow } from './rows.js';
import { migrate, openDatabase, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from './schema.js';
import { queryToSql } from './translate.js';
import { WorkerRowWriter } from './worker-writer.js';
import { planHistogram, validDate, zeroFilled, type HistogramPlan } from '../histogram.js';
import { checkSearchRequest } from '../paging-request.js';
import { topValuesBySearch } from '../top-values.js';
import { aroundBySearch } from '../around.js';

export interface SqliteLogStoreOptions extends SqliteOpenOptions {
  /**
   * Where `append` runs its inserts. `inline` (default): on the calling thread, simplest. `thread`: on a dedicated
   * writer thread with its own connection, so inserting overlaps with the caller's parsing; use it for the collector
   * under load (file databases only: a `:memory:` database is private to one connection).
   */
  writer?: 'inline' | 'thread';
}

/** Largest page `search` serves, and most buckets `histogram` fills. */
const STATEMENT_CACHE_SIZE = 200;

type Statement = Database.Statement<unknown[], unknown>;

export class SqliteLogStore implements LogStore {
  private db: SqliteDatabase | null = null;
  private selectById!: Statement;
  private insertInline!: RowInserter;
  private thread: WorkerRowWriter | null = null;
  /** Search and histogram SQL differs per query shape; prepared statements are reused by SQL text. */
  private readonly statements = new Map<string, Statement>();

  constructor(private readonly options: SqliteLogStoreOptions) {}

  private opening: Promise<void> | null = null;

  /** Open the file (creating it), apply pragmas and migrations, prepare the hot statements. Idempotent. */
  async init(): Promise<void> {
    if (this.db?.open) return;
    this.opening ??= this.openStore().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async openStore(): Promise<void> {
    const db = openDatabase(this.options);
    try {
      migrate(db);
    } catch (err) {
      db.close();
      throw err;
    }
    this.statements.clear();
    this.selectById = db.prepare('SELECT doc FROM events WHERE id = ?').pluck();
    this.insertInline = createRowInserter(db);
    if (this.options.writer === 'thread') {
      if (this.options.path === ':memory:' || this.options.path === '') {
        db.close();
        throw new BulwarkError('BWK_CONFIG_INVALID', "the SQLite writer thread needs a database file, not ':memory:'");
      }
      try {
        this.thread = await WorkerRowWriter.start(this.options);
      } catch (err) {
        db.close();
        throw err;
      }
    }
    this.db = db;
  }

  /**
   * The open connection, for sharing with `SqliteTokenStore({ db })` and for benchmarks. Do not write to `events`
   * or `events_fts` through it: the two must stay in step.
   */
  get database(): SqliteDatabase {
    return this.open();
  }

  /** Serialise each event once (`eventToRow`), then insert the batch atomically on the configured writer. */
  async append(events: Event[]): Promise<AppendResult> {
    this.open();
    const rows = events.map((event, index) => eventToRow(event, index));
    if (this.thread && rows.length > 0) return this.thread.write(rows);
    return this.appendRows(rows);
  }

  /** Rows serialised elsewhere (a decode thread), inserted atomically on the configured writer. */
  async appendSerialized(rows: EventRow[]): Promise<AppendResult> {
    this.open();
    if (this.thread && rows.length > 0) return this.thread.write(rows);
    return this.appendRows(rows);
  }

  /**
   * Insert prebuilt rows in one IMMEDIATE transaction on this thread's connection, with the same statements as
   * `append`: the whole database side of an append and none of the event work. The ingest benchmark times this on
   * rows built beforehand (`eventToRow`) as its "raw better-sqlite3 insert of the same rows" baseline.
   */
  appendRows(rows: readonly EventRow[]): AppendResult {
    this.open();
    try {
      return this.insertInline(rows);
    } catch (err) {
      throw toStoreError(err);
    }
  }

  async get(id: string): Promise<Event | null> {
    this.open();
    const doc = this.run(() => this.selectById.get(id)) as string | undefined;
    return doc === undefined ? null : (JSON.parse(doc) as Event);
  }

  /** Keyset pagination on `(ts, seq)`: stable under concurrent appends, no OFFSET scans. */
  async search(req: SearchRequest): Promise<SearchResult> {
    this.open();
    const { size, sort } = checkSearchRequest(req);
    const fingerprint = searchFingerprint(req.query, sort);
    const where = queryToSql(req.query);
    const conditions: string[] = [];
    const params: unknown[] = [];
    addTimeRange(conditions, params, req.from, req.to);
    if (req.cursor !== undefined && req.cursor !== null && req.cursor !== '') {
      const after = decodeCursor(req.cursor, fingerprint);
      conditions.push(sort === 'desc' ? '(e.ts, e.seq) < (?, ?)' : '(e.ts, e.seq) > (?, ?)');
      params.push(after.ts, after.seq);
    }
    conditions.push(where.sql);
    params.push(...where.params, size + 1);
    const direction = sort === 'desc' ? 'DESC' : 'ASC';
    const sql =
      `SELECT e.seq AS seq, e.ts AS ts, e.doc AS doc FROM events e WHERE ${conditions.join(' AND ')} ` +
      `ORDER BY e.ts ${direction}, e.seq ${direction} LIMIT ?`;
    const rows = this.run(() => this.statement(sql).all(...params)) as { seq: number; ts: number; doc: string }[];
    const page = rows.length > size ? rows.slice(0, size) : rows;
    const last = page[page.length - 1];
    return {
      hits: page.map((row) => JSON.parse(row.doc) as Event),
      cursor: rows.length > size && last ? encodeCursor({ ts: last.ts, seq: last.seq }, fingerprint) : null,
    };
  }

  /**
   * Counts per bucket of `intervalMs`, buckets starting at epoch multiples, from the one holding `from` to the one
   * holding the last instant before `to`; only events in `[from, to)` are counted, so the edge buckets may be partial.
   */
  async histogram(req: HistogramRequest): Promise<HistogramResult> {
    this.open();
    let plan: HistogramPlan;
    const { interval, from, to } = (plan = planHistogram(req));
    const where = queryToSql(req.query);
    const sql =
      'SELECT e.ts - (((e.ts % ?) + ?) % ?) AS bucket, count(*) AS n FROM events e ' +
      `WHERE e.ts >= ? AND e.ts < ? AND ${where.sql} GROUP BY bucket`;
    const params = [interval, interval, interval, from, to, ...where.params];
    const rows = this.run(() => this.statement(sql).all(...params)) as { bucket: number; n: number }[];
    return zeroFilled(plan, new Map(rows.map((row) => [Number(row.bucket), row.n])));
  }

  /** Every match read through `search` and counted in memory (`top-values.ts`): this store has no aggregations. */
  async topValues(req: TopValuesRequest): Promise<TopValuesResult> {
    this.open();
    return topValuesBySearch(this, req);
  }

  async around(req: AroundRequest): Promise<AroundResult> {
    this.open();
    return aroundBySearch(this, req);
  }

  async ping(): Promise<boolean> {
    try {
      return this.db?.open === true && this.db.prepare('SELECT 1').pluck().get() === 1;
    } catch {
      return false;
    }
  }

  /**
   * Close the connection (after queued appends on the writer thread are committed); idempotent. Any later call
   * fails with BWK_STORE_UNAVAILABLE until `init()` again.
   */
  async close(): Promise<void> {
    const thread = this.thread;
    this.thread = null;
    if (thread) await thread.close();
    if (this.db?.open) this.db.close();
    this.statements.clear();
  }

  private open(): SqliteDatabase {
    if (!this.db?.open) throw new BulwarkError('BWK_STORE_UNAVAILABLE', 'the SQLite log store is not open; call init()');
    return this.db;
  }

  private statement(sql: string): Statement {
    let stmt = this.statements.get(sql);
    if (stmt) {
      this.statements.delete(sql); // re-insert: the Map's order is our least-recently-used order
    } else {
      stmt = this.open().prepare(sql);
      if (this.statements.size >= STATEMENT_CACHE_SIZE) {
        const oldest = this.statements.keys().next().value;
        if (oldest !== undefined) this.statements.delete(oldest);
      }
    }
    this.statements.set(sql, stmt);
    return stmt;
  }

  private run<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw toStoreError(err);
    }
  }
}

function addTimeRange(conditions: string[], params: unknown[], from?: Date, to?: Date): void {
  if (from !== undefined && from !== null) {
    conditions.push('e.ts >= ?');
    params.push(validDate(from, 'from'));
  }
  if (to !== undefined && to !== null) {
    conditions.push('e.ts < ?');
    params.push(validDate(to, 'to'));
  }
}


