/**
 * Running searches and paging through them: `search_after` on the sort `(@timestamp, bulwark_seq, event.id)` — the
 * port's order (time, then arrival) made total by the id — with a point in time (PIT) where the engine has one.
 *
 * The cursor stays stateless on our side: it carries the last position and, during a pagination, the PIT id
 * (`cursor.ts`). The first page runs without a PIT (most searches have one page: no PIT to open or leak); when
 * there is a next page, a PIT is opened and its id rides in the cursor, so the following pages read one snapshot
 * (events that arrive later, even with old timestamps, cannot slip in between pages, and none disappear). The PIT's
 * `keep_alive` is renewed by each page and it is released after the last one; an abandoned pagination's PIT expires
 * on its own. If the PIT is gone (expired, node restarted) or cannot be opened (engine limit on open PITs), paging
 * goes on from the position alone, which is still exact for every event that was there on the first page.
 *
 * Elasticsearch adds an implicit `_shard_doc` tiebreaker to PIT searches; we name it explicitly so `search_after`
 * always has one value per sort key. Our key is already unique, so its value only has to sort after (asc) or before
 * (desc) every document.
 */
import { BulwarkError, type Event } from '@bulwark/schema';
import type { SearchResult, SortOrder } from '../port.js';
import type { QueryNode } from '../query/ast.js';
import { searchFingerprint } from '../sqlite/rows.js';
import type { EngineClient } from './client.js';
import { closePit, openPit, type EngineDialect } from './engine.js';
import { MAX_CURSOR_LENGTH, decodeSearchCursor, encodeSearchCursor, type PagePosition } from './cursor.js';
import { SEQ_FIELD } from './mapping.js';
import type { Dsl } from './translate.js';

export interface SearchHit {
  _id: string;
  _source: Record<string, unknown>;
  sort?: unknown[];
}

interface HitsResponse {
  hits: { hits: SearchHit[] };
  pit_id?: string;
  _shards?: { failed?: number; failures?: Array<{ reason?: { type?: string; reason?: string } }> };
}

export interface PageRequest {
  query: Dsl;
  size: number;
  sort: SortOrder;
  /** The query as parsed: what the cursor is bound to. */
  rawQuery: QueryNode;
  cursor?: string;
}

/** The stored document as appended: our arrival number removed. */
export function sourceOf(hit: SearchHit): Event {
  const source = hit._source;
  delete source[SEQ_FIELD];
  return source as Event;
}

export class Pager {
  constructor(
    private readonly client: EngineClient,
    private readonly dialect: EngineDialect,
    private readonly pattern: string,
    private readonly keepAlive: string | false,
  ) {}

  sortFor(order: SortOrder): Dsl[] {
    return [
      { '@timestamp': { order } },
      { [SEQ_FIELD]: { order, unmapped_type: 'long', missing: 0 } },
      { 'event.id': { order, unmapped_type: 'keyword' } },
    ];
  }

  /** A search over every log data stream of the prefix. */
  async search<T = HitsResponse>(body: Dsl): Promise<T> {
    const res = await this.run<HitsResponse>({
      method: 'POST',
      path: `/${this.pattern}/_search`,
      querystring: { ignore_unavailable: true, allow_no_indices: true },
      body,
    });
    return res as T;
  }

  /** One page, and the cursor to the next (see the file comment for how the PIT travels). */
  async page(req: PageRequest): Promise<SearchResult> {
    const fingerprint = searchFingerprint(req.rawQuery, req.sort);
    const after = req.cursor ? decodeSearchCursor(req.cursor, fingerprint) : null;
    const body: Dsl = {
      size: req.size + 1,
      query: req.query,
      sort: this.sortFor(req.sort),
      track_total_hits: false,
      ...(after ? { search_after: [after.ts, after.seq, after.id] } : {}),
    };
    let pit = after?.pit;
    const onPit = pit ? await this.searchPit(body, pit, req.sort) : null;
    if (!onPit) pit = undefined;
    const res = onPit ?? (await this.search<HitsResponse>(body));
    const hits = res.hits.hits;
    if (hits.length <= req.size) {
      if (pit) this.release(pit);
      return { hits: hits.map(sourceOf), cursor: null };
    }
    const page = hits.slice(0, req.size);
    const position = positionOf(page[page.length - 1]!);
    pit = res.pit_id ?? pit ?? (await this.tryOpenPit());
    let cursor = encodeSearchCursor({ ...position, ...(pit ? { pit } : {}) }, fingerprint);
    if (pit && cursor.length > MAX_CURSOR_LENGTH) {
      this.release(pit); // too many shards for a URL-sized cursor: page by position alone
      cursor = encodeSearchCursor(position, fingerprint);
    }
    return { hits: page.map(sourceOf), cursor };
  }

  /** The page on the PIT, or null when the PIT is gone (then the caller searches the indices). */
  private async searchPit(body: Dsl, pit: string, order: SortOrder): Promise<HitsResponse | null> {
    const pitBody: Dsl = { ...body, pit: { id: pit, keep_alive: this.keepAlive || '1m' } };
    if (this.dialect.kind === 'elasticsearch') {
      pitBody.sort = [...(body.sort as Dsl[]), { _shard_doc: order }];
      if (body.search_after) pitBody.search_after = [...(body.search_after as unknown[]), order === 'asc' ? Number.MAX_SAFE_INTEGER : -1];
    }
    try {
      const res = await this.client.request<HitsResponse>({ method: 'POST', path: '/_search', body: pitBody }, { ignore: [404] });
      if (res.statusCode === 404 || (res.body._shards?.failed ?? 0) > 0) return null;
      return res.body;
    } catch (err) {
      if (err instanceof BulwarkError && err.code === 'BWK_INTERNAL') return null; // e.g. a PIT from before a restart
      throw err;
    }
  }

  private async tryOpenPit(): Promise<string | undefined> {
    if (!this.keepAlive || !this.dialect.pit) return undefined;
    try {
      return await openPit(this.client, this.dialect, this.pattern, this.keepAlive);
    } catch {
      return undefined; // e.g. too many open PITs: paging by position is still exact
    }
  }

  private release(pit: string): void {
    closePit(this.client, this.dialect, pit).catch(() => undefined);
  }

  /**
   * Sends a search; a refused query (400) becomes BWK_BAD_PARAM with the engine's reason, and a partial answer
   * (some shards failed) an error rather than a silently short page.
   */
  private async run<T extends HitsResponse>(req: Parameters<EngineClient['request']>[0]): Promise<T> {
    let body: T;
    try {
      body = (await this.client.request<T>(req)).body;
    } catch (err) {
      throw queryError(err);
    }
    const failures = body._shards?.failed ?? 0;
    if (failures > 0) {
      const reason = body._shards?.failures?.[0]?.reason;
      throw new BulwarkError('BWK_STORE_UNAVAILABLE', `search failed on ${failures} shard(s): ${reason?.reason ?? 'unknown reason'}`, {
        type: reason?.type,
      });
    }
    return body;
  }
}

function positionOf(hit: SearchHit): PagePosition {
  const [ts, seq, id] = hit.sort ?? [];
  if (!Number.isSafeInteger(ts) || !Number.isSafeInteger(seq) || typeof id !== 'string') {
    throw new BulwarkError('BWK_INTERNAL', `unexpected sort values ${JSON.stringify(hit.sort)} for ${hit._id}`);
  }
  return { ts: ts as number, seq: seq as number, id };
}

function queryError(err: unknown): unknown {
  if (!(err instanceof BulwarkError) || err.code !== 'BWK_INTERNAL' || err.details?.status !== 400) return err;
  const body = err.details.body as { error?: { root_cause?: Array<{ reason?: string }>; reason?: string } } | undefined;
  const reason = body?.error?.root_cause?.[0]?.reason ?? body?.error?.reason ?? 'the search engine refused the query';
  return new BulwarkError('BWK_BAD_PARAM', `the query cannot run: ${reason}`, { param: 'q', reason });
}
