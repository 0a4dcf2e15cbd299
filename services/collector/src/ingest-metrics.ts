/**
 * What the collector counts per ingest request (the catalogue is @bulwark/metrics' definitions): bytes as received,
 * events stored, records refused by code, whole requests refused by code, and the last time a source kind delivered
 * anything — a silent audit webhook or Falco is visible as a growing age on a dashboard. Every label is the source kind
 * the route speaks for and an error code from the catalogue: never text a sender wrote.
 */
import type { ErrorRequestHandler } from 'express';
import type { Metrics } from '@bulwark/metrics';
import type { SourceKind } from '@bulwark/schema';
import { itemErrors } from './bulk-items.js';
import type { DecodeOutcome } from './decode-task.js';
import { batchSize } from './store-batch.js';
import type { CountedToken, SourceCounters } from './source-counters.js';

/**
 * Where a request is also counted per source (route and token) for ingestion health (source-counters.ts); absent
 * where no health is kept (tests of the routes alone).
 */
export interface SourceTally {
  counters: SourceCounters | undefined;
  route: string;
}

/** The records of an answered request: events stored (duplicates of a retry included) and records refused. */
export function countIngested(metrics: Metrics, source: SourceKind, outcome: DecodeOutcome, tally?: SourceTally, token?: CountedToken): void {
  const stored = batchSize(outcome);
  metrics.inc('ingestEvents', { source }, stored);
  if (stored > 0) metrics.set('ingestLastEvent', { source }, Date.now() / 1000);
  const refused = [...outcome.errors, ...itemErrors(outcome.items)];
  for (const error of refused) metrics.inc('ingestRejectedRecords', { source, reason: error.code });
  if (tally?.counters) {
    tally.counters.accepted(tally.route, source, token, stored);
    tally.counters.rejectedRecords(tally.route, source, token, refused.map((e) => e.code));
  }
}

/** Last in a route's chain: counts a request refused whole (auth, source, size, body, store or bus), then passes it on. */
export function countRefusedRequests(metrics: Metrics, source: SourceKind, tally?: SourceTally): ErrorRequestHandler {
  return (err: unknown, req, _res, next) => {
    const code = (err as { code?: unknown } | null)?.code;
    const reason = typeof code === 'string' ? code : 'other';
    metrics.inc('ingestRejectedRequests', { source, reason });
    tally?.counters?.rejectedRequest(tally.route, source, req.principal, reason);
    next(err);
  };
}
