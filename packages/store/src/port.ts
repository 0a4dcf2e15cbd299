/**
 * The LogStore port: what every log store adapter (SQLite, Elasticsearch/OpenSearch) must do. Services depend on this
 * interface only; `test/contract` runs the same suite against every adapter (docs/ARCHITECTURE.md, "Ports, adapters
 * and contract suites").
 */
import type { Event, SourceKind } from '@bulwark/schema';
import type { QueryNode } from './query/ast.js';
import type { ColumnBatch } from './blocks/prepared.js';

/**
 * What happened to one event of an appended batch. `rejected`: the store refused this event (a search engine's
 * mapping conflict); it was kept in the store's dead-letter index and the sender should be told (HTTP 400 for that
 * bulk item) — see `AppendResult.rejected` for the reason. The SQLite store never rejects.
 */
export type AppendStatus = 'created' | 'duplicate' | 'rejected';

/** Why one event of a batch was refused (`AppendStatus` `rejected`). */
export interface AppendRejection {
  /** Index of the event in the appended batch. */
  position: number;
  /** The store's explanation, e.g. the engine's `failed to parse field [x] of type [long]`. */
  reason: string;
  /** The store's error type, e.g. `mapper_parsing_exception`. */
  type: string;
}

export interface AppendResult {
  /** One entry per input event, in input order. */
  statuses: AppendStatus[];
  created: number;
  duplicates: number;
  /** Present (and non-empty) only when some events were rejected, in position order. */
  rejected?: AppendRejection[];
}

export type SortOrder = 'asc' | 'desc';

export interface SearchRequest {
  /** Parsed query (see `parseQuery`); `{type:'all'}` matches everything. */
  query: QueryNode;
  /** Inclusive lower bound on `@timestamp`. */
  from?: Date;
  /** Exclusive upper bound on `@timestamp`. */
  to?: Date;
  /** Page size, 1..10000. */
  size: number;
  /** Opaque cursor from a previous page of the same request. */
  cursor?: string;
  /** By `@timestamp`, ties broken by arrival; default `desc` (newest first). */
  sort?: SortOrder;
}

export interface SearchResult {
  hits: Event[];
  /** Pass back as `cursor` for the next page; null when there is none. */
  cursor: string | null;
}

export interface HistogramRequest {
  query: QueryNode;
  from: Date;
  to: Date;
  /** Bucket width in milliseconds. */
  intervalMs: number;
}

export interface HistogramBucket {
  /** Bucket start, ISO 8601. */
  key: string;
  count: number;
}

export interface HistogramResult {
  intervalMs: number;
  /** Every bucket from `from` to `to`, empty ones included, oldest first. */
  buckets: HistogramBucket[];
  total: number;
}

/** Top values of some fields among the events a query matches (the explorer's field sidebar). */
export interface TopValuesRequest {
  query: QueryNode;
  /** Inclusive lower bound on `@timestamp`. */
  from?: Date;
  /** Exclusive upper bound on `@timestamp`. */
  to?: Date;
  /** Field names as the search language writes them (a dot inside a key escaped, `a\\.b`); 1..50 of them. */
  fields: string[];
  /** Values listed per field, 1..100; default 10. */
  size?: number;
}

export interface TopValue {
  value: string | number | boolean;
  /** Matching events carrying this value in the field (an event counts once per distinct value it carries). */
  count: number;
}

export interface FieldTopValues {
  field: string;
  /** Matching events carrying the field with at least one string, number or boolean value. */
  present: number;
  /** Most frequent first; equal counts in ascending order of the value's text. */
  values: TopValue[];
}

export interface TopValuesResult {
  /** Events the query matched in the range. */
  total: number;
  /** One entry per requested field, in request order. */
  fields: FieldTopValues[];
}

/** The events just before and after one event ("show context"), among those a query matches. */
export interface AroundRequest {
  /** `event.id` of the anchor; the anchor need not match `query`. */
  id: string;
  query: QueryNode;
  /** How many events before and after the anchor, each 0..1000. */
  before: number;
  after: number;
}

export interface AroundResult {
  /** The anchor, or null when no event has that id (then `before` and `after` are empty). */
  anchor: Event | null;
  /** Oldest first; events sharing the anchor's instant are split around it in the store's tie order (arrival). */
  before: Event[];
  /** Oldest first. */
  after: Event[];
}

/**
 * An event serialised once, where it was decoded (possibly on a decode thread), in the form every adapter can write
 * without touching the event object again. Built by `eventToRow`.
 */
export interface SerializedEvent {
  /** `event.id`, the idempotency key. */
  id: string;
  /** `@timestamp` as epoch milliseconds. */
  ts: number;
  /** `event.dataset`, or null. */
  dataset: string | null;
  /** The whole event as JSON. */
  doc: string;
  /** `message`, for full-text indexing, or null. */
  message: string | null;
  /**
   * The document already parsed, when the one handing the event over had it as an object (the embedded bus rebuilds
   * documents from columns): a consumer uses it instead of parsing `doc`, and must not change it.
   */
  parsed?: unknown;
  /**
   * The document with only the fields stored at paths `wanted` accepts (given a path's keys; objects along a kept path
   * included), for a consumer that knows every field it may read, such as the correlator matching rules: the embedded
   * bus then decompresses and rebuilds only those columns. Absent where events come as JSON. Must not be changed.
   */
  parsedPaths?(wanted: (keys: readonly string[]) => boolean): unknown;
}

export interface LogStore {
  /** Create tables/templates; idempotent. */
  init(): Promise<void>;
  /**
   * Append a batch atomically. Idempotent on `event.id`: an id already stored is reported `duplicate` and left as it is.
   * Resolves only once the batch is durable.
   */
  append(events: Event[]): Promise<AppendResult>;
  /** As `append`, for events already serialised by `eventToRow` (the collector's decode threads do this). */
  appendSerialized(rows: SerializedEvent[]): Promise<AppendResult>;
  /**
   * Present on the embedded store only: as `append`, for a batch laid out as that store's blocks by its
   * `ColumnBatchBuilder` where the events were decoded, so they are never serialised to JSON on the way. The collector
   * builds this form when its store has the method (a wrapper that needs the JSON rows, such as the publishing store in
   * front of a bus, does not offer it) and `SerializedEvent` rows otherwise. The events must hold JSON values only
   * (what decoders produce).
   */
  appendColumns?(batch: ColumnBatch): Promise<AppendResult>;
  get(id: string): Promise<Event | null>;
  search(req: SearchRequest): Promise<SearchResult>;
  histogram(req: HistogramRequest): Promise<HistogramResult>;
  /** Top values per field among the matching events, counted over every match in the range. */
  topValues(req: TopValuesRequest): Promise<TopValuesResult>;
  /** The matching events around one event, in the search order (`@timestamp`, ties by arrival). */
  around(req: AroundRequest): Promise<AroundResult>;
  /** True when the store can serve reads and writes (readiness). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

/** A bearer token as stored: only the hash of its secret is kept. */
export interface StoredToken {
  id: string;
  name: string;
  scopes: string[];
  hash: string;
  createdAt: string;
  revokedAt?: string | null;
  /**
   * The source kinds this token may speak for (docs/ARCHITECTURE.md, "Tokens and sources"): ingest routes refuse it where they speak for another kind,
   * and its events carry these in `bulwark.provenance.token_sources`. Absent: unrestricted (every kind).
   */
  sources?: SourceKind[];
  /**
   * The client certificate identity this token stands for (mTLS): a request whose TLS connection presented a verified
   * certificate matching every field given here authenticates as this token. Absent: no certificate does.
   */
  clientCert?: ClientCertBinding;
  /**
   * Present on a console session (docs/ARCHITECTURE.md, "Console sessions"): a secret exchanged for a token at sign-in,
   * kept in the same store so every process accepts it. It acts as its parent token while that token is live and the
   * session has not expired; it is never a bearer credential.
   */
  session?: SessionOfToken;
}

/** What makes a stored token a console session: the token it was made from and when it ends. */
export interface SessionOfToken {
  parentId: string;
  /** ISO 8601. */
  expiresAt: string;
}

/** A client certificate identity a token is bound to: at least one field; each given field must match. */
export interface ClientCertBinding {
  /** The subject's common name, exactly. */
  subjectCn?: string;
  /** One of the certificate's DNS subject alternative names (case-insensitively). */
  sanDns?: string;
  /** One of the certificate's URI subject alternative names, exactly (e.g. a SPIFFE id). */
  sanUri?: string;
}

/** Where API tokens live (hashed). */
export interface TokenStore {
  init(): Promise<void>;
  put(token: StoredToken): Promise<void>;
  getById(id: string): Promise<StoredToken | null>;
  list(): Promise<StoredToken[]>;
  revoke(id: string): Promise<boolean>;
  count(): Promise<number>;
  close(): Promise<void>;
}
