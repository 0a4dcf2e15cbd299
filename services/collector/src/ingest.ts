/**
 * The collector's one path for native protocols: decode → store → acknowledge. A record is acknowledged only once the
 * store has resolved (durable). Bad records never cost good ones: the good ones are stored and the answer is
 * `400 BWK_INGEST_REJECTED_RECORDS` listing each rejected record, so senders see exactly what to fix.
 */
import type { Response } from 'express';
import { BulwarkError, type RecordError } from '@bulwark/schema';
import type { AppendResult, LogStore } from '@bulwark/store';
import type { DecodeOutcome } from './decode-task.js';
import { appendBatch, batchIdAt, batchSize, type SerializedBatch } from './store-batch.js';

/** At most this many per-record errors are echoed back; the count is always exact. */
const MAX_ERRORS_ECHOED = 100;

export interface IngestSummary {
  accepted: number;
  created: number;
  duplicates: number;
  rejected: number;
  errors: RecordError[];
}

/** Stores serialised events; store failures surface as 503 so the sender retries (nothing was acknowledged). */
export async function storeRows(store: LogStore, batch: SerializedBatch): Promise<AppendResult> {
  if (batchSize(batch) === 0) return { created: 0, duplicates: 0, statuses: [] };
  try {
    return await appendBatch(store, batch);
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    throw new BulwarkError('BWK_STORE_UNAVAILABLE', 'the store could not take the batch; retry later', {
      reason: (err as Error).message,
    });
  }
}

/**
 * Stores the decoded records. A record the store refuses (a search engine's mapping conflict; it is kept in the
 * dead-letter index) is reported beside the records the decoder refused, as `BWK_STORE_REFUSED` with the engine's
 * reason: the record was well formed, so it is not a bad field of the request.
 */
export async function ingestDecoded(store: LogStore, decoded: DecodeOutcome): Promise<IngestSummary> {
  const stored = await storeRows(store, decoded);
  // Decoders can merge lines (partial container lines) or skip a stream's entries, so a stored row's record index is
  // not known here: such an error names the event id instead.
  const refused: RecordError[] = (stored.rejected ?? []).map((r) => ({
    index: -1,
    code: 'BWK_STORE_REFUSED',
    message: `event ${batchIdAt(decoded, r.position)}: the store refused it (${r.type}): ${r.reason}; kept in the dead-letter index`,
  }));
  const errors = [...decoded.errors, ...refused].sort((a, b) => a.index - b.index);
  return {
    accepted: batchSize(decoded) - refused.length,
    created: stored.created,
    duplicates: stored.duplicates,
    rejected: errors.length,
    errors,
  };
}

/** Sends the summary: 200 (or `okStatus`) when every record was good, else 400 with the details. */
export function answerIngest(res: Response, summary: IngestSummary, okStatus = 200): void {
  if (summary.rejected === 0) {
    if (okStatus === 204) {
      res.status(204).end();
      return;
    }
    res.status(okStatus).json({ accepted: summary.accepted, created: summary.created, duplicates: summary.duplicates, rejected: 0 });
    return;
  }
  const first = summary.errors[0]!;
  const err = new BulwarkError(
    'BWK_INGEST_REJECTED_RECORDS',
    `${summary.rejected} record(s) rejected, ${summary.accepted} stored; first: record ${first.index}${first.field ? ` field ${first.field}` : ''}: ${first.message}`,
    {
      accepted: summary.accepted,
      created: summary.created,
      duplicates: summary.duplicates,
      rejected: summary.rejected,
      errors: summary.errors.slice(0, MAX_ERRORS_ECHOED),
    },
  );
  res.status(err.status).json(err.toJSON());
}
