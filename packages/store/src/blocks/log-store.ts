/**
 * The embedded LogStore (docs/ARCHITECTURE.md, "The embedded log store"): events in compressed column blocks with a
 * SQLite catalog, one file, no external service. Reads run in the calling tick (better-sqlite3 is synchronous);
 * appends run there too (`writer: 'inline'`) or on a writer thread (`writer: 'thread'`), where building and
 * compressing blocks overlaps with the caller's parsing. SEARCH.md has the query semantics.
 */
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
  SerializedEvent,
  TopValuesRequest,
  TopValuesResult,
} from '../port.js';
import { checkSearchRequest } from '../paging-request.js';
import { planHistogram, validDate, zeroFilled } from '../histogram.js';
import { decodeCursor, encodeCursor, eventToRow, searchFingerprint } from '../sqlite/rows.js';
import { migrate, openDatabase, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from '../sqlite/schema.js';
import { WorkerRowWriter } from './worker-writer.js';
import { checkAroundRequest, checkTopValuesRequest } from '../explore-request.js';
import { checkField, compile } from './compile.js';
import { histogramCounts, topValues } from './aggregate.js';
import { moveLegacyEvents } from './legacy.js';
import { compact, type CompactionPass } from './compaction.js';
import { BlockReader } from './reader.js';
import { enforceRetention, type RetentionLimits, type RetentionPass } from './retention.js';
import { scan, type Hit } from './scan.js';
import type { ColumnBatch } from './prepared.js';
import { BlockWriter, type AppendInput } from './writer.js';

export interface BlockLogStoreOptions extends SqliteOpenOptions {
  /** `inline` (default): appends on the calling thread. `thread`: on a writer thread (file databases only). */
  writer?: 'inline' | 'thread';
  /** Drop whole blocks older than this or beyond this size (checked every minute and at open). */
  retention?: RetentionLimits;
  /** Told of each retention pass that dropped something. */
  onRetention?: (pass: RetentionPass) => void;
}

const EVERYTHING = { from: -8.64e15, to: 8.64e15 };
const RETENTION_EVERY_MS = 60_000;
/** How often the inline writer merges small blocks (the writer thread does it whenever appends pause). */
const COMPACT_EVERY_MS = 10_000;

export class BlockLogStore implements LogStore {
  private db: SqliteDatabase | null = null;
  private reader!: BlockReader;
  private inline!: BlockWriter;
  private thread: WorkerRowWriter | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private compactionTimer: NodeJS.Timeout | null = null;
  private opening: Promise<void> | null = null;

  constructor(private readonly options: BlockLogStoreOptions) {}

  /** Open the file, apply migrations, move events of the old row layout into blocks. Idempotent. */
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
      this.inline = new BlockWriter(db);
      moveLegacyEvents(db, this.inline);
      this.reader = new BlockReader(db);
      if (this.options.writer === 'thread') {
        if (this.options.path === ':memory:' || this.options.path === '') {
          throw new BulwarkError('BWK_CONFIG_INVALID', "the embedded store's writer thread needs a database file, not ':memory:'");
        }
        // Only the connection settings cross to the thread (functions such as `onRetention` cannot be cloned).
        const { path, synchronous, busyTimeoutMs } = this.options;
        this.thread = await WorkerRowWriter.start({ path, ...(synchronous ? { synchronous } : {}), ...(busyTimeoutMs !== undefined ? { busyTimeoutMs } : {}) });
      }
    } catch (err) {
      db.close();
      throw toStoreError(err);
    }
    this.db = db;
    if (!this.thread) {
      this.compactionTimer = setInterval(() => this.compact(), COMPACT_EVERY_MS);
      this.compactionTimer.unref();
    }
    if (this.options.retention) {
      this.applyRetention();
      this.retentionTimer = setInterval(() => this.applyRetention(), RETENTION_EVERY_MS);
      this.retentionTimer.unref();
    }
  }

  /** The open connection, shared with the token and case stores of the same file and read by benchmarks. */
  get database(): SqliteDatabase {
    return this.open();
  }

  async append(events: Event[]): Promise<AppendResult> {
    this.open();
    return this.appendSerialized(events.map((event, index) => eventToRow(event, index)));
  }

  async appendSerialized(rows: SerializedEvent[]): Promise<AppendResult> {
    this.open();
    if (this.thread && rows.length > 0) return this.thread.write(rows);
    return this.run(() => this.appendInline(rows));
  }

  /**
   * Store a batch laid out where its events were decoded (`ColumnBatchBuilder`, prepared.ts): the collector's path,
   * which spares serialising each event to JSON and parsing it again on the writer. Same guarantees as
   * `appendSerialized`.
   */
  async appendColumns(batch: ColumnBatch): Promise<AppendResult> {
    this.open();
    if (this.thread && batch.ids.length > 0) return this.thread.write(batch);
    return this.run(() => this.appendInline(batch));
  }

  /**
   * Store prebuilt rows on this thread's connection: the whole store side of an append and none of the event work.
   * The ingest benchmark times this on rows built beforehand as its store-only baseline.
   */
  appendRows(rows: readonly SerializedEvent[]): AppendResult {
    this.open();
    return this.run(() => this.appendInline(rows));
  }

  /** An append on this thread's connection, then a merge of the pending id keys when due (`id-index.ts`). */
  private appendInline(input: AppendInput): AppendResult {
    const result = this.inline.append(input);
    this.inline.mergeKeysIfDue();
    return result;
  }

  async get(id: string): Promise<Event | null> {
    this.open();
    const found = this.run(() => this.reader.locate(id));
    return found ? (found.view.doc(found.row) as Event) : null;
  }

  /** Keyset pagination on `(@timestamp, arrival)`: stable under concurrent appends. */
  async search(req: SearchRequest): Promise<SearchResult> {
    this.open();
    const { size, sort } = checkSearchRequest(req);
    const fingerprint = searchFingerprint(req.query, sort);
    const query = compile(req.query);
    const after = req.cursor ? decodeCursor(req.cursor, fingerprint) : undefined;
    const hits = this.run(() => scan(this.reader, { query, ...rangeOf(req), order: sort, limit: size + 1, ...(after ? { after } : {}) }));
    const page = hits.length > size ? hits.slice(0, size) : hits;
    const last = page[page.length - 1];
    return {
      hits: this.docs(page),
      cursor: hits.length > size && last ? encodeCursor({ ts: last.ts, seq: last.seq }, fingerprint) : null,
    };
  }

  async histogram(req: HistogramRequest): Promise<HistogramResult> {
    this.open();
    const plan = planHistogram(req);
    const query = compile(req.query);
    return zeroFilled(plan, this.run(() => histogramCounts(this.reader, query, plan)));
  }

  async topValues(req: TopValuesRequest): Promise<TopValuesResult> {
    this.open();
    const { fields, size } = checkTopValuesRequest(req);
    const query = compile(req.query);
    const paths = fields.map((field) => ({ field, keys: checkField(field) }));
    return this.run(() => topValues(this.reader, query, rangeOf(req), paths, size));
  }

  async around(req: AroundRequest): Promise<AroundResult> {
    this.open();
    checkAroundRequest(req);
    const query = compile(req.query);
    return this.run(() => {
      const found = this.reader.locate(req.id);
      if (!found) return { anchor: null, before: [], after: [] };
      const anchor = { ts: found.view.ts()[found.row]!, seq: found.view.seqs()[found.row]! };
      const older = req.before > 0 ? scan(this.reader, { query, ...EVERYTHING, order: 'desc', after: anchor, limit: req.before }) : [];
      const newer = req.after > 0 ? scan(this.reader, { query, ...EVERYTHING, order: 'asc', after: anchor, limit: req.after }) : [];
      return { anchor: found.view.doc(found.row) as Event, before: this.docs(older.reverse()), after: this.docs(newer) };
    });
  }

  async ping(): Promise<boolean> {
    try {
      return this.db?.open === true && this.db.prepare('SELECT 1').pluck().get() === 1;
    } catch {
      return false;
    }
  }

  /** Close (after queued appends on the writer thread are committed); idempotent. */
  async close(): Promise<void> {
    if (this.retentionTimer) clearInterval(this.retentionTimer);
    if (this.compactionTimer) clearInterval(this.compactionTimer);
    this.retentionTimer = null;
    this.compactionTimer = null;
    const thread = this.thread;
    this.thread = null;
    if (thread) await thread.close();
    if (this.db?.open) this.db.close();
  }

  /**
   * Merge runs of small blocks on this connection now (the inline writer does it every 10 s, the writer thread when
   * appends pause). Null when the store is closed or busy.
   */
  compact(): CompactionPass | null {
    if (!this.db?.open) return null;
    try {
      return compact(this.db, this.inline, this.reader);
    } catch (err) {
      if (toStoreError(err) instanceof BulwarkError) return null;
      throw err;
    }
  }

  /** One retention pass now (also run every minute when limits are configured). */
  applyRetention(now = Date.now()): RetentionPass | null {
    if (!this.options.retention || !this.db?.open) return null;
    try {
      const pass = enforceRetention(this.db, this.reader, this.options.retention, now);
      if (pass.blocks > 0) this.options.onRetention?.(pass);
      return pass;
    } catch (err) {
      const mapped = toStoreError(err);
      if (mapped instanceof BulwarkError) return null; // busy or closed: the next pass tries again
      throw mapped;
    }
  }

  private docs(hits: readonly Hit[]): Event[] {
    return hits.map((hit) => hit.view.doc(hit.row) as Event);
  }

  private open(): SqliteDatabase {
    if (!this.db?.open) throw new BulwarkError('BWK_STORE_UNAVAILABLE', 'the embedded log store is not open; call init()');
    return this.db;
  }

  private run<T>(work: () => T): T {
    try {
      return work();
    } catch (err) {
      throw toStoreError(err);
    }
  }
}

function rangeOf(req: { from?: Date | undefined; to?: Date | undefined }): { from: number; to: number } {
  return {
    from: req.from !== undefined && req.from !== null ? validDate(req.from, 'from') : EVERYTHING.from,
    to: req.to !== undefined && req.to !== null ? validDate(req.to, 'to') : EVERYTHING.to,
  };
}
