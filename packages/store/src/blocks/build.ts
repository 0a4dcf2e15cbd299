/**
 * One block from the new events of one stream (docs/ARCHITECTURE.md, "The embedded log store"): the events as
 * columns, identical columns stored once, each column compressed apart so a query decompresses only the columns it
 * reads; the timestamps and arrival numbers as delta columns; a filter over every value and message word.
 */
import { BloomBuilder } from './bloom.js';
import { ColumnBuilder, encodeColumn, type Cell } from './columns.js';
import { packIntegers, packText } from './codec.js';
import { idKey } from './hash.js';
import { wordsOf } from './words.js';

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

/** The column every search by words reads. */
export const MESSAGE_COLUMN = '"message"';
/** Values longer than this are not put in the filter (a needle is short); a search for one reads the block. */
export const MAX_FILTERED_VALUE = 256;

/**
 * The block of `rows`, all but its arrival numbers: those are given inside the write transaction (`numbered`), so the
 * expensive part of a block is built while the store is not locked.
 */
export function buildBlock(stream: string, rows: readonly NewRow[]): BuiltBlock {
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
  const filter = new BloomBuilder();
  const schema: Array<[string, number]> = [];
  const data: Buffer[] = [];
  const byText = new Map<string, number>();
  let bytes = 0;
  const cellsOf: Cell[][] = [];
  const users = new Map<number, number>(); // data index → how many column names share it
  for (const [name, cells] of columns.columns) {
    const text = encodeColumn(cells);
    let index = byText.get(text);
    if (index === undefined) {
      index = data.length;
      const packed = packText(text);
      data.push(packed);
      cellsOf.push(cells);
      bytes += packed.length;
      byText.set(text, index);
    }
    users.set(index, (users.get(index) ?? 0) + 1);
    if (name === MESSAGE_COLUMN) addWords(filter, cells);
    schema.push([name, index]);
  }
  // Whole values of every column, except a message column of its own: messages are found by their words (and a whole
  // message is a phrase of its words), so keeping each line whole too only fills the filter. Its lines without a word
  // (`%%%`) are kept, as words cannot find them.
  const messageIndex = schema.find(([name]) => name === MESSAGE_COLUMN)?.[1];
  cellsOf.forEach((cells, index) => {
    if (index === messageIndex && users.get(index) === 1) addWordlessValues(filter, index, cells);
    else addValues(filter, index, cells);
  });
  const packedTs = packIntegers(ts);
  const bits = filter.bytes();
  bytes += packedTs.length + bits.byteLength;
  return {
    stream,
    rows: rows.length,
    minTs,
    maxTs,
    minSeq: 0,
    maxSeq: 0,
    ts: packedTs,
    seqs: Buffer.alloc(0),
    schema,
    data,
    filter: bits,
    idKeys: rows.map((row) => idKey(row.id)),
    bytes,
  };
}

function addWords(filter: BloomBuilder, cells: readonly Cell[]): void {
  for (const cell of cells) {
    if (typeof cell !== 'string') continue;
    for (const word of wordsOf(cell)) filter.addWord(word);
  }
}

function addWordlessValues(filter: BloomBuilder, index: number, cells: readonly Cell[]): void {
  for (const cell of cells) if (typeof cell === 'string' && cell.length <= MAX_FILTERED_VALUE && wordsOf(cell).length === 0) filter.addValue(index, cell);
}

/** Every string, number and boolean in the cells, at any depth, keyed by the column's data index. */
function addValues(filter: BloomBuilder, index: number, cells: readonly Cell[]): void {
  // Distinct values first: a column such as `verb` holds a handful of values a thousand times, and a Set lookup costs
  // less than hashing the value again.
  const distinct = new Set<string>();
  for (const cell of cells) addValue(distinct, cell, 0);
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
