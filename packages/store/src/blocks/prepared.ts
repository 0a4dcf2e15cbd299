/**
 * A batch for the embedded store built into its blocks where the events are still objects: the collector's decode
 * task (inline or on a decode thread) lays the events out as columns, compresses them and builds each block's filter
 * and id keys, so the writer thread only checks ids and inserts (docs/ARCHITECTURE.md, "The embedded log store").
 * Before, every event was serialised to JSON and parsed again on the writer; then the writer still compressed and
 * filtered each batch while the HTTP thread laid it out — two saturated threads. Built this way, the per-event work
 * runs on as many decode threads as there are cores, and the writer's share is small.
 *
 * The blocks are built before the store knows which ids it already holds, so they assume every event is new. The
 * writer uses a block as is when all its events are new (the common case), and otherwise rebuilds the new events'
 * documents from the block's columns and builds them again (`documentsOf`): a retried batch costs what every batch
 * cost before, and the result is the same as for rows.
 *
 * Every byte of a batch's blocks lies in one buffer (`bytes`), so the batch crosses threads by transferring it, not
 * copying (`transferList`); the rest is plain data.
 */
import type { Event } from '@bulwark/schema';
import { eventKeys } from '../sqlite/rows.js';
import { buildBlock, timeSlices, type BuiltBlock } from './build.js';
import { decodeColumn, keysOfColumn, PRESENCE_DATA, PresenceTable, rebuildDocument, type Cell } from './columns.js';
import { unpackText } from './codec.js';

/** One built block (without arrival numbers) and the batch positions of its rows, in row order. */
export interface PreparedBlock {
  positions: number[];
  block: BuiltBlock;
}

/**
 * A batch of events as blocks; `ids`, `ts` and `keys` (`idKey`s) are per event in batch order, which positions index.
 * The blocks' own `idKeys` are left empty (the writer takes them from `keys`): numbers in typed arrays cross threads
 * as one copy, where arrays of them are cloned number by number.
 */
export interface ColumnBatch {
  ids: string[];
  ts: Float64Array;
  keys: Float64Array;
  blocks: PreparedBlock[];
  /** The buffer every block part is a view of. */
  bytes: ArrayBuffer;
}

/** What to transfer with a batch posted to another thread: its one buffer. */
export function transferList(batch: ColumnBatch): ArrayBuffer[] {
  return batch.bytes.byteLength > 0 ? [batch.bytes] : [];
}

/** Collects a request's good events, then builds them into blocks (`finish`), as the writer would have. */
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
    const keys = new Float64Array(this.ids.length);
    for (const [stream, positions] of this.streams) {
      for (const slice of timeSlices(positions, (i) => this.ts[i]!)) {
        const rows = slice.map((i) => ({ id: this.ids[i]!, ts: this.ts[i]!, doc: this.docs[i] as unknown as Record<string, unknown> }));
        const block = buildBlock(stream, rows);
        slice.forEach((position, row) => (keys[position] = block.idKeys[row]!));
        blocks.push({ positions: slice, block });
      }
    }
    return { ids: this.ids, ts: Float64Array.from(this.ts), keys, blocks, bytes: gather(blocks) };
  }
}

/** Copies every part of the blocks into one buffer and points the blocks at their copies; the buffer. */
function gather(blocks: PreparedBlock[]): ArrayBuffer {
  let total = 0;
  for (const { block } of blocks) {
    total += block.ts.length + block.filter.byteLength;
    for (const part of block.data) total += part.length;
  }
  const bytes = new ArrayBuffer(total);
  let at = 0;
  const place = (part: Uint8Array): Buffer => {
    const view = Buffer.from(bytes, at, part.byteLength);
    view.set(part);
    at += part.byteLength;
    return view;
  };
  for (const prepared of blocks) {
    const { block } = prepared;
    prepared.block = { ...block, ts: place(block.ts), filter: place(block.filter), data: block.data.map(place), idKeys: [] };
  }
  return bytes;
}

/**
 * One batch of several, in order (the parts of a request decoded apart, `bulk-cut.ts` in `@bulwark/ingest`): their
 * events one after another, their blocks as built (a part's blocks stay its own), every part's bytes copied into one
 * buffer — the blocks' compressed parts are a few percent of the request, so the copy is cheap.
 */
export function concatColumnBatches(batches: readonly ColumnBatch[]): ColumnBatch {
  if (batches.length === 1) return batches[0]!;
  const ids: string[] = [];
  let events = 0;
  let total = 0;
  for (const batch of batches) {
    events += batch.ids.length;
    total += batch.bytes.byteLength;
  }
  const ts = new Float64Array(events);
  const keys = new Float64Array(events);
  const bytes = new ArrayBuffer(total);
  const blocks: PreparedBlock[] = [];
  let first = 0;
  let base = 0;
  for (const batch of batches) {
    for (const id of batch.ids) ids.push(id);
    ts.set(batch.ts, first);
    keys.set(batch.keys, first);
    new Uint8Array(bytes, base).set(new Uint8Array(batch.bytes));
    // Each part of a block is a view into its batch's buffer (`gather`): the same view into the new one.
    const moved = (part: Buffer): Buffer => {
      if (part.buffer !== batch.bytes) throw new Error('a block part outside its batch buffer');
      return Buffer.from(bytes, base + part.byteOffset, part.byteLength);
    };
    for (const { positions, block } of batch.blocks) {
      blocks.push({
        positions: positions.map((position) => position + first),
        block: { ...block, ts: moved(block.ts), filter: moved(block.filter as Buffer), data: block.data.map(moved) },
      });
    }
    first += batch.ids.length;
    base += batch.bytes.byteLength;
  }
  return { ids, ts, keys, blocks, bytes };
}

/** Rows `rows` (indexes into the block) of a built block, rebuilt as documents from its compressed columns. */
export function documentsOf(block: BuiltBlock, rows: readonly number[]): Array<Record<string, unknown>> {
  let sets: number[][] | null = null;
  const presence = (): number[][] => (sets ??= PresenceTable.parse(unpackText(block.data[PRESENCE_DATA]!)));
  // The columns the schema names, each once (identical columns share one; the presence table is no column).
  const cells = new Map<number, Cell[]>();
  const cellsAt = (index: number): Cell[] => {
    let column = cells.get(index);
    if (!column) cells.set(index, (column = decodeColumn(unpackText(block.data[index]!), block.rows, presence)));
    return column;
  };
  const plan = block.schema.map(([name, index]) => ({ keys: keysOfColumn(name), cells: cellsAt(index) }));
  // Not copied: the cells were decoded for this call only, and the documents are only read (to build them again).
  return rows.map((row) => rebuildDocument(plan, row, false));
}
