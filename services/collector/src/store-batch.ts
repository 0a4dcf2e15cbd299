/**
 * The form a request's good events are serialised in for the store, once, by the decode task (inline or on a decode
 * thread): JSON rows (`eventToRow`), which every store takes, or — when the store offers `appendColumns` (the embedded
 * store) — its blocks laid out straight from the event objects (`ColumnBatchBuilder`), so no event is written out as
 * JSON only to be parsed again on the store's writer thread (docs/ARCHITECTURE.md, "The embedded log store").
 */
import { BulwarkError, type Event } from '@bulwark/schema';
import { ColumnBatchBuilder, eventToRow, type AppendResult, type ColumnBatch, type LogStore, type SerializedEvent } from '@bulwark/store';

export type StoreForm = 'rows' | 'columns';

/** The form `store` takes: its own laid-out batches when it offers them. A wrapper that needs rows hides the method. */
export function storeFormOf(store: LogStore): StoreForm {
  return typeof store.appendColumns === 'function' ? 'columns' : 'rows';
}

/** Where the decode task puts each good event; `add` throws the event's record error (bad `event.id`/`@timestamp`). */
export interface EventSink {
  add(event: Event, index: number): void;
  /** The rows (empty for the columns form) and, for the columns form, the laid-out batch. */
  finish(): { rows: SerializedEvent[]; columns?: ColumnBatch };
}

export function eventSink(form: StoreForm): EventSink {
  if (form === 'columns') {
    const builder = new ColumnBatchBuilder();
    return {
      add: (event, index) => builder.add(event, index),
      finish: () => (builder.size > 0 ? { rows: [], columns: builder.finish() } : { rows: [] }),
    };
  }
  const rows: SerializedEvent[] = [];
  return {
    add: (event, index) => {
      rows.push(eventToRow(event, index));
    },
    finish: () => ({ rows }),
  };
}

/** What the decode task hands over: rows, or for the columns form the laid-out batch. */
export interface SerializedBatch {
  rows: SerializedEvent[];
  columns?: ColumnBatch | undefined;
}

/** How many good events the batch holds (the store's statuses and rejections index these positions). */
export function batchSize(batch: SerializedBatch): number {
  return batch.columns ? batch.columns.ids.length : batch.rows.length;
}

/** The `event.id` at a batch position. */
export function batchIdAt(batch: SerializedBatch, position: number): string | undefined {
  return batch.columns ? batch.columns.ids[position] : batch.rows[position]?.id;
}

/** Append the batch in its form. */
export function appendBatch(store: LogStore, batch: SerializedBatch): Promise<AppendResult> {
  if (!batch.columns) return store.appendSerialized(batch.rows);
  if (!store.appendColumns) throw new BulwarkError('BWK_INTERNAL', 'a laid-out batch reached a store without appendColumns');
  return store.appendColumns(batch.columns);
}
