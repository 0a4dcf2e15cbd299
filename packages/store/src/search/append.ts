/**
 * `appendSerialized` for the search-engine store: serialised events (`SerializedEvent`, built once by `eventToRow`,
 * possibly on a decode thread) to `_bulk` `create` operations and back to an `AppendResult`.
 *
 * - Each event goes to the data stream of its dataset and namespace (`layout.ts`), with `_id` = `event.id`.
 * - Each event gets an arrival number, `bulwark_seq`, spliced in front of its JSON text (no re-serialisation): the
 *   tie-breaker for equal timestamps that SQLite gets from its rowid. It is removed again when documents are read.
 *   The arrival clock is microseconds since the epoch, strictly increasing in a process: arrival order within a
 *   process, roughly arrival time across processes, and it keeps increasing across restarts.
 * - An id repeated inside one batch is a `duplicate` of its first occurrence without reaching the engine (SQLite
 *   keeps the first too; sent together, two batches in flight could race for it).
 * - Events the engine refuses (mapping conflicts) are written to the dead-letter index with the reason, before the
 *   append resolves, and reported per position. If even that write fails, the append fails: nothing is dropped.
 */
import { createHash } from 'node:crypto';
import { BulwarkError } from '@bulwark/schema';
import type { AppendRejection, AppendResult, AppendStatus, SerializedEvent } from '../port.js';
import type { BulkDoc, BulkWriter } from './bulk.js';
import type { StreamNames } from './layout.js';
import { SEQ_FIELD } from './mapping.js';

/** Strictly increasing arrival numbers: epoch microseconds, or one more than the last when the clock lags. */
export class ArrivalClock {
  private last = 0;

  next(): number {
    const now = Date.now() * 1000;
    this.last = now > this.last ? now : this.last + 1;
    return this.last;
  }
}

/** The document with the arrival number as its first key. */
export function withArrival(doc: string, seq: number): string {
  return doc.length > 2 ? `{"${SEQ_FIELD}":${seq},${doc.slice(1)}` : `{"${SEQ_FIELD}":${seq}}`;
}

/**
 * `data_stream.namespace` of a serialised event, reading the JSON only when the text mentions `data_stream` (rare:
 * most events have no such field, and parsing every document would undo the decode threads' work).
 */
export function namespaceOf(doc: string): string | null {
  if (!doc.includes('"data_stream"')) return null;
  try {
    const ns = (JSON.parse(doc) as { data_stream?: { namespace?: unknown } }).data_stream?.namespace;
    return typeof ns === 'string' ? ns : null;
  } catch {
    return null;
  }
}

export interface AppendContext {
  writer: BulkWriter;
  streams: StreamNames;
  clock: ArrivalClock;
  deadLetterIndex: string;
  /** `_bulk` refresh for event writes (`wait_for`: searchable before the append resolves). */
  refresh: string;
}

export async function appendRows(ctx: AppendContext, rows: readonly SerializedEvent[]): Promise<AppendResult> {
  const statuses: AppendStatus[] = new Array(rows.length);
  const positions: number[] = [];
  const docs: BulkDoc[] = [];
  const seen = new Set<string>();
  rows.forEach((row, position) => {
    if (seen.has(row.id)) {
      statuses[position] = 'duplicate';
      return;
    }
    seen.add(row.id);
    positions.push(position);
    docs.push({
      index: ctx.streams.nameFor(row.dataset, namespaceOf(row.doc)),
      id: row.id,
      source: withArrival(row.doc, ctx.clock.next()),
    });
  });
  const outcomes = docs.length > 0 ? await ctx.writer.write(docs, ctx.refresh) : [];
  const rejected: AppendRejection[] = [];
  const letters: BulkDoc[] = [];
  outcomes.forEach((outcome, k) => {
    const position = positions[k]!;
    statuses[position] = outcome.status;
    if (outcome.status === 'rejected') {
      rejected.push({ position, reason: outcome.reason, type: outcome.type });
      letters.push(deadLetter(ctx.deadLetterIndex, rows[position]!, docs[k]!.index, outcome.type, outcome.reason));
    }
  });
  if (letters.length > 0) await writeDeadLetters(ctx, letters);
  let created = 0;
  let duplicates = 0;
  for (const status of statuses) {
    if (status === 'created') created++;
    else if (status === 'duplicate') duplicates++;
  }
  return { statuses, created, duplicates, ...(rejected.length > 0 ? { rejected } : {}) };
}

/**
 * A dead letter: the original event as text (not indexed: it is what the engine could not map), where it was going,
 * and why it was refused. Its id is a hash of target and text, so a shipper retrying the same refused event does not
 * pile up copies.
 */
function deadLetter(index: string, row: SerializedEvent, target: string, type: string, reason: string): BulkDoc {
  const id = createHash('sha256').update(`${target}\n${row.doc}`).digest('base64url').slice(0, 32);
  const source = JSON.stringify({
    '@timestamp': new Date().toISOString(),
    event: { id: row.id, ...(row.dataset !== null ? { dataset: row.dataset } : {}) },
    target_index: target,
    error: { type, reason },
    document: row.doc,
  });
  return { index, id, source };
}

async function writeDeadLetters(ctx: AppendContext, letters: BulkDoc[]): Promise<void> {
  // No refresh: a dead letter must be durable before we answer, not searchable at once.
  const outcomes = await ctx.writer.write(letters, 'false');
  const refused = outcomes.find((o) => o.status === 'rejected');
  if (refused && refused.status === 'rejected') {
    throw new BulwarkError('BWK_INTERNAL', `the dead-letter index ${ctx.deadLetterIndex} refused a document: ${refused.reason}`, {
      type: refused.type,
    });
  }
}
