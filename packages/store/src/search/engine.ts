/**
 * Everything that differs between Elasticsearch and OpenSearch (and between their versions) above the client, in one
 * place: which flat-object field type exists, which lifecycle manages retention, and the point-in-time API. The
 * mapping, query translation and bulk logic read these answers and are otherwise engine-neutral.
 *
 * Versions: Elasticsearch 8.x/9.x, OpenSearch 2.x/3.x, detected at `init()` (`EngineClient.info`).
 */
import type { EngineClient, EngineKind } from './client.js';

/** Who deletes old data: the engine's data stream lifecycle (ES), the ISM plugin (OpenSearch), or Bulwark's job. */
export type RetentionMode = 'dsl' | 'ism' | 'job';

/** A feature this engine's version would have that this server lacks, and what the adapter does instead. */
export interface MissingFeature {
  feature: string;
  fallback: string;
}

export interface EngineDialect {
  kind: EngineKind;
  version: string;
  /** `flattened` (ES ≥ 7.3), `flat_object` (OpenSearch ≥ 2.7), or none (older OpenSearch). */
  flatType: 'flattened' | 'flat_object' | null;
  /** Point-in-time search: ES ≥ 7.10, OpenSearch ≥ 2.4. */
  pit: boolean;
  /**
   * ES data stream lifecycle (`data_retention` on the template): GA from 8.14, and run by the `data-streams` module,
   * so it counts only when that module answers (`GET /_data_stream/<pattern>/_lifecycle`). A template can carry a
   * lifecycle on a server without the module, where nothing would ever act on it.
   */
  dataStreamLifecycle: boolean;
  /**
   * `GET /_data_stream` is served (OpenSearch: always; Elasticsearch: by the `data-streams` module). Without it the
   * retention job lists streams and their backing indices with `_resolve/index`, which the server itself serves.
   */
  dataStreamApi: boolean;
  /** Features this server lacks, with the fallback taken; empty on a full distribution. */
  missing: MissingFeature[];
  /** True when OpenSearch answers the ISM API (the plugin is installed); probed only when retention is wanted. */
  ism: boolean;
  /**
   * Engine-specific index settings for our template. Elasticsearch ≥ 8.17 may default `logs-*-*` data streams to
   * `logsdb` mode (synthetic `_source`: arrays sorted and deduplicated, so `get` would not return the event as
   * appended); `index.mode: standard` keeps `_source` as sent.
   */
  indexSettings: Record<string, unknown>;
}

interface Version {
  major: number;
  minor: number;
}

function parseVersion(version: string): Version {
  const [major = 0, minor = 0] = version.split('.').map((part) => Number.parseInt(part, 10) || 0);
  return { major, minor };
}

function atLeast(v: Version, major: number, minor: number): boolean {
  return v.major > major || (v.major === major && v.minor >= minor);
}

/**
 * Detects engine and version (the client checks the engine is the configured one) and probes the features that live
 * in optional parts of an installation rather than in the version: Elasticsearch's `data-streams` module (the data
 * stream API and lifecycle) and `rest-root` module (`GET /`), and, when retention is configured on OpenSearch, the ISM
 * plugin (`GET _plugins/_ism/policies` answers 200 with it and 400/404 without). A probe is a read on the layout's own
 * `pattern`, so it needs no privilege beyond the ones the store uses anyway; anything but 200 counts as absent.
 */
export async function detectDialect(client: EngineClient, probeIsm: boolean, pattern: string): Promise<EngineDialect> {
  const info = await client.info();
  const v = parseVersion(info.version);
  const answers = async (path: string, querystring?: Record<string, string | number>): Promise<boolean> => {
    const res = await client.request({ method: 'GET', path, ...(querystring ? { querystring } : {}) }, { ignore: [400, 401, 403, 404, 405] });
    return res.statusCode === 200;
  };
  const missing: MissingFeature[] = [];
  if (!info.rootEndpoint) missing.push({ feature: 'the root endpoint (GET /)', fallback: 'version read from GET /_nodes/_local' });
  if (info.kind === 'elasticsearch') {
    const [dataStreamApi, lifecycle] = await Promise.all([
      answers(`/_data_stream/${pattern}`),
      atLeast(v, 8, 14) ? answers(`/_data_stream/${pattern}/_lifecycle`) : Promise.resolve(false),
    ]);
    if (!dataStreamApi) missing.push({ feature: 'the data stream API', fallback: 'streams listed with _resolve/index' });
    if (atLeast(v, 8, 14) && !lifecycle) {
      missing.push({ feature: 'data stream lifecycle', fallback: "retention, if configured, by Bulwark's own job" });
    }
    return {
      kind: 'elasticsearch',
      version: info.version,
      flatType: 'flattened',
      pit: atLeast(v, 7, 10),
      dataStreamLifecycle: lifecycle,
      dataStreamApi,
      ism: false,
      indexSettings: atLeast(v, 8, 0) ? { mode: 'standard' } : {},
      missing,
    };
  }
  const ism = probeIsm ? await answers('/_plugins/_ism/policies', { size: 1 }) : false;
  if (probeIsm && !ism) missing.push({ feature: 'the ISM plugin', fallback: "retention by Bulwark's own rollover-and-delete job" });
  return {
    kind: 'opensearch',
    version: info.version,
    flatType: atLeast(v, 2, 7) ? 'flat_object' : null,
    pit: atLeast(v, 2, 4),
    dataStreamLifecycle: false,
    dataStreamApi: true,
    ism,
    indexSettings: {},
    missing,
  };
}

/** One line for the log when the server lacks features: which, and what the adapter does instead; null when none. */
export function missingFeaturesLine(dialect: EngineDialect): string | null {
  if (dialect.missing.length === 0) return null;
  const list = dialect.missing.map((m) => `${m.feature} (${m.fallback})`).join('; ');
  return `${dialect.kind} ${dialect.version} lacks ${list}`;
}

/** Which retention path this engine takes. */
export function retentionMode(dialect: EngineDialect): RetentionMode {
  if (dialect.dataStreamLifecycle) return 'dsl';
  if (dialect.ism) return 'ism';
  return 'job';
}

/** Opens a point in time over `target` (an index pattern); returns its id. */
export async function openPit(client: EngineClient, dialect: EngineDialect, target: string, keepAlive: string): Promise<string> {
  if (dialect.kind === 'elasticsearch') {
    const res = await client.request<{ id: string }>({ method: 'POST', path: `/${target}/_pit`, querystring: { keep_alive: keepAlive } });
    return res.body.id;
  }
  const res = await client.request<{ pit_id: string }>({
    method: 'POST',
    path: `/${target}/_search/point_in_time`,
    querystring: { keep_alive: keepAlive },
  });
  return res.body.pit_id;
}

/** Releases a point in time early; one that already expired is not an error. */
export async function closePit(client: EngineClient, dialect: EngineDialect, id: string): Promise<void> {
  if (dialect.kind === 'elasticsearch') {
    await client.request({ method: 'DELETE', path: '/_pit', body: { id } }, { ignore: [404] });
  } else {
    await client.request({ method: 'DELETE', path: '/_search/point_in_time', body: { pit_id: [id] } }, { ignore: [404] });
  }
}

/**
 * Conditions for a size/age rollover by our own retention job. OpenSearch's rollover API has `max_size` (all primary
 * shards) but not `max_primary_shard_size`; Elasticsearch recommends the latter.
 */
export function rolloverConditions(dialect: EngineDialect, maxAge: string): Record<string, string> {
  return dialect.kind === 'elasticsearch'
    ? { max_age: maxAge, max_primary_shard_size: '50gb' }
    : { max_age: maxAge, max_size: '50gb' };
}
