/**
 * The scale-mode CaseStore on Elasticsearch or OpenSearch (docs/ARCHITECTURE.md, "Two modes, one code base"): one
 * index per collection (see
 * case-mappings.ts), optimistic concurrency from the engine itself. A record's version is `"<_seq_no>:<_primary_term>"`
 * and an update is an index request with `if_seq_no`/`if_primary_term`, so two writers racing from the same read
 * cannot both win even on different Bulwark processes. Creates use the `_create` endpoint (`op_type=create`), so a
 * deterministic id is written once however often it is retried.
 *
 * Every write waits for a refresh (`refresh=wait_for` by default) before resolving, so a `query` right after it sees
 * it; concurrent writers share the refresh rather than forcing one each. `get` is realtime in the engines anyway.
 * Everything goes through `EngineClient.request`, which maps unreachable or failing engines to BWK_STORE_UNAVAILABLE.
 */
import { BulwarkError } from '@bulwark/schema';
import {
  CASE_COLLECTIONS,
  MAX_CASE_PAGE_SIZE,
  assertAppendable,
  assertCaseId,
  assertCollection,
  assertCreatable,
  assertMutable,
  caseNotFound,
  checkGroupQuery,
  checkQuery,
  conflictOnCreate,
  conflictOnVersion,
  encodeCaseCursor,
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
import { assertCasePrefix, caseIndexBody, caseIndexName, idSegment, type CaseIndexSettings } from './case-mappings.js';
import { caseSearchBody, cursorPosition, type CaseHit } from './case-query.js';
import { createEngineClient, type EngineClient, type SearchEngineOptions } from './client.js';

export type SearchCaseStoreOptions = ({ client: EngineClient } | { engine: SearchEngineOptions }) &
  CaseIndexSettings & {
    /** Index names are `<prefix>-<collection>`; default `bulwark`. */
    prefix?: string;
    /** `wait_for` (default): a write resolves once searchable, sharing the periodic refresh. `true` forces one. */
    refresh?: 'wait_for' | true;
  };

interface WriteResponse {
  _seq_no?: number;
  _primary_term?: number;
  result?: string;
  error?: { type?: string; reason?: string };
}

interface GroupBucket<T> {
  key: unknown;
  doc_count: number;
  latest: { hits: { hits: Array<{ _source: T }> } };
  counts?: { buckets?: Array<{ key: unknown; doc_count: number }> };
}

interface GetResponse {
  found?: boolean;
  _source?: CaseRecord;
  _seq_no?: number;
  _primary_term?: number;
  error?: { type?: string };
}

export class SearchCaseStore implements CaseStore {
  private readonly client: EngineClient;
  private readonly ownsClient: boolean;
  private readonly prefix: string;
  private readonly refresh: string;

  constructor(private readonly options: SearchCaseStoreOptions) {
    this.prefix = options.prefix ?? 'bulwark';
    assertCasePrefix(this.prefix);
    this.ownsClient = !('client' in options);
    this.client = 'client' in options ? options.client : createEngineClient(options.engine);
    this.refresh = String(options.refresh ?? 'wait_for');
  }

  /** The index of a collection, e.g. for operators and tests. */
  indexName(collection: CaseCollection): string {
    return caseIndexName(this.prefix, collection);
  }

  /**
   * Create the indices (one per collection), or add new mapped fields to existing ones (mappings only ever grow). Idempotent and safe
   * when several processes start together: an index another process created first is simply updated.
   */
  async init(): Promise<void> {
    const body = caseIndexBody(this.options);
    await Promise.all(
      CASE_COLLECTIONS.map(async (collection) => {
        const index = this.indexName(collection);
        const res = await this.client.request<WriteResponse>({ method: 'PUT', path: `/${index}`, body }, { ignore: [400] });
        if (res.statusCode < 300) return;
        if (res.body.error?.type !== 'resource_already_exists_exception') {
          throw new BulwarkError('BWK_STORE_UNAVAILABLE', `cannot create the index ${index}`, { index, error: res.body.error });
        }
        await this.client.request({ method: 'PUT', path: `/${index}/_mapping`, body: body.mappings });
      }),
    );
    // A process that found an index another one was still creating would otherwise read it before its primary shard
    // has started (no_shard_available_action_exception on the first token lookup when a deployment starts at once).
    // Cluster health is not enough (it can call a just-created index settled before its shard serves a get), nor is a
    // search (a shard that fails is reported inside a 200). So wait until a get by id of every index answers.
    await Promise.all(CASE_COLLECTIONS.map((collection) => this.untilReadable(collection)));
  }

  private async untilReadable(collection: CaseCollection): Promise<void> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const res = await this.client.request<{ error?: unknown }>({ method: 'GET', path: this.docPath(collection, '_doc', 'bulwark-readiness-probe') }, { ignore: [404, 503] });
      if (res.statusCode !== 503) return;
      if (Date.now() > deadline) {
        throw new BulwarkError('BWK_STORE_UNAVAILABLE', `the index ${this.indexName(collection)} did not become readable within 30 s`, { index: this.indexName(collection), error: res.body.error });
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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
    const res = await this.client.request<GetResponse>({ method: 'GET', path: this.docPath(collection, '_doc', id) }, { ignore: [404] });
    if (res.statusCode === 404) {
      if (res.body.error) throw this.missingIndex(collection, res.body.error);
      return null;
    }
    return { record: res.body._source as T, version: versionOf(res.body) };
  }

  async update<T extends CaseRecord>(
    collection: MutableCaseCollection,
    id: string,
    record: T,
    options: { expectedVersion: string },
  ): Promise<string> {
    const doc = updateJson(collection, id, record);
    const expected = parseVersion(options.expectedVersion);
    if (!expected) throw await this.staleOrMissing(collection, id, options.expectedVersion);
    const res = await this.client.request<WriteResponse>(
      { method: 'PUT', path: this.docPath(collection, '_doc', id), body: doc, querystring: { ...expected, refresh: this.refresh } },
      { ignore: [400, 409] },
    );
    if (res.statusCode === 400) throw refusedRecord(collection, id, res.body.error);
    if (res.statusCode === 409) throw await this.staleOrMissing(collection, id, options.expectedVersion);
    return versionOf(res.body);
  }

  async delete(collection: MutableCaseCollection, id: string, options: { expectedVersion?: string } = {}): Promise<boolean> {
    assertMutable(collection, 'delete');
    assertCaseId(id);
    const expected = options.expectedVersion === undefined ? {} : parseVersion(options.expectedVersion);
    if (!expected) return this.refuseStale(collection, id, options.expectedVersion!);
    const res = await this.client.request<WriteResponse>(
      { method: 'DELETE', path: this.docPath(collection, '_doc', id), querystring: { ...expected, refresh: this.refresh } },
      { ignore: [404, 409] },
    );
    if (res.statusCode === 404 && res.body.error) throw this.missingIndex(collection, res.body.error);
    if (res.statusCode === 409) return this.refuseStale(collection, id, options.expectedVersion!);
    return res.statusCode < 300;
  }

  async query<T extends CaseRecord = CaseRecord>(collection: CaseCollection, query: CaseQuery): Promise<CasePage<T>> {
    assertCollection(collection);
    const checked = checkQuery(collection, query);
    const res = await this.client.request<{ hits: { hits: CaseHit[] }; error?: { type?: string } }>(
      { method: 'POST', path: `/${this.indexName(collection)}/_search`, body: caseSearchBody(checked) },
      { ignore: [404] },
    );
    if (res.statusCode === 404) throw this.missingIndex(collection, res.body.error ?? {});
    const hits = res.body.hits.hits;
    const more = hits.length > checked.size;
    const page = more ? hits.slice(0, checked.size) : hits;
    const items = page.map((hit) => ({ record: hit._source as T, version: versionOf(hit) }));
    return { items, cursor: more ? encodeCaseCursor(checked, cursorPosition(checked, page[page.length - 1]!)) : null };
  }

  async countBy(collection: CaseCollection, field: string, filter?: CaseQuery['filter'], range?: CaseQuery['range']): Promise<Record<string, number>> {
    assertCollection(collection);
    const checked = checkQuery(collection, { size: 1, sort: { field, order: 'asc' }, ...(filter ? { filter } : {}), ...(range ? { range } : {}) });
    const { query } = caseSearchBody(checked);
    const res = await this.client.request<{ aggregations?: { values?: { buckets?: Array<{ key: unknown; doc_count: number }> } }; error?: { type?: string } }>(
      {
        method: 'POST',
        path: `/${this.indexName(collection)}/_search`,
        // Statuses and other counted fields are keywords with a handful of values; 1000 buckets is far beyond them.
        body: { size: 0, track_total_hits: false, query, aggs: { values: { terms: { field, size: 1000 } } } },
      },
      { ignore: [404] },
    );
    if (res.statusCode === 404) throw this.missingIndex(collection, res.body.error ?? {});
    const buckets = res.body.aggregations?.values?.buckets ?? [];
    return Object.fromEntries(buckets.filter((b) => typeof b.key === 'string').map((b) => [b.key as string, b.doc_count]));
  }

  async groups<T extends CaseRecord = CaseRecord>(collection: CaseCollection, group: CaseGroupQuery): Promise<CaseGroup<T>[]> {
    assertCollection(collection);
    const checked = checkGroupQuery(collection, group);
    const { query } = caseSearchBody(checked);
    const latestSort = [{ [group.latest]: { order: 'desc', missing: '_last', unmapped_type: 'keyword' } }, { id: { order: 'desc' } }];
    const res = await this.client.request<{ aggregations?: { groups?: { buckets?: GroupBucket<T>[] } }; error?: { type?: string } }>(
      {
        method: 'POST',
        path: `/${this.indexName(collection)}/_search`,
        body: {
          size: 0,
          track_total_hits: false,
          query,
          aggs: {
            groups: {
              // One shard per case index (case-mappings.ts), so terms counts are exact, not per-shard estimates.
              terms: { field: group.field, size: group.size, order: [{ _count: 'desc' }, { _key: 'asc' }] },
              aggs: {
                latest: { top_hits: { size: 1, sort: latestSort } },
                ...(group.countBy !== undefined ? { counts: { terms: { field: group.countBy, size: MAX_CASE_PAGE_SIZE } } } : {}),
              },
            },
          },
        },
      },
      { ignore: [404] },
    );
    if (res.statusCode === 404) throw this.missingIndex(collection, res.body.error ?? {});
    const buckets = (res.body.aggregations?.groups?.buckets ?? []).filter((b) => typeof b.key === 'string');
    return buckets.map((b) => ({
      key: b.key as string,
      count: b.doc_count,
      counts: Object.fromEntries((b.counts?.buckets ?? []).filter((c) => typeof c.key === 'string').map((c) => [c.key as string, c.doc_count])),
      latest: b.latest.hits.hits[0]!._source,
    }));
  }

  /** Ready when the engine answers and all four indices exist. */
  async ping(): Promise<boolean> {
    try {
      const indices = CASE_COLLECTIONS.map((c) => this.indexName(c)).join(',');
      const res = await this.client.request({ method: 'HEAD', path: `/${indices}` }, { ignore: [404], timeoutMs: 5000 });
      return res.statusCode === 200;
    } catch {
      return false;
    }
  }

  /** Close the engine client if this store made it; a shared client is left to its owner. */
  async close(): Promise<void> {
    if (this.ownsClient) await this.client.close();
  }

  private async insert<T extends CaseRecord>(collection: CaseCollection, record: T, options?: CreateOptions): Promise<CreateResult<T>> {
    const doc = recordJson(record);
    // Twice at most: an ifAbsent create can find the id taken and then, if it was deleted meanwhile, free again.
    for (let attempt = 0; attempt < 2; attempt++) {
      const res = await this.client.request<WriteResponse>(
        { method: 'PUT', path: this.docPath(collection, '_create', record.id), body: doc, querystring: { refresh: this.refresh } },
        { ignore: [400, 409] },
      );
      if (res.statusCode === 400) throw refusedRecord(collection, record.id, res.body.error);
      if (res.statusCode < 300) return { record: JSON.parse(doc) as T, version: versionOf(res.body), created: true };
      if (!options?.ifAbsent) throw conflictOnCreate(collection, record.id);
      const stored = await this.get<T>(collection, record.id);
      if (stored) return { ...stored, created: false };
    }
    throw conflictOnCreate(collection, record.id);
  }

  /** The error for a guarded write the engine refused: the record is gone, or here is its current version. */
  private async staleOrMissing(collection: CaseCollection, id: string, expected: string): Promise<BulwarkError> {
    const current = await this.get(collection, id);
    return current ? conflictOnVersion(collection, id, expected, current.version) : caseNotFound(collection, id);
  }

  private async refuseStale(collection: CaseCollection, id: string, expected: string): Promise<boolean> {
    const error = await this.staleOrMissing(collection, id, expected);
    if (error.code === 'BWK_NOT_FOUND') return false;
    throw error;
  }

  private docPath(collection: CaseCollection, endpoint: '_doc' | '_create', id: string): string {
    return `/${this.indexName(collection)}/${endpoint}/${idSegment(id)}`;
  }

  private missingIndex(collection: CaseCollection, error: { type?: string }): BulwarkError {
    return new BulwarkError('BWK_STORE_UNAVAILABLE', `the ${collection} index is missing; call init()`, {
      index: this.indexName(collection),
      error: error.type,
    });
  }
}

/**
 * A record the engine cannot index — in practice one whose field types contradict earlier records (a field mapped
 * as a number receiving an object, an array mixing strings and objects) — is the caller's error, not an outage.
 */
function refusedRecord(collection: CaseCollection, id: string, error: { type?: string; reason?: string } | undefined): BulwarkError {
  return new BulwarkError('BWK_BAD_REQUEST', `the search engine refused ${collection} record ${JSON.stringify(id)}: ${error?.reason ?? 'unknown reason'}`, {
    collection,
    id,
    reason: error?.type,
  });
}

function versionOf(body: { _seq_no?: number; _primary_term?: number }): string {
  return `${body._seq_no}:${body._primary_term}`;
}

/** `"<seq_no>:<primary_term>"` as the engines' query parameters, or null for a version no engine issued. */
function parseVersion(version: string): { if_seq_no: number; if_primary_term: number } | null {
  const match = typeof version === 'string' ? /^(0|[1-9][0-9]{0,17}):([1-9][0-9]{0,17})$/.exec(version) : null;
  return match ? { if_seq_no: Number(match[1]), if_primary_term: Number(match[2]) } : null;
}
