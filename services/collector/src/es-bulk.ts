/**
 * The Elasticsearch document API as shippers use it: `_bulk` (NDJSON action/source pairs) and single-document
 * `_doc`/`_create`. Answers follow the Elasticsearch 8 bulk response: `{took, errors, items}` in request order, compact,
 * one item per action with its status — 201 created, 409 for a `create` of an id already stored, 200 `noop` for an
 * `index` of one, 400 with a reason for a bad record. Good items are stored even when others in the batch are bad.
 */
import type { Response } from 'express';
import type { RecordError } from '@bulwark/schema';
import type { LogStore } from '@bulwark/store';
import { unpackItems, WHOLE_ERROR, type ItemMeta } from './bulk-items.js';
import type { DecodeOutcome } from './decode-task.js';
import { bulkResponseText } from './es-bulk-text.js';
import { storeRows } from './ingest.js';

type ItemStatus = 'created' | 'duplicate' | 'error';

/** A good item's outcome: its status, and for an item the store refused, the store's reason. */
export interface ItemOutcome {
  status: ItemStatus;
  rejection?: { reason: string; type: string };
}

/** The Elasticsearch exception type a shipper expects for each of our record error codes. */
function esErrorType(error: RecordError): string {
  switch (error.code) {
    case 'BWK_INGEST_BAD_ACTION':
      return 'illegal_argument_exception';
    case 'BWK_INGEST_BAD_JSON':
    case 'BWK_INGEST_BAD_LINE':
    case 'BWK_INGEST_BAD_ENCODING':
      return 'x_content_parse_exception';
    default:
      return 'document_parsing_exception';
  }
}

function shards(): { total: number; successful: number; failed: number } {
  return { total: 1, successful: 1, failed: 0 };
}

/** One response item, keys in the order Elasticsearch writes them. */
export function bulkResponseItem(item: ItemMeta, outcome: ItemOutcome): Record<string, unknown> {
  const { status } = outcome;
  const _id = item.id ?? null;
  let body: Record<string, unknown>;
  if (outcome.rejection) {
    body = {
      _index: item.index,
      _id,
      status: 400,
      error: { type: outcome.rejection.type, reason: outcome.rejection.reason, bulwark_code: 'BWK_INGEST_BAD_FIELD', dead_letter: true },
    };
  } else if (status === 'error') {
    const error = item.error!;
    body = {
      _index: item.index,
      _id,
      status: 400,
      error: {
        type: esErrorType(error),
        reason: error.field ? `[${error.field}] ${error.message}` : error.message,
        bulwark_code: error.code,
        ...(error.field ? { field: error.field } : {}),
      },
    };
  } else if (status === 'duplicate' && item.action === 'create') {
    body = {
      _index: item.index,
      _id,
      status: 409,
      error: {
        type: 'version_conflict_engine_exception',
        reason: `[${_id}]: version conflict, document already exists (current version [1])`,
        index: item.index,
        bulwark_code: 'BWK_INGEST_DUPLICATE',
      },
    };
  } else if (status === 'duplicate') {
    body = { _index: item.index, _id, _version: 1, result: 'noop', _shards: shards(), _seq_no: 0, _primary_term: 1, status: 200 };
  } else {
    body = { _index: item.index, _id, _version: 1, result: 'created', _shards: shards(), _seq_no: 0, _primary_term: 1, status: 201 };
  }
  return { [item.requestedAction ?? item.action]: body };
}

/**
 * Stores the good items and returns each item's outcome, in request order. An item the store refused (a search
 * engine's mapping conflict: kept in its dead-letter index) becomes a 400 item carrying the engine's reason.
 */
/** The outcomes without a reason, shared by every item that has one (a request's thousand items allocate nothing). */
const STORED: Readonly<Record<'created' | 'duplicate' | 'error', ItemOutcome>> = Object.freeze({
  created: Object.freeze({ status: 'created' }),
  duplicate: Object.freeze({ status: 'duplicate' }),
  error: Object.freeze({ status: 'error' }),
});

export async function storeBulkItems(store: LogStore, decoded: DecodeOutcome): Promise<ItemOutcome[]> {
  const kinds = decoded.items?.kinds ?? new Uint8Array(0);
  const stored = await storeRows(store, decoded);
  const rejections = new Map((stored.rejected ?? []).map((r) => [r.position, r]));
  const outcomes: ItemOutcome[] = new Array(kinds.length);
  let k = 0;
  for (let i = 0; i < kinds.length; i++) {
    if (kinds[i] === WHOLE_ERROR) {
      outcomes[i] = STORED.error;
      continue;
    }
    const position = k++;
    const rejection = rejections.size > 0 ? rejections.get(position) : undefined;
    if (rejection) outcomes[i] = { status: 'error', rejection: { reason: rejection.reason, type: rejection.type } };
    else outcomes[i] = stored.statuses[position] === 'created' ? STORED.created : STORED.duplicate;
  }
  return outcomes;
}

export async function answerBulk(store: LogStore, decoded: DecodeOutcome, started: number, res: Response): Promise<void> {
  const outcomes = await storeBulkItems(store, decoded);
  // Written as text (`es-bulk-text.ts`): the same bytes as JSON.stringify of `bulkResponseItem`s, without the objects.
  const items = decoded.items ?? { kinds: new Uint8Array(0), text: '', ends: new Uint32Array(0), whole: [] };
  res.status(200).type('application/json').send(bulkResponseText(items, outcomes, Date.now() - started));
}

/** Single-document answer: the item body itself, with its status as the HTTP status. */
export async function answerSingleDoc(store: LogStore, decoded: DecodeOutcome, res: Response): Promise<void> {
  const item = unpackItems(decoded.items!)[0]!;
  const [outcome] = await storeBulkItems(store, decoded);
  const body = Object.values(bulkResponseItem(item, outcome!))[0] as Record<string, unknown>;
  const httpStatus = body.status as number;
  const { status: _s, ...rest } = body;
  res.status(httpStatus).json(httpStatus >= 400 ? { error: rest.error, status: httpStatus } : rest);
}
