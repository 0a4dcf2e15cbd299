/**
 * The scale-mode LogStore on Elasticsearch or OpenSearch: the same port, the same contract suite and the same query
 * answers as the SQLite store, with data streams per dataset (`layout.ts`), explicit mappings (`mapping.ts`), bulk
 * writes with retries and a dead-letter index (`bulk.ts`, `append.ts`), query DSL translation (`translate.ts`),
 * `search_after` pagination on a point in time (`paging.ts`) and retention (`retention.ts`).
 *
 * Read-your-writes: `_bulk` runs with `refresh=wait_for` (default), so `append` resolves once its events are
 * searchable, at the next scheduled refresh (`refreshInterval`, 1 s), without forcing tiny segments per request the
 * way `refresh=true` would; under load many appends share each refresh.
 *
 * The engine client may be shared with the CaseStore: a client passed in is left open by `close()`.
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
  SortOrder,
  TopValuesRequest,
  TopValuesResult,
} from '../port.js';
import { eventToRow } from '../sqlite/rows.js';
import { ArrivalClock, appendRows } from './append.js';
import { BulkWriter, DEFAULT_BULK_OPTIONS, type BulkOptions } from './bulk.js';
import { createEngineClient, type EngineClient, type SearchEngineOptions } from './client.js';
import { detectDialect, missingFeaturesLine, retentionMode, type EngineDialect, type MissingFeature, type RetentionMode } from './engine.js';
import { FieldResolver } from './fields.js';
import { deadLetterIndexBody, ensureIndex, ensureTemplate, indexTemplate, layoutFor, StreamNames, type Layout } from './layout.js';
import { eventMappings, staticFields } from './mapping.js';
import { Pager, sourceOf, type SearchHit } from './paging.js';
import { ensureIsmPolicy, runRetentionJob, type RetentionOptions, type RetentionReport } from './retention.js';
import type { Dsl } from './translate.js';
import { QueryFilter } from './query-filter.js';
import { planHistogram, zeroFilled } from '../histogram.js';
import { checkSearchRequest } from '../paging-request.js';
import { checkAroundRequest, checkTopValuesRequest } from '../explore-request.js';
import { TopValuesReader } from './top-values.js';


export type SearchLogStoreOptions = ({ client: EngineClient } | { engine: SearchEngineOptions }) & {
  /** Names are `logs-<prefix>.<dataset>-<namespace>`, `<prefix>-logs`, `<prefix>-deadletter`; default `bulwark`. */
  prefix?: string;
  retention?: RetentionOptions;
  bulk?: Partial<BulkOptions>;
  /**
   * `_bulk` refresh: `wait_for` (default: an append resolves once searchable), `true` (refresh at once: lower latency,
   * many small segments) or `false` (resolves once durable in the translog; searchable within `refreshInterval` — the
   * collector's choice, since waiting for each refresh caps ingest at a few batches per second per connection).
   */
  refresh?: 'wait_for' | 'true' | 'false';
  /** The data streams' `index.refresh_interval` (default `1s`): the longest an append waits to be searchable. */
  refreshInterval?: string;
  /** Extra settings for new backing indices (e.g. `{ number_of_shards: 3 }`). */
  indexSettings?: Record<string, unknown>;
  /** Point in time for paginations: how long it stays open between pages (default `2m`); `false`: never. */
  pitKeepAlive?: string | false;
  /**
   * Called once by `init` when the engine lacks features its version would have (Elasticsearch without its
   * `data-streams` or `rest-root` module, OpenSearch without ISM when retention is configured), with one line naming
   * them and the fallback taken, to log it.
   */
  onMissingFeatures?: (line: string, details: { engine: string; version: string; missing: MissingFeature[] }) => void;
  /** Called after each run of Bulwark's own retention job (timer-driven runs only), to log it. */
  onRetention?: (outcome: { report?: RetentionReport; error?: unknown }) => void;
};

interface SearchResponse {
  hits: { hits: SearchHit[] };
  aggregations?: { h?: { buckets?: Array<{ key: number; doc_count: number }> } };
}

export class SearchLogStore implements LogStore {
  readonly layout: Layout;
  private client: EngineClient;
  private readonly ownsClient: boolean;
  private readonly streams: StreamNames;
  private readonly clock = new ArrivalClock();
  private state: {
    dialect: EngineDialect;
    writer: BulkWriter;
    fields: FieldResolver;
    pager: Pager;
    filter: QueryFilter;
    topValues: TopValuesReader;
    retention: RetentionMode | null;
  } | null = null;
  private opening: Promise<void> | null = null;
  private timers: NodeJS.Timeout[] = [];
  private retentionRun: Promise<RetentionReport> | null = null;

  constructor(private readonly options: SearchLogStoreOptions) {
    this.layout = layoutFor(options.prefix ?? 'bulwark');
    this.ownsClient = !('client' in options);
    this.client = 'client' in options ? options.client : createEngineClient(options.engine);
    this.streams = new StreamNames(this.layout.prefix);
    const days = options.retention?.maxAgeDays;
    if (days !== undefined && !(Number.isFinite(days) && days > 0)) {
      throw new BulwarkError('BWK_CONFIG_INVALID', `retention maxAgeDays must be a positive number, got ${days}`);
    }
  }

  /** Detect the engine; create the template, dead-letter index and retention policy if missing; start the job. */
  async init(): Promise<void> {
    if (this.state) return;
    this.opening ??= this.setUp().finally(() => {
      this.opening = null;
    });
    return this.opening;
  }

  private async setUp(): Promise<void> {
    const retention = this.options.retention;
    const dialect = await detectDialect(this.client, retention !== undefined, this.layout.pattern);
    const line = missingFeaturesLine(dialect);
    if (line) this.options.onMissingFeatures?.(line, { engine: dialect.kind, version: dialect.version, missing: dialect.missing });
    const mode = retention ? retentionMode(dialect) : null;
    const template = indexTemplate(this.layout, dialect, {
      ...(mode === 'dsl' ? { dataRetention: engineDays(retention!.maxAgeDays) } : {}),
      refreshInterval: this.options.refreshInterval ?? '1s',
      ...(this.options.indexSettings ? { indexSettings: this.options.indexSettings } : {}),
    });
    await ensureTemplate(this.client, this.layout.templateName, template);
    await ensureIndex(this.client, this.layout.deadLetterIndex, deadLetterIndexBody());
    if (mode === 'ism') await ensureIsmPolicy(this.client, this.layout, retention!.maxAgeDays);
    const fields = new FieldResolver(this.client, this.layout.pattern, staticFields(eventMappings(dialect)));
    const pager = new Pager(this.client, dialect, this.layout.pattern, this.options.pitKeepAlive ?? '2m');
    const writer = new BulkWriter(this.client, { ...DEFAULT_BULK_OPTIONS, ...this.options.bulk });
    const topValues = new TopValuesReader(pager, fields, dialect.flatType === 'flat_object');
    this.state = { dialect, writer, fields, pager, filter: new QueryFilter(fields), topValues, retention: mode };
    if (mode === 'job') this.startRetentionTimer(retention!);
  }

  /** Which retention path init chose: `dsl` (ES lifecycle), `ism` (OpenSearch plugin), `job` (ours), or null. */
  get retentionMode(): RetentionMode | null {
    return this.open().retention;
  }

  /** What init detected about the engine: version, and the features it lacks with the fallbacks taken. */
  get dialect(): EngineDialect {
    return this.open().dialect;
  }

  async append(events: Event[]): Promise<AppendResult> {
    this.open();
    return this.appendSerialized(events.map((event, index) => eventToRow(event, index)));
  }

  async appendSerialized(rows: SerializedEvent[]): Promise<AppendResult> {
    const { writer } = this.open();
    if (rows.length === 0) return { statuses: [], created: 0, duplicates: 0 };
    return appendRows(
      { writer, streams: this.streams, clock: this.clock, deadLetterIndex: this.layout.deadLetterIndex, refresh: this.options.refresh ?? 'wait_for' },
      rows,
    );
  }

  /** By `_id` across every data stream; if an id exists twice (only possible across a rollover), the first written. */
  async get(id: string): Promise<Event | null> {
    const { pager } = this.open();
    const res = await pager.search({ size: 1, query: { ids: { values: [id] } }, sort: pager.sortFor('asc') });
    const hit = res.hits.hits[0];
    return hit ? sourceOf(hit) : null;
  }

  async search(req: SearchRequest): Promise<SearchResult> {
    const { pager, filter } = this.open();
    const { size, sort } = checkSearchRequest(req);
    return filter.run(req.query, async () => {
      const query = await filter.build(req.query, req.from, req.to);
      return pager.page({ query, size, sort, rawQuery: req.query, ...(req.cursor ? { cursor: req.cursor } : {}) });
    });
  }

  /**
   * Counts per bucket of `intervalMs`. Fixed-interval `date_histogram` buckets start at multiples of the interval
   * since the epoch (UTC, offset 0), which is exactly the port's alignment; the engine returns only non-empty buckets
   * (`min_doc_count: 1`) and we zero-fill from the bucket holding `from` to the one holding the last instant before
   * `to`, as SQLite does, rather than have the engine build and send up to 10 000 empty buckets.
   */
  async histogram(req: HistogramRequest): Promise<HistogramResult> {
    const { pager, filter } = this.open();
    const plan = planHistogram(req);
    const res = await filter.run(req.query, async () =>
      pager.search<SearchResponse>({
        size: 0,
        track_total_hits: false,
        query: await filter.build(req.query, req.from, req.to),
        aggs: { h: { date_histogram: { field: '@timestamp', fixed_interval: `${plan.interval}ms`, min_doc_count: 1 } } },
      }),
    );
    return zeroFilled(plan, new Map((res.aggregations?.h?.buckets ?? []).map((b) => [b.key, b.doc_count])));
  }

  /** Counted by aggregations over every match (`top-values.ts`). */
  async topValues(req: TopValuesRequest): Promise<TopValuesResult> {
    const { fields, filter, topValues } = this.open();
    const checked = checkTopValuesRequest(req);
    const types = await fields.resolve(checked.fields);
    return filter.run(req.query, async () => topValues.read(await filter.build(req.query, req.from, req.to), checked, types));
  }

  /**
   * The anchor's own sort position `(@timestamp, bulwark_seq, event.id)` is where both sides start: `search_after` it,
   * ascending for the events after, descending for those before. Ties at the anchor's instant fall on the side their
   * arrival puts them, whether or not the anchor matches the query, with no cursor or point in time to open.
   */
  async around(req: AroundRequest): Promise<AroundResult> {
    const { pager, filter } = this.open();
    const { before, after } = checkAroundRequest(req);
    const found = await pager.search({ size: 1, query: { ids: { values: [req.id] } }, sort: pager.sortFor('asc') });
    const hit = found.hits.hits[0];
    if (!hit?.sort) return { anchor: null, before: [], after: [] };
    const side = async (query: Dsl, sort: SortOrder, size: number) => {
      if (size === 0) return [];
      const res = await pager.search({ size, query, sort: pager.sortFor(sort), search_after: hit.sort, track_total_hits: false });
      return res.hits.hits.map(sourceOf);
    };
    const [older, newer] = await filter.run(req.query, async () => {
      const query = await filter.build(req.query);
      return Promise.all([side(query, 'desc', before), side(query, 'asc', after)]);
    });
    return { anchor: sourceOf(hit), before: older.reverse(), after: newer };
  }

  /** Reachable, and no primary shard of our data streams unassigned (`red`). */
  async ping(): Promise<boolean> {
    if (!this.state) return false;
    try {
      const res = await this.client.request<{ status?: string }>({ method: 'GET', path: `/_cluster/health/${this.layout.pattern}` }, { timeoutMs: 5000 });
      return res.body.status === 'green' || res.body.status === 'yellow';
    } catch {
      return false;
    }
  }

  /**
   * One pass of Bulwark's own retention (`retention.ts`), as the timer runs it; exposed for tests and operators.
   * With an engine lifecycle (`dsl`, `ism`) the engine does this and the pass does nothing.
   */
  async runRetention(now: Date = new Date()): Promise<RetentionReport> {
    const { dialect, retention } = this.open();
    if (retention !== 'job' || !this.options.retention) return { rolledOver: [], deleted: [] };
    return runRetentionJob(this.client, dialect, this.layout, this.options.retention, now.getTime());
  }

  /** Stop the retention timer (waiting for a running pass) and close the client if this store created it. */
  async close(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers = [];
    await this.retentionRun?.catch(() => undefined);
    const state = this.state;
    this.state = null;
    if (this.ownsClient && state) {
      await this.client.close();
      if ('engine' in this.options) this.client = createEngineClient(this.options.engine); // for a later init()
    }
  }

  private open() {
    if (!this.state) throw new BulwarkError('BWK_STORE_UNAVAILABLE', 'the search log store is not open; call init()');
    return this.state;
  }

  private startRetentionTimer(options: RetentionOptions): void {
    const every = options.checkIntervalMs ?? 3_600_000;
    const tick = () => {
      if (this.retentionRun || !this.state) return;
      this.retentionRun = this.runRetention()
        .then((report) => {
          this.options.onRetention?.({ report });
          return report;
        })
        .catch((error: unknown) => {
          this.options.onRetention?.({ error });
          return { rolledOver: [], deleted: [] };
        })
        .finally(() => {
          this.retentionRun = null;
        });
    };
    const first = setTimeout(tick, Math.min(every, 60_000));
    const repeat = setInterval(tick, every);
    first.unref();
    repeat.unref();
    this.timers.push(first, repeat);
  }
}

/** Days as an engine time value: `30d`, or seconds for fractions (time values are integers). */
function engineDays(days: number): string {
  return Number.isInteger(days) ? `${days}d` : `${Math.round(days * 86_400)}s`;
}

