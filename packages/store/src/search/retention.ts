/**
 * Retention of log data streams with a configurable max age, by the engine's own lifecycle where it has one:
 *
 * - Elasticsearch ≥ 8.14: data stream lifecycle, `data_retention` on the index template (`layout.ts`); the engine
 *   rolls over and deletes backing indices itself.
 * - OpenSearch with the ISM plugin: an ISM policy (below) that rolls the write index over daily or at 50 GB and
 *   deletes a backing index `maxAgeDays` after its rollover, attached to new backing indices by its `ism_template`.
 * - otherwise (OpenSearch without ISM, Elasticsearch before 8.14 or without its `data-streams` module, as the embedded
 *   test node): Bulwark's own job, {@link runRetentionJob}, on a timer.
 *
 * The job deletes whole backing indices, never documents: `_delete_by_query` would have to find, mark and later merge
 * away every expired document (I/O proportional to the data, on the nodes that are also ingesting) and frees no disk
 * until merges run, where deleting an index is one metadata operation that frees its disk at once. The price is
 * granularity: an index is deleted when its newest document is past the max age, so data lives at most
 * `maxAge + rolloverAfter` (one day by default). Without a lifecycle nothing rolls the write index over, so the job
 * does that too: after `rolloverAfter`, at 50 GB, or at once when everything in it has expired.
 */
import { createHash } from 'node:crypto';
import type { EngineClient } from './client.js';
import { rolloverConditions, type EngineDialect } from './engine.js';
import type { Layout } from './layout.js';

export interface RetentionOptions {
  /** Delete log data older than this many days. */
  maxAgeDays: number;
  /** Own job only: how often it runs (default one hour). */
  checkIntervalMs?: number;
  /** Own job only: roll the write index over once it is this old (default one day). */
  rolloverAfterMs?: number;
  /**
   * Own job only: delete a backing index only once it has not been the write index for this long (default five
   * minutes), so a bulk request that resolved the old write index just before a rollover has landed and been
   * acknowledged (or failed and been retried into the new one) before its index goes.
   */
  graceMs?: number;
}

export interface RetentionReport {
  /** Data streams whose write index was rolled over. */
  rolledOver: string[];
  /** Backing indices deleted. */
  deleted: string[];
}

const DAY_MS = 86_400_000;

interface DataStreamsResponse {
  data_streams?: Array<{ name: string; indices: Array<{ index_name: string }> }>;
}

interface ResolveIndexResponse {
  data_streams?: Array<{ name: string; backing_indices?: string[] }>;
}

/** A data stream and its backing indices, oldest first: the last one is the write index. */
export interface StreamIndices {
  name: string;
  indices: string[];
}

/** `.ds-<stream>-<date>-000042` → 42: data streams number their backing indices in creation order. */
function generationOf(index: string): number {
  const match = /-(\d+)$/.exec(index);
  return match ? Number(match[1]) : 0;
}

/**
 * The data streams matching `pattern` with their backing indices, oldest first. Through the data stream API where the
 * server has it; otherwise through `_resolve/index` (served by the Elasticsearch server itself, no module needed),
 * whose backing-index order is not documented, so they are put in generation order here.
 */
export async function listDataStreams(client: EngineClient, dialect: EngineDialect, pattern: string): Promise<StreamIndices[]> {
  if (dialect.dataStreamApi) {
    const res = await client.request<DataStreamsResponse>({ method: 'GET', path: `/_data_stream/${pattern}` }, { ignore: [404] });
    return (res.body.data_streams ?? []).map((s) => ({ name: s.name, indices: s.indices.map((i) => i.index_name) }));
  }
  const res = await client.request<ResolveIndexResponse>(
    { method: 'GET', path: `/_resolve/index/${pattern}`, querystring: { expand_wildcards: 'all' } },
    { ignore: [404] },
  );
  return (res.body.data_streams ?? []).map((s) => ({
    name: s.name,
    indices: [...(s.backing_indices ?? [])].sort((a, b) => generationOf(a) - generationOf(b)),
  }));
}

interface NewestResponse {
  aggregations?: { by_index?: { buckets?: Array<{ key: string; newest?: { value?: number | null } }> } };
}

/** One pass of Bulwark's own retention over every log data stream of the layout's prefix. */
export async function runRetentionJob(
  client: EngineClient,
  dialect: EngineDialect,
  layout: Layout,
  options: RetentionOptions,
  now: number,
): Promise<RetentionReport> {
  const report: RetentionReport = { rolledOver: [], deleted: [] };
  const cutoff = now - options.maxAgeDays * DAY_MS;
  const grace = options.graceMs ?? 5 * 60_000;
  const list = await listDataStreams(client, dialect, layout.pattern);
  if (list.length === 0) return report;
  const newest = await newestPerIndex(client, layout.pattern);
  const created = await creationDates(client, layout.pattern);
  // An index the aggregation did not answer for is either empty or was not read (a failed shard, a closed or
  // unavailable index): only the document count tells which, and only a counted zero lets it go.
  let empty: Set<string> | null = null;
  const isEmpty = async (index: string): Promise<boolean> => (empty ??= await emptyIndices(client, layout.pattern)).has(index);
  const doomed: string[] = [];
  for (const stream of list) {
    const indices = stream.indices;
    const write = indices[indices.length - 1];
    for (const [i, index] of indices.slice(0, -1).entries()) {
      const last = newest.get(index);
      const retiredAt = created.get(indices[i + 1]!) ?? now;
      if (retiredAt > now - grace) continue;
      if (last !== undefined ? last < cutoff : await isEmpty(index)) doomed.push(index);
    }
    const last = write === undefined ? undefined : newest.get(write);
    if (last === undefined) continue; // an empty write index stays as it is
    const conditions = last < cutoff ? undefined : rolloverConditions(dialect, `${options.rolloverAfterMs ?? DAY_MS}ms`);
    const res = await client.request<{ rolled_over?: boolean }>({
      method: 'POST',
      path: `/${stream.name}/_rollover`,
      ...(conditions ? { body: { conditions } } : {}),
    });
    if (res.body.rolled_over) report.rolledOver.push(stream.name);
  }
  if (doomed.length > 0) {
    await client.request({ method: 'DELETE', path: `/${doomed.join(',')}`, querystring: { ignore_unavailable: true } });
    report.deleted.push(...doomed);
  }
  return report;
}

/** Newest `@timestamp` of every non-empty backing index, in one aggregation. */
async function newestPerIndex(client: EngineClient, pattern: string): Promise<Map<string, number>> {
  const res = await client.request<NewestResponse>({
    method: 'POST',
    path: `/${pattern}/_search`,
    querystring: { ignore_unavailable: true, allow_no_indices: true },
    body: {
      size: 0,
      track_total_hits: false,
      aggs: { by_index: { terms: { field: '_index', size: 10_000 }, aggs: { newest: { max: { field: '@timestamp' } } } } },
    },
  });
  const out = new Map<string, number>();
  for (const bucket of res.body.aggregations?.by_index?.buckets ?? []) {
    const value = bucket.newest?.value;
    if (typeof value === 'number') out.set(bucket.key, value);
  }
  return out;
}

/**
 * Backing indices whose primaries hold no document, as the engine counts them. Closed or unavailable indices are not
 * listed (their count is unknown), so they are never taken for empty.
 */
async function emptyIndices(client: EngineClient, pattern: string): Promise<Set<string>> {
  const res = await client.request<{ indices?: Record<string, { primaries?: { docs?: { count?: number } } }> }>({
    method: 'GET',
    path: `/${pattern}/_stats/docs`,
    querystring: { ignore_unavailable: true, allow_no_indices: true },
  });
  const out = new Set<string>();
  for (const [index, stats] of Object.entries(res.body.indices ?? {})) if (stats.primaries?.docs?.count === 0) out.add(index);
  return out;
}

async function creationDates(client: EngineClient, pattern: string): Promise<Map<string, number>> {
  const res = await client.request<Record<string, { settings?: { index?: { creation_date?: string } } }>>({
    method: 'GET',
    path: `/${pattern}/_settings/index.creation_date`,
    querystring: { ignore_unavailable: true, allow_no_indices: true },
  });
  const out = new Map<string, number>();
  for (const [index, value] of Object.entries(res.body)) {
    const ms = Number(value.settings?.index?.creation_date);
    if (Number.isFinite(ms)) out.set(index, ms);
  }
  return out;
}

/**
 * The ISM policy for OpenSearch with the plugin: roll over daily or at 50 GB per primary shard, delete `maxAgeDays`
 * after rollover (so a backing index goes once its newest document is about that old). Its `ism_template` attaches it
 * to backing indices created from now on; written only when missing or different (ISM updates need the seq_no and
 * primary term of the version they replace).
 */
export async function ensureIsmPolicy(client: EngineClient, layout: Layout, maxAgeDays: number): Promise<void> {
  const policy = {
    description: '',
    default_state: 'hot',
    states: [
      {
        name: 'hot',
        actions: [{ rollover: { min_index_age: '1d', min_primary_shard_size: '50gb' } }],
        transitions: [{ state_name: 'delete', conditions: { min_rollover_age: `${maxAgeDays}d` } }],
      },
      { name: 'delete', actions: [{ delete: {} }], transitions: [] },
    ],
    ism_template: [{ index_patterns: [layout.pattern, `.ds-${layout.pattern}`], priority: 100 }],
  };
  const hash = createHash('sha256').update(JSON.stringify(policy)).digest('hex').slice(0, 16);
  policy.description = `Bulwark log retention: ${maxAgeDays} days [${hash}]`;
  const path = `/_plugins/_ism/policies/${layout.policyId}`;
  const current = await client.request<{ _seq_no?: number; _primary_term?: number; policy?: { description?: string } }>(
    { method: 'GET', path },
    { ignore: [404] },
  );
  if (current.statusCode === 200 && current.body.policy?.description === policy.description) return;
  const expected =
    current.statusCode === 200 ? { if_seq_no: current.body._seq_no, if_primary_term: current.body._primary_term } : undefined;
  // 409: another process wrote the policy between our read and write; its version is as good as ours.
  await client.request({ method: 'PUT', path, body: { policy }, ...(expected ? { querystring: expected } : {}) }, { ignore: [409] });
}
