/**
 * A large `_bulk` request decoded on several decode threads at once: the body cut before action lines
 * (`bulkCuts`, `@bulwark/ingest`), each part decoded as a request of its own, the outcomes put back together in order
 * as if the body had been decoded whole. With one thread per request, a shipper's two requests in flight left a core
 * idle whenever one of them was being committed and answered; cut in parts, a request's decoding fills every thread.
 */
import { bulkCuts } from '@bulwark/ingest';
import { concatColumnBatches, type ColumnBatch } from '@bulwark/store';
import type { RecordError } from '@bulwark/schema';
import { concatPackedItems, type PackedItems } from './bulk-items.js';
import type { DecodeOutcome, DecodeTask } from './decode-task.js';
import type { Decoder } from './decoder.js';

/** The task's body cut in up to `parts` pieces, each an owned copy (moved to its thread, not copied again). */
function partsOf(body: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const bounds = [0, ...cuts, body.byteLength];
  const parts: Uint8Array[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    parts.push(new Uint8Array(body.buffer.slice(body.byteOffset + bounds[i]!, body.byteOffset + bounds[i + 1]!)));
  }
  return parts;
}

const shifted = (error: RecordError, by: number): RecordError => ({ ...error, index: error.index + by });

/** The outcomes of consecutive parts as the outcome of the whole: items and records renumbered, events in order. */
export function joinOutcomes(outcomes: readonly DecodeOutcome[]): DecodeOutcome {
  const failed = outcomes.find((outcome) => outcome.failure);
  if (failed) return failed;
  const items: PackedItems[] = [];
  const errors: RecordError[] = [];
  const rows: DecodeOutcome['rows'] = [];
  const columns: ColumnBatch[] = [];
  let recordBase = 0;
  for (const outcome of outcomes) {
    if (outcome.items) items.push(outcome.items);
    for (const error of outcome.errors) errors.push(shifted(error, recordBase));
    for (const row of outcome.rows) rows.push(row);
    if (outcome.columns) columns.push(outcome.columns);
    recordBase += outcome.items?.kinds.length ?? outcome.rows.length + outcome.errors.length;
  }
  return {
    rows,
    errors,
    ...(items.length > 0 ? { items: concatPackedItems(items, shifted) } : {}),
    ...(columns.length > 0 ? { columns: concatColumnBatches(columns) } : {}),
  };
}

/**
 * Decodes a `_bulk` task on up to `decoder.threads` threads at once when its body is large enough to be worth cutting
 * (`bulkCuts`), else as one task.
 */
export async function decodeBulkTask(decoder: Decoder, task: DecodeTask): Promise<DecodeOutcome> {
  const body = Buffer.from(task.body.buffer, task.body.byteOffset, task.body.byteLength);
  const cuts = bulkCuts(body, decoder.threads);
  if (cuts.length === 0) return decoder.decode(task);
  const outcomes = await Promise.all(partsOf(task.body, cuts).map((part) => decoder.decode({ ...task, body: part })));
  return joinOutcomes(outcomes);
}
