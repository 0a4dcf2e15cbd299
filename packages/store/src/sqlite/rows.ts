/**
 * The row an event becomes in the `events` table, and the opaque page cursor. Kept apart from the store class so the
 * ingest benchmark can build rows outside its timed section and time `appendRows` alone: the "raw insert of the same
 * rows on the same schema" baseline the issue asks for.
 */
import { createHash } from 'node:crypto';
import { BulwarkError, type Event } from '@bulwark/schema';
import type { SerializedEvent, SortOrder } from '../port.js';
import { parseTimestamp } from '../query/time.js';

/** An event serialised for an append: the port's `SerializedEvent`. */
export type EventRow = SerializedEvent;

/** What every store form of an event starts from: its id, time and dataset, checked. */
export interface EventKeys {
  id: string;
  ts: number;
  dataset: string | null;
}

/**
 * The two fields the store cannot do without, checked, and the dataset (shared by `eventToRow` and the embedded
 * store's `ColumnBatchBuilder`).
 * @throws BulwarkError `BWK_INGEST_BAD_FIELD` naming the field and the event's position in the batch.
 */
export function eventKeys(event: Event, index: number): EventKeys {
  const meta = (event as { event?: { id?: unknown; dataset?: unknown } }).event;
  const id = meta?.id;
  if (typeof id !== 'string' || id === '') {
    throw new BulwarkError('BWK_INGEST_BAD_FIELD', `event ${index}: event.id must be a non-empty string`, {
      index,
      field: 'event.id',
    });
  }
  const timestamp = (event as { '@timestamp'?: unknown })['@timestamp'];
  const ts = typeof timestamp === 'string' ? parseTimestamp(timestamp) : null;
  if (ts === null) {
    throw new BulwarkError('BWK_INGEST_BAD_FIELD', `event ${index}: @timestamp must be an ISO 8601 date-time`, {
      index,
      field: '@timestamp',
    });
  }
  return { id, ts, dataset: typeof meta?.dataset === 'string' ? meta.dataset : null };
}

/**
 * Event to row: checks the two fields the store cannot do without and serialises the event once.
 * @throws BulwarkError `BWK_INGEST_BAD_FIELD` naming the field and the event's position in the batch.
 */
export function eventToRow(event: Event, index: number): EventRow {
  const { id, ts, dataset } = eventKeys(event, index);
  const message = (event as { message?: unknown }).message;
  return { id, ts, dataset, doc: JSON.stringify(event), message: typeof message === 'string' && message !== '' ? message : null };
}

/** Where a page ended: the last hit's `(ts, seq)`. */
export interface CursorPosition {
  ts: number;
  seq: number;
}

/**
 * A cursor is base64url JSON `{t, s, c}`: the position and a checksum over the position, the sort and the query, so
 * an edited cursor or one replayed against a different query or sort is refused instead of silently paging wrongly.
 * Not a secret or a signature: cursors carry nothing the caller may not see.
 */
export function encodeCursor(position: CursorPosition, fingerprint: string): string {
  const body = { t: position.ts, s: position.seq, c: checksum(position, fingerprint) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** @throws BulwarkError `BWK_BAD_PARAM` `{param:'cursor'}` when the cursor is not one we issued for this search. */
export function decodeCursor(cursor: string, fingerprint: string): CursorPosition {
  const bad = (why: string) =>
    new BulwarkError('BWK_BAD_PARAM', `invalid cursor: ${why}; start again without a cursor`, { param: 'cursor' });
  if (!/^[A-Za-z0-9_-]{1,512}$/.test(cursor)) throw bad('not a cursor this store issued');
  let body: unknown;
  try {
    body = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw bad('not a cursor this store issued');
  }
  const { t, s, c } = (body ?? {}) as { t?: unknown; s?: unknown; c?: unknown };
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(s) || typeof c !== 'string') {
    throw bad('not a cursor this store issued');
  }
  const position = { ts: t as number, seq: s as number };
  if (c !== checksum(position, fingerprint)) throw bad('it was altered or belongs to a different query or sort');
  return position;
}

/** What a cursor is bound to: the query and the sort (not the time range, which callers often recompute). */
export function searchFingerprint(query: unknown, sort: SortOrder): string {
  return `${sort}|${JSON.stringify(query)}`;
}

function checksum(position: CursorPosition, fingerprint: string): string {
  return createHash('sha256')
    .update(`${position.ts}|${position.seq}|${fingerprint}`)
    .digest('base64url')
    .slice(0, 16);
}
