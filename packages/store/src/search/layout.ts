/**
 * Where log events live in the engine, and the templates that shape them.
 *
 * - One data stream per dataset and namespace, `logs-<prefix>.<dataset>-<namespace>`: Elastic's data stream naming
 *   scheme (`type-dataset-namespace`), so per-dataset retention, mappings and shard sizing stay possible, and the
 *   `<prefix>` keeps several Bulwark installations (or test runs) apart on one cluster.
 * - One composable index template, `<prefix>-logs`, matching `logs-<prefix>.*-*` with `data_stream: {}`, at priority
 *   250: above Elasticsearch's built-in `logs` template (100, `logs-*-*`), which would otherwise claim our streams.
 * - `<prefix>-deadletter`: a plain index for documents the engine refused (mapping conflicts), strict mapping so that
 *   writing a dead letter can never itself be refused.
 *
 * Replicas: `auto_expand_replicas: 0-1` gives a green single-node cluster and one replica as soon as there are two
 * data nodes, without a setting to remember.
 */
import { createHash } from 'node:crypto';
import { BulwarkError } from '@bulwark/schema';
import type { EngineClient } from './client.js';
import type { EngineDialect } from './engine.js';
import { eventMappings } from './mapping.js';

/** As `BULWARK_STORE_PREFIX` allows: lowercase, and no `.` so `logs-<prefix>.*` never matches another prefix. */
export const PREFIX_RE = /^[a-z0-9][a-z0-9_-]{0,40}$/;

/** Priority of our template: above Elasticsearch's built-in `logs` template (100). */
export const TEMPLATE_PRIORITY = 250;

const MAX_DATASET = 80;
const MAX_NAMESPACE = 60;

export interface Layout {
  prefix: string;
  /** Every log data stream of this prefix: `logs-<prefix>.*-*`. */
  pattern: string;
  templateName: string;
  deadLetterIndex: string;
  /** The retention policy id (OpenSearch ISM). */
  policyId: string;
}

export function layoutFor(prefix: string): Layout {
  if (!PREFIX_RE.test(prefix)) {
    throw new BulwarkError('BWK_CONFIG_INVALID', `store prefix '${prefix}' must match ${PREFIX_RE}`, { prefix });
  }
  return {
    prefix,
    pattern: `logs-${prefix}.*-*`,
    templateName: `${prefix}-logs`,
    deadLetterIndex: `${prefix}-deadletter`,
    policyId: `${prefix}-logs-retention`,
  };
}

/**
 * A dataset or namespace as a piece of an index name: lowercase, only `a-z 0-9 _` (and `.` in datasets), because
 * index names forbid uppercase and `\/*?"<>|,#: `, and `-` separates the parts of a data stream name. Events whose
 * datasets differ only in such characters share a stream; their `event.dataset` is unchanged.
 */
function sanitize(value: string, dots: boolean, max: number, fallback: string): string {
  const cleaned = value
    .toLowerCase()
    .replace(dots ? /[^a-z0-9._]/g : /[^a-z0-9_]/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, max);
  return cleaned === '' ? fallback : cleaned;
}

/** Memo of dataset/namespace → stream name: the same few datasets recur on every event. */
export class StreamNames {
  private readonly cache = new Map<string, string>();

  constructor(private readonly prefix: string) {}

  /** `logs-<prefix>.<dataset>-<namespace>`; no dataset → `generic`, no namespace → `default`. */
  nameFor(dataset: string | null, namespace: string | null): string {
    const key = `${dataset ?? ''}\u0000${namespace ?? ''}`;
    let name = this.cache.get(key);
    if (name === undefined) {
      const ds = sanitize(dataset ?? '', true, MAX_DATASET, 'generic');
      const ns = sanitize(namespace ?? '', false, MAX_NAMESPACE, 'default');
      name = `logs-${this.prefix}.${ds}-${ns}`;
      if (this.cache.size >= 10_000) this.cache.clear();
      this.cache.set(key, name);
    }
    return name;
  }
}

export interface TemplateOptions {
  /** Max age for Elasticsearch's data stream lifecycle, e.g. `30d`; undefined keeps data forever. */
  dataRetention?: string;
  /** How often new documents become searchable; `append` waits for the next refresh. */
  refreshInterval: string;
  /** Extra index settings (e.g. `number_of_shards`), merged over ours. */
  indexSettings?: Record<string, unknown>;
}

/**
 * The analyzer behind `message`: words are maximal runs of letters and digits (as SQLite FTS5's `unicode61`
 * tokenizer splits), lowercased and accent-folded; a word longer than 1024 characters is cut there so one huge
 * token cannot exceed Lucene's term limit and fail the document (queries are cut the same way).
 */
const ANALYSIS = {
  tokenizer: { bulwark_words: { type: 'pattern', pattern: '[^\\p{L}\\p{N}]+' } },
  filter: { bulwark_truncate: { type: 'truncate', length: 1024 } },
  analyzer: {
    bulwark_words: { type: 'custom', tokenizer: 'bulwark_words', filter: ['lowercase', 'asciifolding', 'bulwark_truncate'] },
  },
};

export function indexTemplate(layout: Layout, dialect: EngineDialect, options: TemplateOptions): Record<string, unknown> {
  const template: Record<string, unknown> = {
    settings: {
      index: {
        auto_expand_replicas: '0-1',
        refresh_interval: options.refreshInterval,
        // A malformed number, date or ip leaves that one value unindexed instead of refusing the event (as
        // Elasticsearch's own logs template does); the event stays searchable on everything else.
        mapping: { total_fields: { limit: 2000 }, ignore_malformed: true },
        analysis: ANALYSIS,
        ...dialect.indexSettings,
        ...options.indexSettings,
      },
    },
    mappings: eventMappings(dialect),
  };
  if (dialect.dataStreamLifecycle) {
    template.lifecycle = options.dataRetention ? { data_retention: options.dataRetention } : {};
  }
  return {
    index_patterns: [layout.pattern],
    data_stream: {},
    priority: TEMPLATE_PRIORITY,
    template,
  };
}

/** The dead-letter index: who was refused, where, why, and the original document as text. */
export function deadLetterIndexBody(): Record<string, unknown> {
  return {
    settings: { index: { auto_expand_replicas: '0-1', number_of_shards: 1 } },
    mappings: {
      dynamic: 'strict',
      properties: {
        '@timestamp': { type: 'date' },
        event: { properties: { id: { type: 'keyword' }, dataset: { type: 'keyword' } } },
        target_index: { type: 'keyword' },
        error: { properties: { type: { type: 'keyword' }, reason: { type: 'text' } } },
        document: { type: 'keyword', index: false, doc_values: false },
      },
    },
  };
}

function hashOf(body: unknown): string {
  return createHash('sha256').update(JSON.stringify(body)).digest('hex').slice(0, 32);
}

/**
 * Puts the template unless the stored one carries the same hash: idempotent, and no cluster-state update when a
 * collector restarts. Returns whether it wrote.
 */
export async function ensureTemplate(client: EngineClient, name: string, body: Record<string, unknown>): Promise<boolean> {
  const hash = hashOf(body);
  const current = await client.request<{ index_templates?: Array<{ index_template?: { _meta?: { bulwark_hash?: string } } }> }>(
    { method: 'GET', path: `/_index_template/${name}` },
    { ignore: [404] },
  );
  if (current.body.index_templates?.[0]?.index_template?._meta?.bulwark_hash === hash) return false;
  await client.request({ method: 'PUT', path: `/_index_template/${name}`, body: { ...body, _meta: { managed_by: 'bulwark', bulwark_hash: hash } } });
  return true;
}

/** Creates an index unless it exists (two processes starting together both succeed). */
export async function ensureIndex(client: EngineClient, name: string, body: Record<string, unknown>): Promise<void> {
  const res = await client.request<{ error?: { type?: string } }>({ method: 'PUT', path: `/${name}`, body }, { ignore: [400] });
  if (res.statusCode < 300 || res.body.error?.type === 'resource_already_exists_exception') return;
  throw new BulwarkError('BWK_INTERNAL', `could not create index ${name}`, { status: res.statusCode, body: res.body });
}
