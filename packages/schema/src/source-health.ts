/**
 * Ingestion health: what each collector process counts per source — an ingest route and the token sending on it —
 * and flushes every few seconds into the case store's `sources` collection, one record per process, route and token
 * (so processes never write each other's records). The api sums a source's records across processes
 * (`GET /v1/sources`). Reasons are error codes from the catalogue (or `other`): never text a sender wrote.
 */
import type { SourceKind } from './provenance.js';

/** One flushed sample of a record's running event total, for events/s over the last minute. */
export interface SourceSample {
  /** Epoch milliseconds of the flush. */
  t: number;
  events: number;
}

export interface SourceHealthRecord {
  /** `src-<instance>-<hash of route and token id>`. */
  id: string;
  /** The collector process that owns the record (random per start). */
  instance: string;
  /** The route as the decoder declares it, e.g. `/v1/ingest/logs`, `/{index}/_bulk`. */
  route: string;
  /** '' for requests refused before a token was known (missing, unknown or revoked, or without the ingest scope). */
  token_id: string;
  token_name: string;
  /** The source kind the route speaks for. */
  source: SourceKind;
  /** Events stored since the process started (a retried batch's duplicates included). */
  events_total: number;
  /** Records refused, by error code. */
  rejected_records: Record<string, number>;
  /** Whole requests refused, by error code. */
  rejected_requests: Record<string, number>;
  /** When events were last stored (ISO), null before the first. */
  last_seen: string | null;
  /** When this process started counting (ISO). */
  started_at: string;
  /** When this record was last written (ISO); records of processes gone this long are pruned. */
  flushed_at: string;
  /**
   * Event totals at recent flushes, oldest first: the last 90 seconds' and the newest one before them (the baseline
   * of the last minute), the first being `{ t: started, events: 0 }`.
   */
  recent: SourceSample[];
}

/** How far back `recent` reaches: more than the minute events/s is computed over, by one flush at least. */
export const SOURCE_SAMPLE_SPAN_MS = 90_000;
/** The window of `events_per_s`. */
export const SOURCE_RATE_WINDOW_MS = 60_000;
/** A source silent longer than this is no longer watched for stopping (it is gone, not stopped). */
export const SOURCE_WATCH_MS = 3_600_000;
/** Records not flushed for this long belong to processes gone long ago: removed. */
export const SOURCE_PRUNE_AFTER_MS = 24 * 3_600_000;
