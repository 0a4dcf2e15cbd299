/**
 * What the block writer takes and answers, in the forms that cross threads cheaply (docs/ARCHITECTURE.md, "The embedded
 * log store"): a laid-out batch may come without its ids (the typed keys decide; an id is read from the blocks only on
 * a key hit), and the answer is counts plus a byte per event. With them, the helpers that find which events are new by
 * their keys.
 */
import type { AppendResult, SerializedEvent } from '../port.js';
import { columnNameOf, decodeColumn, PRESENCE_DATA, PresenceTable } from './columns.js';
import { unpackText } from './codec.js';
import type { BuiltBlock } from './build.js';
import type { ColumnBatch } from './prepared.js';

export const ID_COLUMN = columnNameOf(['event', 'id']);

/**
 * A laid-out batch as the writer takes it. `ids` may be left out (a batch posted to the writer thread leaves them
 * behind: a thousand strings to clone for a check that needs only the typed `keys`); they are then read back from the
 * blocks' `event.id` columns, and only when a key hit must be confirmed.
 */
export type ColumnInput = Omit<ColumnBatch, 'ids'> & { readonly ids?: readonly string[] | undefined };

/**
 * What an append takes: events serialised as JSON rows (`eventToRow`: every caller but the collector), or a batch
 * already laid out as blocks where its events were decoded (`prepared.ts`: the collector's path, no JSON in between).
 */
export type AppendInput = readonly SerializedEvent[] | ColumnInput;

/**
 * An append's outcome in the form that crosses threads cheaply: `fresh` has a byte per event (1 created, 0 duplicate),
 * null when every event was created (the common case: nothing to send).
 */
export interface AppendCounts {
  created: number;
  duplicates: number;
  fresh: Uint8Array | null;
}

export const CREATED_ALL: AppendCounts = { created: 0, duplicates: 0, fresh: null };

/** The port's `AppendResult` of compact counts. */
export function appendResultOf({ created, duplicates, fresh }: AppendCounts): AppendResult {
  const statuses: AppendResult['statuses'] = fresh
    ? Array.from(fresh, (f) => (f === 1 ? 'created' : 'duplicate'))
    : new Array<'created'>(created).fill('created');
  return { statuses, created, duplicates };
}

export function isColumnBatch(input: AppendInput): input is ColumnInput {
  return !Array.isArray(input);
}

export function sizeOf(input: AppendInput): number {
  return isColumnBatch(input) ? input.keys.length : input.length;
}

/** A batch's ids by position, worked out at the first call that needs one. */
export class BatchIds {
  private ids: readonly string[] | null = null;

  constructor(private readonly input: AppendInput) {}

  at(position: number): string {
    this.ids ??= isColumnBatch(this.input) ? (this.input.ids ?? idsOfBlocks(this.input)) : this.input.map((row) => row.id);
    return this.ids[position]!;
  }
}

/** A laid-out batch's ids from its blocks' `event.id` columns, by batch position. */
function idsOfBlocks(batch: ColumnInput): string[] {
  const ids = new Array<string>(batch.keys.length).fill('');
  for (const { positions, block } of batch.blocks) {
    const index = block.schema.find(([name]) => name === ID_COLUMN)?.[1];
    if (index === undefined) continue;
    // Every event has an id, so this column is never sparse; the presence table is read only if it were.
    const presence = (): number[][] => PresenceTable.parse(unpackText(block.data[PRESENCE_DATA]!));
    const cells = decodeColumn(unpackText(block.data[index]!), block.rows, presence);
    for (let row = 0; row < positions.length; row++) {
      const cell = cells[row];
      ids[positions[row]!] = typeof cell === 'string' ? cell : '';
    }
  }
  return ids;
}

/**
 * Key → first batch position, per batch, by open addressing over typed arrays (reused from batch to batch): finds ids
 * repeated within a batch by their keys, comparing the ids themselves only when two keys are equal.
 */
export class RepeatFinder {
  private keys = new Float64Array(2048);
  private positions = new Int32Array(2048).fill(-1);

  /** Whether an earlier position in this batch holds the same id as `position` (then it is not recorded). */
  seenBefore(key: number, position: number, ids: BatchIds): boolean {
    const mask = this.keys.length - 1;
    let at = (key / 32_768) & mask;
    for (let earlier = this.positions[at]!; earlier !== -1; earlier = this.positions[at]!) {
      if (this.keys[at] === key && ids.at(earlier) === ids.at(position)) return true;
      at = (at + 1) & mask;
    }
    this.keys[at] = key;
    this.positions[at] = position;
    return false;
  }

  /** Empty, with room for `n` positions at most half full. */
  reset(n: number): void {
    let slots = this.keys.length;
    while (slots < 2 * n) slots *= 2;
    if (slots !== this.keys.length) {
      this.keys = new Float64Array(slots);
      this.positions = new Int32Array(slots);
    }
    this.positions.fill(-1);
  }
}

/**
 * A block that crossed from another thread has its parts as plain Uint8Array views (structured clone makes no Buffers):
 * viewed as Buffers again, without copying, for SQLite.
 */
export function asBuffers(block: BuiltBlock): BuiltBlock {
  return { ...block, ts: asBuffer(block.ts), filter: asBuffer(block.filter), data: block.data.map(asBuffer) };
}

function asBuffer(part: Uint8Array): Buffer {
  return Buffer.isBuffer(part) ? part : Buffer.from(part.buffer, part.byteOffset, part.byteLength);
}

/**
 * The batch's blocks with their streams in the order of each stream's first new event, as `planRows` takes them (the
 * builder ordered them by first event, new or not), so both paths insert blocks, and name new fields, in one order.
 */
export function inRowsOrder(batch: ColumnInput, fresh: Uint8Array): ColumnInput['blocks'] {
  if (batch.blocks.length < 2) return batch.blocks;
  const firstFresh = new Map<string, number>();
  for (const { positions, block } of batch.blocks) {
    for (const position of positions) {
      if (fresh[position] === 1 && position < (firstFresh.get(block.stream) ?? Infinity)) firstFresh.set(block.stream, position);
    }
  }
  const order = (stream: string) => firstFresh.get(stream) ?? Infinity;
  // Array.prototype.sort is stable: blocks of one stream keep their time order.
  return [...batch.blocks].sort((a, b) => order(a.block.stream) - order(b.block.stream));
}
