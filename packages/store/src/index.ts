/**
 * @bulwark/store: the LogStore and TokenStore ports, the search language, and the embedded adapters (column blocks
 * with a SQLite catalog; SQLite for cases and tokens).
 * Services import the ports and `parseQuery`; only start-up wiring picks an adapter.
 */
export * from './port.js';
export type { QueryNode } from './query/ast.js';
export { parseQuery, MAX_QUERY_DEPTH } from './query/parse.js';
export { splitFieldPath } from './query/scanner.js';
export { parseTimestamp } from './query/time.js';
export { BlockLogStore, type BlockLogStoreOptions } from './blocks/log-store.js';
export type { RetentionLimits, RetentionPass } from './blocks/retention.js';
export { BlockOutbox, type OutboxRow } from './blocks/outbox.js';
export { ColumnBatchBuilder, concatColumnBatches, type ColumnBatch } from './blocks/prepared.js';
export { MAX_PAGE_SIZE, checkSearchRequest } from './paging-request.js';
export { MAX_BUCKETS, planHistogram, zeroFilled, type HistogramPlan } from './histogram.js';
export {
  DEFAULT_TOP_SIZE, FIELD_NAME_RE, MAX_AROUND, MAX_TOP_FIELDS, MAX_TOP_SIZE, checkAroundRequest, checkTopValuesRequest, compareTopValues,
} from './explore-request.js';
export { valuesAt, type ScalarValue } from './top-values.js';
export { SqliteTokenStore, type SqliteTokenStoreOptions } from './sqlite/token-store.js';
export { CaseTokenStore } from './case-token-store.js';
export { eventToRow, type EventRow } from './sqlite/rows.js';
export {
  openDatabase,
  migrate,
  schemaVersion,
  SCHEMA_VERSION,
  type SqliteDatabase,
  type SqliteOpenOptions,
} from './sqlite/schema.js';
export {
  CASE_COLLECTIONS,
  MAX_CASE_PAGE_SIZE,
  MAX_CASE_ID_BYTES,
  type CaseCollection,
  type MutableCaseCollection,
  type CaseRecord,
  type Versioned,
  type CreateResult,
  type CreateOptions,
  type CaseFilterValue,
  type CaseQuery,
  type CaseRange,
  type CaseGroupQuery,
  type CaseGroup,
  type CasePage,
  type CaseStore,
} from './case-port.js';
export { SqliteCorrelationState, type SqliteCorrelationStateOptions } from './sqlite/correlation-state.js';
export { SqliteCaseStore, migrateCaseTables, CASE_SCHEMA_VERSION, type SqliteCaseStoreOptions } from './sqlite/case-store.js';
export { SearchCaseStore, type SearchCaseStoreOptions } from './search/case-store.js';
export { CASE_MAPPINGS, caseIndexName, type CaseIndexSettings } from './search/case-mappings.js';
export { createEngineClient, type EngineClient, type EngineInfo, type EngineKind, type SearchEngineOptions } from './search/client.js';
export { SearchLogStore, type SearchLogStoreOptions } from './search/log-store.js';
export { type BulkOptions } from './search/bulk.js';
export { listDataStreams, type RetentionOptions, type RetentionReport, type StreamIndices } from './search/retention.js';
export { missingFeaturesLine, type EngineDialect, type MissingFeature, type RetentionMode } from './search/engine.js';
export { queryToDsl } from './search/translate.js';
export {
  BACKUP_MANIFEST, DATA_DIR_DATABASES, backupDataDir, databaseInUse, restoreDataDir, verifyBackup, type BackupManifest,
} from './sqlite/backup.js';
