/**
 * @bulwark/store: the LogStore and TokenStore ports, the search language, and the embedded SQLite adapters.
 * Services import the ports and `parseQuery`; only start-up wiring picks an adapter.
 */
export * from './port.js';
export type { QueryNode } from './query/ast.js';
export { parseQuery, MAX_QUERY_DEPTH } from './query/parse.js';
export { splitFieldPath } from './query/scanner.js';
export { parseTimestamp } from './query/time.js';
export { SqliteLogStore, MAX_PAGE_SIZE, MAX_BUCKETS, type SqliteLogStoreOptions } from './sqlite/log-store.js';
export { SqliteTokenStore, type SqliteTokenStoreOptions } from './sqlite/token-store.js';
export { eventToRow, type EventRow } from './sqlite/rows.js';
export {
  openDatabase,
  migrate,
  schemaVersion,
  SCHEMA_VERSION,
  type SqliteDatabase,
  type SqliteOpenOptions,
} from './sqlite/schema.js';
export { queryToSql, type SqlFragment } from './sqlite/translate.js';
