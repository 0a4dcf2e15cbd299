/**
 * Chooses the store adapters once, at start-up, from configuration: the embedded SQLite store, or a search engine
 * (OpenSearch, Elasticsearch) for scale mode. Services only ever see the ports.
 */
import { join } from 'node:path';
import type { Config } from '@bulwark/config';
import {
  SearchCaseStore,
  SearchLogStore,
  SqliteCaseStore,
  BlockLogStore,
  SqliteTokenStore,
  CaseTokenStore,
  type CaseStore,
  type LogStore,
  type SearchEngineOptions,
  type TokenStore,
} from '@bulwark/store';

function engineOptions(config: Config): SearchEngineOptions {
  const s = config.store;
  return {
    kind: s.type === 'elasticsearch' ? 'elasticsearch' : 'opensearch',
    url: s.url!,
    ...(s.username !== undefined && s.password !== undefined ? { auth: { username: s.username, password: s.password } } : {}),
    ...(s.api_key ? { auth: { apiKey: s.api_key } } : {}),
    ...(s.ca_file ? { caFile: s.ca_file } : {}),
  };
}

/**
 * Opens (and initialises) the log store the configuration names. `notice` gets one line when the search engine lacks
 * features its version would have (e.g. Elasticsearch without its data-streams module), naming the fallbacks.
 */
export async function openLogStore(
  config: Config,
  notice?: (line: string, details: Record<string, unknown>) => void,
): Promise<LogStore> {
  if (config.store.type === 'sqlite') {
    const { retention_days: maxAgeDays, retention_max_bytes: maxBytes } = config.store;
    const store = new BlockLogStore({
      path: join(config.data_dir, 'bulwark.db'),
      synchronous: config.store.synchronous,
      writer: config.store.writer,
      ...(maxAgeDays !== undefined || maxBytes !== undefined
        ? { retention: { ...(maxAgeDays !== undefined ? { maxAgeDays } : {}), ...(maxBytes !== undefined ? { maxBytes } : {}) } }
        : {}),
      ...(notice ? { onRetention: (pass) => notice('retention dropped the oldest event blocks', { ...pass }) } : {}),
    });
    await store.init();
    return store;
  }
  // The store owns the client (closed with it); init() detects the engine and fails fast, naming the engine found,
  // when BULWARK_STORE does not match it.
  const store = new SearchLogStore({
    engine: engineOptions(config),
    prefix: config.store.prefix,
    refresh: config.store.refresh,
    refreshInterval: config.store.refresh_interval,
    ...(config.store.retention_days ? { retention: { maxAgeDays: config.store.retention_days } } : {}),
    ...(notice ? { onMissingFeatures: notice } : {}),
  });
  await store.init();
  return store;
}

/**
 * API tokens: in the data directory's SQLite file in embedded mode; in scale mode in the search engine (the case
 * store's `tokens` collection), so a token minted through any process is accepted by every collector, api, correlator
 * and responder, and a revocation reaches them all within the authenticator's cache (10 s).
 */
export async function openTokenStore(config: Config): Promise<TokenStore> {
  const tokens: TokenStore =
    config.store.type === 'sqlite'
      ? new SqliteTokenStore({ path: join(config.data_dir, 'bulwark.db') })
      : new CaseTokenStore(new SearchCaseStore({ engine: engineOptions(config), prefix: config.store.prefix, refresh: true }));
  await tokens.init();
  return tokens;
}

/**
 * `derived`: a connection for records the correlator derives from stored events (alerts, their incidents). In WAL
 * mode, NORMAL skips the fsync per commit; a power loss can only drop the WAL's tail, and the bus cursor's later
 * commit is in that same tail, so the lost alerts are derived again from the events on restart. It spares the
 * embedded process's event loop four fsyncs per alert under an alert storm. People's changes keep the configured mode.
 *
 * Opens the case store (alerts, incidents, runs, audit) beside the log store: in embedded mode its tables live in the
 * same SQLite file (their own connection and schema version); in scale mode it uses the same engine and index prefix,
 * with writes that refresh the case index they wrote, so the next lookup sees them. `refresh=true` rather than
 * `wait_for`: recording one alert is a chain of dependent writes and lookups, and waiting for the periodic refresh
 * (1 s) at each step made a correlator record under one alert per two seconds (measured in the scale-mode e2e
 * suite); case indices are small and written far less often than logs, so an explicit refresh per write is cheap.
 */
export async function openCaseStore(config: Config, options: { derived?: boolean } = {}): Promise<CaseStore> {
  const store: CaseStore =
    config.store.type === 'sqlite'
      ? new SqliteCaseStore({ path: join(config.data_dir, 'bulwark.db'), synchronous: options.derived ? 'NORMAL' : config.store.synchronous })
      : new SearchCaseStore({ engine: engineOptions(config), prefix: config.store.prefix, refresh: true });
  await store.init();
  return store;
}
