/**
 * Index layout of the search-engine CaseStore: one plain index per collection, `<prefix>-alerts`, `<prefix>-incidents`,
 * `<prefix>-runs`, `<prefix>-audit`, `<prefix>-tokens`, `<prefix>-deadletter`, `<prefix>-searches`, `<prefix>-sources`. Not data streams: case records are updated in place, which data streams forbid,
 * and there are few enough of them that one primary shard per collection serves every query.
 *
 * Mappings are explicit where a record family's fields are known by name and generic elsewhere, because the record
 * shapes are still growing (detection and playbook issues) and a mapping, once set, cannot change type:
 * - Filters are exact, so strings are `keyword` (never `text`); `ignore_above` keeps a long comment from failing the
 *   whole document on Lucene's 32 KiB term limit (such a value is kept in `_source` but cannot be filtered on).
 * - Times are `date` by name (`@timestamp`, `*_at`, `first_seen`, `last_seen`), with date detection off: guessing
 *   from values would type a field by whichever record came first. `ignore_malformed` keeps a bad time from
 *   rejecting the record.
 * - All numbers are `double`: JSON numbers are doubles in JavaScript, and a field first seen as `1` must not
 *   truncate a later `1.5` as a dynamic `long` would.
 */
import { BulwarkError } from '@bulwark/schema';
import type { CaseCollection } from '../case-port.js';

const keyword = { type: 'keyword' } as const;
const date = { type: 'date', format: 'strict_date_optional_time||epoch_millis', ignore_malformed: true } as const;

/** Fields with a known meaning in every collection (as the case models name them: status, severity, assignee…). */
const COMMON_PROPERTIES = {
  id: keyword,
  status: keyword,
  severity: keyword,
  level: keyword,
  assignee: keyword,
  tags: keyword,
  rule_id: keyword,
  incident_id: keyword,
  alert_id: keyword,
  run_id: keyword,
  group_key: keyword,
  rule: { properties: { id: keyword, name: keyword } },
  '@timestamp': date,
  first_seen: date,
  last_seen: date,
} as const;

/** Mappings shared by the case indices; `dynamic_templates` are tried in order, first match wins. */
export const CASE_MAPPINGS = {
  dynamic: true,
  date_detection: false,
  numeric_detection: false,
  dynamic_templates: [
    { times: { match_mapping_type: 'string', match: '*_at', mapping: date } },
    { integers: { match_mapping_type: 'long', mapping: { type: 'double' } } },
    { fractions: { match_mapping_type: 'double', mapping: { type: 'double' } } },
    { strings: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 8191 } } },
  ],
  properties: COMMON_PROPERTIES,
} as const;

export interface CaseIndexSettings {
  /** Replica count; default `auto_expand_replicas: 0-1` (none on a single node, one as soon as there is a second). */
  replicas?: number;
  /**
   * How often new writes become searchable, e.g. `'200ms'`; default the engine's (1s). Writes wait for the next
   * refresh, so this bounds how long a write takes to return, not throughput: concurrent writes share one refresh.
   */
  refreshInterval?: string;
}

/** The body of `PUT /<index>`: one shard (case collections stay small), replicas as configured. */
export function caseIndexBody(settings: CaseIndexSettings = {}): { settings: Record<string, unknown>; mappings: typeof CASE_MAPPINGS } {
  const replicas = settings.replicas === undefined ? { auto_expand_replicas: '0-1' } : { number_of_replicas: settings.replicas };
  const refresh = settings.refreshInterval === undefined ? {} : { refresh_interval: settings.refreshInterval };
  return { settings: { number_of_shards: 1, ...replicas, ...refresh }, mappings: CASE_MAPPINGS };
}

const PREFIX = /^[a-z0-9][a-z0-9_.-]{0,200}$/;

/** Index names are lowercase and limited in characters; a bad prefix is a configuration error at start-up. */
export function assertCasePrefix(prefix: string): void {
  if (!PREFIX.test(prefix)) {
    throw new BulwarkError('BWK_CONFIG_INVALID', `case index prefix ${JSON.stringify(prefix)} must be lowercase letters, digits, _ . -`, {
      prefix,
    });
  }
}

export function caseIndexName(prefix: string, collection: CaseCollection): string {
  return `${prefix}-${collection}`;
}

/**
 * A record id as one URL path segment. `encodeURIComponent` leaves `.` alone, and an id of `.` or `..` would then be
 * resolved away as a relative segment by the HTTP layer; the engines decode `%2E` back to `.`.
 */
export function idSegment(id: string): string {
  return encodeURIComponent(id).replace(/\./g, '%2E');
}
