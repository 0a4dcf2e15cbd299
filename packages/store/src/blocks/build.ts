/**
 * One block from the new events of one stream (docs/ARCHITECTURE.md, "The embedded log store"): the events as
 * columns, identical columns stored once, each column compressed apart so a query decompresses only the columns it
 * reads; the timestamps and arrival numbers as delta columns; a filter over every value and message word.
 */
import { BloomBuilder } from './bloom.js';
import { ColumnBuilder, encodeColumn, isSparse, PRESENCE_DATA, PresenceTable, type Cell } from './columns.js';
import { packHexIds, packIntegers, packText } from './codec.js';
import { idKey } from './hash.js';
import { hasWord, wordsOf } from './words.js';

/** An event about to be stored: its id, `@timestamp` (ms) and document; its arrival number once it has one. */
export interface NewRow {
  id: string;
  ts: number;
  seq?: number;
  doc: Record<string, unknown>;
}

export interface BuiltBlock {
  stream: string;
  rows: number;
  minTs: number;
  maxTs: number;
  minSeq: number;
  maxSeq: number;
  ts: Buffer;
  seqs: Buffer;
  /** Column name → index into `data`; several names share an index when their columns are identical. */
  schema: Array<[name: string, data: number]>;
  data: Buffer[];
  filter: Uint8Array;
  /** `idKey` of each row's id, in row order. */
  idKeys: number[];
  /** Stored bytes of the block's parts (data, filter, delta columns): what size-based retention counts. */
  bytes: number;
}

/** The block with its rows' arrival numbers, in row order. */
export function numbered(block: BuiltBlock, seqs: readonly number[]): BuiltBlock {
  let minSeq = Infinity;
  let maxSeq = -Infinity;
  for (const seq of seqs) {
    if (seq < minSeq) minSeq = seq;
    if (seq > maxSeq) maxSeq = seq;
  }
  const packed = packIntegers(seqs);
  return { ...block, minSeq, maxSeq, seqs: packed, bytes: block.bytes + packed.length };
}

/**
 * Most rows in one block; a larger batch of one stream becomes several blocks. A page of results rebuilds each hit from
 * every column of its block, so a hit scattered among 2,500-row blocks cost ~6 MB of column text to decompress
 * (bench:explorer: one pod's newest 100 events took 300 ms); at 1,024 rows compression loses little.
 */
export const MAX_BLOCK_ROWS = 1024;
/** Two rows this far apart in time go to different blocks (see `timeSlices`). */
export const BLOCK_TIME_GAP_MS = 60_000;

/**
 * A stream's rows of one batch, ordered by time and cut where consecutive rows are more than `BLOCK_TIME_GAP_MS`
 * apart, and at `MAX_BLOCK_ROWS`: a shipper that forwards two sources with different delays (or a backfill beside live
 * lines) sends one request spanning far-apart times, and a block holding both would have a time range covering the
 * gap, so every search for recent events would have to read it. Rows sorted by time also make the time column's
 * deltas small. Ties keep the batch's order.
 */
export function timeSlices(positions: readonly number[], tsOf: (position: number) => number): number[][] {
  const sorted = [...positions].sort((a, b) => tsOf(a) - tsOf(b) || a - b);
  const slices: number[][] = [];
  let slice: number[] = [];
  for (const position of sorted) {
    const last = slice[slice.length - 1];
    if (last !== undefined && (slice.length >= MAX_BLOCK_ROWS || tsOf(position) - tsOf(last) > BLOCK_TIME_GAP_MS)) {
      slices.push(slice);
      slice = [];
    }
    slice.push(position);
  }
  if (slice.length > 0) slices.push(slice);
  return slices;
}

/** The column every search by words reads. */
export const MESSAGE_COLUMN = '"message"';
/** Values longer than this are not put in the filter (a needle is short); a search for one reads the block. */
export const MAX_FILTERED_VALUE = 256;

/** A block's columns before compression: the column texts (identical columns once), their cells and the times. */
interface LaidOutBlock {
  stream: string;
  rows: number;
  minTs: number;
  maxTs: number;
  ts: Float64Array;
  /** Column name → index into `texts`, as `BuiltBlock.schema`. */
  schema: Array<[name: string, data: number]>;
  /** Each distinct column as `encodeColumn` text, or already as its stored bytes (a column of hex ids, `packHexIds`). */
  texts: Array<string | Buffer>;
  /** Each distinct column's cells, for the filter. */
  cells: Cell[][];
  /** Each distinct column's distinct values when it was stored by dictionary (the filter needs no other pass). */
  distinct: Array<string[] | undefined>;
  /** Whether each distinct column's strings mostly differ (`EncodedColumn.varied`). */
  varied: boolean[];
}

/**
 * The block of `rows`, all but its arrival numbers: those are given inside the write transaction (`numbered`), so the
 * expensive part of a block is built while the store is not locked — on the collector's path, on a decode thread
 * (`prepared.ts`).
 */
export function buildBlock(stream: string, rows: readonly NewRow[]): BuiltBlock {
  const laid = layOut(stream, rows);
  const filter = filterOf(laid);
  const data = laid.texts.map((text) => (typeof text === 'string' ? packText(text) : text));
  const packedTs = packIntegers(laid.ts);
  let bytes = packedTs.length + filter.byteLength;
  for (const packed of data) bytes += packed.length;
  return {
    stream,
    rows: laid.rows,
    minTs: laid.minTs,
    maxTs: laid.maxTs,
    minSeq: 0,
    maxSeq: 0,
    ts: packedTs,
    seqs: Buffer.alloc(0),
    schema: laid.schema,
    data,
    filter,
    idKeys: rows.map((row) => idKey(row.id)),
    bytes,
  };
}

function layOut(stream: string, rows: readonly NewRow[]): LaidOutBlock {
  const columns = new ColumnBuilder(rows.length);
  const ts = new Float64Array(rows.length);
  let minTs = Infinity;
  let maxTs = -Infinity;
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i]!;
    columns.add(i, row.doc);
    ts[i] = row.ts;
    if (row.ts < minTs) minTs = row.ts;
    if (row.ts > maxTs) maxTs = row.ts;
  }
  const schema: Array<[string, number]> = [];
  const texts: Array<string | Buffer> = [];
  // Identical columns are found by length first: a map keyed by the texts would hash every column's whole text.
  const byLength = new Map<number, number[]>();
  const idColumns: number[] = [];
  const cells: Cell[][] = [];
  const distinct: Array<string[] | undefined> = [];
  const varied: boolean[] = [];
  // A block with a sparse column keeps its presence table at data index 0 (`PRESENCE_DATA`), no column's name.
  const presence = new PresenceTable();
  let sparse = false;
  for (const column of columns.columns.values()) {
    if (isSparse(column)) {
      sparse = true;
      break;
    }
  }
  if (sparse) {
    texts.push('');
    cells.push([]);
    distinct.push(undefined);
    varied.push(false);
  }
  for (const [name, column] of columns.columns) {
    const first = column[0];
    const ids = typeof first === 'string' && first.length === 32 ? packHexIds(column) : undefined;
    if (ids) {
      // Compared as bytes with the block's other id columns only (one field's ids copied into another are stored once).
      let index = idColumns.find((i) => ids.equals(texts[i] as Buffer));
      if (index === undefined) {
        index = texts.length;
        idColumns.push(index);
        texts.push(ids);
        cells.push(column);
        distinct.push(undefined);
        varied.push(true);
      }
      schema.push([name, index]);
      continue;
    }
    const encoded = encodeColumn(column, presence);
    const text = encoded.text;
    let sameLength = byLength.get(text.length);
    let index = sameLength?.find((i) => texts[i] === text);
    if (index === undefined) {
      index = texts.length;
      texts.push(text);
      cells.push(column);
      distinct.push(encoded.distinct);
      varied.push(encoded.varied === true);
      if (!sameLength) byLength.set(text.length, (sameLength = []));
      sameLength.push(index);
    }
    schema.push([name, index]);
  }
  if (sparse) texts[PRESENCE_DATA] = presence.text();
  return { stream, rows: rows.length, minTs, maxTs, ts, schema, texts, cells, distinct, varied };
}

/** Every value of every column under its data index, and the message column's words. */
function filterOf(laid: LaidOutBlock): Uint8Array {
  const { cells, distinct, varied } = laid;
  const filter = new BloomBuilder();
  const users = new Map<number, number>(); // data index → how many column names share it
  let messageIndex: number | undefined;
  for (const [name, index] of laid.schema) {
    users.set(index, (users.get(index) ?? 0) + 1);
    if (name === MESSAGE_COLUMN) {
      messageIndex = index;
      addWords(filter, distinct[index] ?? cells[index]!);
    }
  }
  // Whole values of every column, except a message column of its own: messages are found by their words (and a whole
  // message is a phrase of its words), so keeping each line whole too only fills the filter. Its lines without a word
  // (`%%%`) are kept, as words cannot find them.
  cells.forEach((column, index) => {
    const values = distinct[index];
    if (index === messageIndex && users.get(index) === 1) addWordlessValues(filter, index, values ?? column);
    else if (values) addDistinctValues(filter, index, values);
    else addValues(filter, index, column, varied[index]!);
  });
  return filter.bytes();
}

function addWords(filter: BloomBuilder, cells: readonly Cell[]): void {
  for (const cell of cells) {
    if (typeof cell !== 'string') continue;
    for (const word of wordsOf(cell)) filter.addWord(word);
  }
}

function addWordlessValues(filter: BloomBuilder, index: number, cells: readonly Cell[]): void {
  for (const cell of cells) if (typeof cell === 'string' && cell.length <= MAX_FILTERED_VALUE && !hasWord(cell)) filter.addValue(index, cell);
}

/** A dictionary column's values, distinct already. */
function addDistinctValues(filter: BloomBuilder, index: number, values: readonly string[]): void {
  for (const value of values) if (value.length <= MAX_FILTERED_VALUE) filter.addValue(index, value);
}

/** Every string, number and boolean in the cells, at any depth, keyed by the column's data index. */
function addValues(filter: BloomBuilder, index: number, cells: readonly Cell[], varied: boolean): void {
  // Distinct values first: a column such as `verb` holds a handful of values a thousand times, and a Set lookup costs
  // less than hashing the value again. Not for a column whose strings mostly differ (`varied`: ids, times): there the
  // Set only adds its own hashing, and the rare repeat costs one more filter entry.
  const distinct = new Set<string>();
  for (const cell of cells) {
    if (varied && typeof cell === 'string') {
      if (cell.length <= MAX_FILTERED_VALUE) filter.addValue(index, cell);
    } else {
      addValue(distinct, cell, 0);
    }
  }
  for (const value of distinct) filter.addValue(index, value);
}

function addValue(distinct: Set<string>, value: unknown, depth: number): void {
  if (value === undefined || value === null || depth > 64) return;
  if (typeof value === 'string') {
    if (value.length <= MAX_FILTERED_VALUE) distinct.add(value);
  } else if (typeof value === 'number' || typeof value === 'boolean') {
    distinct.add(String(value));
  } else if (Array.isArray(value)) {
    for (const item of value) addValue(distinct, item, depth + 1);
  } else if (typeof value === 'object') {
    for (const key in value) addValue(distinct, (value as Record<string, unknown>)[key], depth + 1);
  }
}
