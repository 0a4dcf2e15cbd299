/**
 * A batch for the embedded store laid out as its blocks where the events are still objects: the collector's decode
 * task builds it (inline or on a decode thread) instead of serialising each event to JSON, and the writer thread only
 * compresses and inserts it. Before this, each event was written out whole by `eventToRow` and parsed again on the
 * writer to be split into columns — the two largest costs of ingest, on both saturated threads (docs/ARCHITECTURE.md,
 * "The embedded log store").
 *
 * The blocks are laid out before the store knows which ids it already holds, so they assume every event is new. The
 * writer uses a block as is when all its events are new (the common case), and otherwise rebuilds the new events'
 * documents from the block's columns and lays them out again (`documentsOf`): a retried batch costs what every batch
 * cost before, and the result is the same as for rows.
 *
 * Everything here is plain data (strings, numbers, typed arrays), so a batch crosses threads by structured clone.
 */
import type { Event } from '@bulwark/schema';
import { eventKeys } from '../sqlite/rows.js';
import { layOutBlock, timeSlices, type LaidOutBlock, type NewRow } from './build.js';
import { decodeColumn, keysOfColumn, rebuildDocument } from './columns.js';

/** One laid-out block and the batch positions of its rows, in row order. */
export interface PreparedBlock {
  positions: number[];
  laid: LaidOutBlock;
}

/** A batch of events as blocks; `ids` and `ts` are per event in batch order, which block positions index. */
export interface ColumnBatch {
  ids: string[];
  ts: number[];
  blocks: PreparedBlock[];
}

/** Collects a request's good events, then lays them out as blocks (`finish`), as the writer would have. */
export class ColumnBatchBuilder {
  private readonly ids: string[] = [];
  private readonly ts: number[] = [];
  private readonly streams = new Map<string, number[]>();
  private readonly docs: Event[] = [];

  /**
   * Take an event (stored as it is: the builder reads it in `finish`, the caller must not change it afterwards).
   * @throws BulwarkError `BWK_INGEST_BAD_FIELD` as `eventToRow` does; the event is then not taken.
   */
  add(event: Event, index: number): void {
    const { id, ts, dataset } = eventKeys(event, index);
    const position = this.ids.length;
    this.ids.push(id);
    this.ts.push(ts);
    this.docs.push(event);
    const stream = dataset ?? '';
    let group = this.streams.get(stream);
    if (!group) this.streams.set(stream, (group = []));
    group.push(position);
  }

  get size(): number {
    return this.ids.length;
  }

  /** The blocks: per stream (`event.dataset`), sliced by time as the writer slices (`timeSlices`). */
  finish(): ColumnBatch {
    const blocks: PreparedBlock[] = [];
    for (const [stream, positions] of this.streams) {
      for (const slice of timeSlices(positions, (i) => this.ts[i]!)) {
        const rows: NewRow[] = slice.map((i) => ({ id: this.ids[i]!, ts: this.ts[i]!, doc: this.docs[i] as unknown as Record<string, unknown> }));
        blocks.push({ positions: slice, laid: layOutBlock(stream, rows) });
      }
    }
    return { ids: this.ids, ts: this.ts, blocks };
  }
}

/** Rows `rows` (indexes into the block) of a laid-out block, rebuilt as documents from its column texts. */
export function documentsOf(laid: LaidOutBlock, rows: readonly number[]): Array<Record<string, unknown>> {
  const cells = laid.texts.map((text) => decodeColumn(text, laid.rows));
  const plan = laid.schema.map(([name, index]) => ({ keys: keysOfColumn(name), cells: cells[index]! }));
  // Not copied: the cells were decoded for this call only, and the documents are only read (to lay them out again).
  return rows.map((row) => rebuildDocument(plan, row, false));
}
