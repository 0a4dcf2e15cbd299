/**
 * What the collector counts per ingest request (the catalogue is @bulwark/metrics' definitions): bytes as received,
 * events stored, records refused by code, whole requests refused by code, and the last time a source kind delivered
 * anything — a silent audit webhook or Falco is visible as a growing age on a dashboard. Every label is the source kind
 * the route speaks for and an error code from the catalogue: never text a sender wrote.
 */
import type { ErrorRequestHandler } from 'express';
import type { Metrics } from '@bulwark/metrics';
import type { SourceKind } from '@bulwark/schema';
import type { DecodeOutcome } from './decode-task.js';

/** The records of an answered request: events stored (duplicates of a retry included) and records refused. */
export function countIngested(metrics: Metrics, source: SourceKind, outcome: DecodeOutcome): void {
  metrics.inc('ingestEvents', { source }, outcome.rows.length);
  if (outcome.rows.length > 0) metrics.set('ingestLastEvent', { source }, Date.now() / 1000);
  const refused = [...outcome.errors, ...(outcome.items ?? []).flatMap((item) => (item.error ? [item.error] : []))];
  for (const error of refused) metrics.inc('ingestRejectedRecords', { source, reason: error.code });
}

/** Last in a route's chain: counts a request refused whole (auth, source, size, body, store or bus), then passes it on. */
export function countRefusedRequests(metrics: Metrics, source: SourceKind): ErrorRequestHandler {
  return (err: unknown, _req, _res, next) => {
    const code = (err as { code?: unknown } | null)?.code;
    metrics.inc('ingestRejectedRequests', { source, reason: typeof code === 'string' ? code : 'other' });
    next(err);
  };
}
