/**
 * Events to columns and back (docs/ARCHITECTURE.md, "The embedded log store"). A block's events are split into one
 * column per leaf path: a string, number, boolean or null, an array of those (kept whole: a multi-valued field), an
 * empty object, or an array holding objects (kept whole as an opaque value; a search walks into it). Every other object
 * is only a path. So a document is stored once, field by field, and rebuilt exactly (key order aside) from its columns.
 *
 * A column's name is its path as JSON strings joined by commas (`"kubernetes","audit","verb"`): unambiguous for any
 * key, dots included, and turned back into keys with one `JSON.parse`.
 */

export type Scalar = string | number | boolean | null;
/** What a column holds for one row; `undefined` where the row does not have the path. */
export type Cell = Scalar | Scalar[] | Record<string, unknown> | unknown[] | undefined;

const PLAIN_KEY = /^[A-Za-z0-9_@./-]*$/;
const quotedKeys = new Map<string, string>();

/** A key as it appears in a column name; plain keys (nearly all) skip JSON.stringify and are remembered. */
function quoted(key: string): string {
  let q = quotedKeys.get(key);
  if (q === undefined) {
    q = PLAIN_KEY.test(key) ? `"${key}"` : JSON.stringify(key);
    if (quotedKeys.size < 100_000) quotedKeys.set(key, q);
  }
  return q;
}

/** The column name of a field path (keys as `splitFieldPath` gives them). */
export function columnNameOf(keys: readonly string[]): string {
  return keys.map(quoted).join(',');
}

/** The keys of a column name. */
export function keysOfColumn(name: string): string[] {
  return JSON.parse(`[${name}]`) as string[];
}

function isScalar(value: unknown): value is Scalar {
  return value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

/** A path seen in some block: its column name, and its children by key. Shared across blocks to spare string work. */
interface PathNode {
  name: string;
  children: Map<string, PathNode>;
  /** This block's cells for the path, or null when the current block has none yet. */
  cells: Cell[] | null;
  /** The builder that owns `cells`. */
  owner: ColumnBuilder | null;
}

/** Paths remembered across blocks; past this many, a builder starts a fresh tree (unusual, unbounded key sets). */
const MAX_PATHS = 50_000;
let root: PathNode = { name: '', children: new Map(), cells: null, owner: null };
let paths = 0;

function child(node: PathNode, key: string): PathNode {
  let next = node.children.get(key);
  if (!next) {
    next = { name: node.name === '' ? quoted(key) : `${node.name},${quoted(key)}`, children: new Map(), cells: null, owner: null };
    node.children.set(key, next);
    paths++;
  }
  return next;
}

/** Columns of a block being built: name → one cell per row (holes where a row lacks the path), in first-seen order. */
export class ColumnBuilder {
  readonly columns = new Map<string, Cell[]>();
  private readonly root: PathNode;
  /**
   * `rows` undefined cells, copied for each column. Built by `push`, not `new Array(rows)`: V8 keeps such an array
   * "packed", and JSON.stringify (`encodeColumn`) writes a packed array markedly faster than a holey one.
   */
  private readonly blank: Cell[] = [];

  constructor(readonly rows: number) {
    if (paths > MAX_PATHS) {
      root = { name: '', children: new Map(), cells: null, owner: null };
      paths = 0;
    }
    this.root = root;
    for (let i = 0; i < rows; i++) this.blank.push(undefined);
  }

  /** Add row `row`'s document. */
  add(row: number, doc: Record<string, unknown>): void {
    this.walk(doc, this.root, row);
  }

  private walk(object: Record<string, unknown>, node: PathNode, row: number): void {
    for (const key in object) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) continue;
      const value = object[key];
      if (value === undefined) continue;
      const next = child(node, key);
      if (isScalar(value) || Array.isArray(value)) {
        this.cell(next, row, value as Cell);
      } else if (typeof value === 'object') {
        let empty = true;
        for (const k in value) {
          if (Object.prototype.hasOwnProperty.call(value, k)) {
            empty = false;
            break;
          }
        }
        if (empty) this.cell(next, row, {});
        else this.walk(value as Record<string, unknown>, next, row);
      }
    }
  }

  private cell(node: PathNode, row: number, value: Cell): void {
    if (node.owner !== this) {
      node.owner = this;
      node.cells = this.blank.slice();
      this.columns.set(node.name, node.cells);
    }
    node.cells![row] = value;
  }
}

/** A column's stored text, and its distinct values when it was stored by dictionary (see `encodeColumn`). */
export interface EncodedColumn {
  text: string;
  /**
   * The distinct values of a dictionary-encoded column, in first-seen order, or a constant column's one value as the
   * filter keys it (numbers and booleans as text, null as nothing); absent for other encodings.
   */
  distinct?: string[];
  /** The dictionary was given up because its strings mostly differ (ids, times, URIs): not worth deduplicating. */
  varied?: boolean;
}

/**
 * A column of few distinct strings is stored as its distinct values and one index per present row: a block's `verb`,
 * `kind` or namespace repeats a handful of values a thousand times, and writing the indices instead of the repeated
 * text makes the JSON ~10× smaller, which is less to serialise and less for the compressor to search (together a
 * sixth of building a block). Past this share of distinct values the dictionary is given up.
 */
const DICTIONARY_SHARE = 4;
/** The rows looked at before a column that is mostly distinct (ids, timestamps, URIs) gives up on a dictionary. */
const DICTIONARY_PROBE = 64;

/** The present cells as a dictionary, or null when they are not all strings or too many of them differ. */
function dictionaryOf(values: readonly Cell[]): { keys: string[]; indices: number[] } | 'varied' | null {
  const n = values.length;
  if (n < DICTIONARY_PROBE) return null;
  const limit = Math.max(1, Math.floor(n / DICTIONARY_SHARE));
  // Given up early only for strings that nearly all differ (ids, times): a column of 40 pod names repeats them over a
  // block but shows 30 of them in its first 64 rows, and is worth its dictionary (and 40 filter entries, not 700).
  const probeLimit = Math.floor((DICTIONARY_PROBE * 3) / 4);
  const index = new Map<string, number>();
  const keys: string[] = [];
  const indices: number[] = [];
  for (let i = 0; i < n; i++) {
    const value = values[i];
    if (typeof value !== 'string') return null;
    let k = index.get(value);
    if (k === undefined) {
      k = keys.length;
      if (i < DICTIONARY_PROBE && k >= probeLimit) return 'varied';
      if (k >= limit) return null; // repeats enough that the filter still wants its values deduplicated
      index.set(value, k);
      keys.push(value);
    }
    indices.push(k);
  }
  return { keys, indices };
}

/**
 * The one scalar every present cell holds, when they all hold the same: about half the columns of a block are such
 * (`data_stream.*`, `event.ingested`, the provenance stamps, an audit event's `kind` and `apiVersion`). Stored as that
 * value alone, such a column costs no index per row, and, being short, no compressor call (~15 µs each in Node's zlib,
 * whatever the input's size: as much as compressing the block's messages).
 */
function constantOf(values: readonly Cell[]): Scalar | undefined {
  const n = values.length;
  if (n < 2) return undefined;
  const first = values[0];
  if (first === undefined || (first !== null && typeof first === 'object')) return undefined;
  for (let i = 1; i < n; i++) if (values[i] !== first) return undefined;
  return first;
}

/**
 * The rows of a block where its sparse columns have values, each distinct set once. In a block mixing two kinds of
 * events (a container line's fields and an audit event's), every audit field is present in the same rows: storing that
 * row list inside each column repeated it ~30 times per block — as much compressed text as all the values (~19 of 40
 * bytes per event on the mixed load). Columns refer to a set by number; the table is the block's data column 0
 * (`PRESENCE_DATA`), written as gaps between row numbers.
 */
export class PresenceTable {
  readonly sets: number[][] = [];

  /** The number of `rows` (ascending) in the table, added when new. */
  indexOf(rows: readonly number[]): number {
    for (let k = 0; k < this.sets.length; k++) {
      const set = this.sets[k]!;
      if (set.length !== rows.length) continue;
      let same = true;
      for (let i = 0; i < set.length; i++) {
        if (set[i] !== rows[i]) {
          same = false;
          break;
        }
      }
      if (same) return k;
    }
    this.sets.push(rows.slice());
    return this.sets.length - 1;
  }

  /** The table as stored. */
  text(): string {
    return JSON.stringify(this.sets.map((rows) => rows.map((row, i) => (i === 0 ? row : row - rows[i - 1]!))));
  }

  /** The sets of a stored table. */
  static parse(text: string): number[][] {
    const sets = JSON.parse(text) as number[][];
    for (const gaps of sets) for (let i = 1; i < gaps.length; i++) gaps[i]! += gaps[i - 1]!;
    return sets;
  }
}

/** The data index of a block's presence table, when any of its columns is sparse (`PresenceTable`). */
export const PRESENCE_DATA = 0;

/**
 * A column as JSON text: every row present → the array of cells; otherwise `{"p":set,"v":[cells]}`, `set` numbering
 * the present rows in the block's `PresenceTable`. Either way a column of few distinct strings stores
 * `"k":[distinct],"x":[index per present row]` instead of the cells, and a column holding one scalar throughout stores
 * `"c":value` alone (`constantOf`). (Blocks written before the table held the rows
 * in each column, `"r":[rows]`, which `decodeColumn` still reads.) Identical text means identical columns, which is how
 * a block stores a value copied into two fields (the ECS field and the native record's) once.
 */
export function encodeColumn(cells: readonly Cell[], presence: PresenceTable): EncodedColumn {
  let present = 0;
  for (let i = 0; i < cells.length; i++) if (cells[i] !== undefined) present++;
  let where = '';
  let values: readonly Cell[] = cells;
  if (present !== cells.length) {
    // Filled by `push`, so both stay packed arrays (see `ColumnBuilder.blank`).
    const rows: number[] = [];
    const kept: Cell[] = [];
    for (let i = 0; i < cells.length; i++) {
      const cell = cells[i];
      if (cell !== undefined) {
        rows.push(i);
        kept.push(cell);
      }
    }
    values = kept;
    where = `"p":${presence.indexOf(rows)},`;
  }
  const constant = constantOf(values);
  if (constant !== undefined) {
    return { text: `{${where}"c":${JSON.stringify(constant)}}`, distinct: constant === null ? [] : [String(constant)] };
  }
  const dictionary = dictionaryOf(values);
  if (dictionary !== null && dictionary !== 'varied') {
    return { text: `{${where}"k":${JSON.stringify(dictionary.keys)},"x":${JSON.stringify(dictionary.indices)}}`, distinct: dictionary.keys };
  }
  const text = where ? `{${where}"v":${JSON.stringify(values)}}` : JSON.stringify(values);
  return dictionary === 'varied' ? { text, varied: true } : { text };
}

/** Whether some row of the column has no value: the column then refers to the block's presence table. */
export function isSparse(cells: readonly Cell[]): boolean {
  for (let i = 0; i < cells.length; i++) if (cells[i] === undefined) return true;
  return false;
}

/**
 * The inverse of `encodeColumn`, for a block of `rows` rows; `presence` gives the block's presence table (read only
 * when the column refers to it).
 */
export function decodeColumn(text: string, rows: number, presence: () => readonly number[][]): Cell[] {
  const parsed = JSON.parse(text) as Cell[] | { r?: number[]; p?: number; v?: Cell[]; k?: string[]; x?: number[]; c?: Scalar };
  if (Array.isArray(parsed)) return parsed;
  const present = parsed.p !== undefined ? presence()[parsed.p] : parsed.r;
  if (!present && parsed.p !== undefined) throw new Error(`a column refers to presence set ${parsed.p}, which its block does not have`);
  let values: Cell[];
  if (parsed.c !== undefined) {
    values = new Array<Cell>(present ? present.length : rows).fill(parsed.c);
  } else if (parsed.k && parsed.x) {
    const { k, x } = parsed;
    values = new Array<Cell>(x.length);
    for (let i = 0; i < x.length; i++) values[i] = k[x[i]!];
  } else {
    values = parsed.v ?? [];
  }
  if (!present) return values;
  if (present.length !== values.length) throw new Error(`a column's ${values.length} values do not fit its ${present.length} rows`);
  const cells = new Array<Cell>(rows);
  for (let i = 0; i < present.length; i++) cells[present[i]!] = values[i];
  return cells;
}

/**
 * A column stored by dictionary or as one constant, as its distinct values and each row's number among them (-1 where
 * the row has no value), without making a cell per row; undefined for any other encoding. Counting values (top values)
 * then costs an index per row instead of a string and a map lookup.
 */
export function decodeIndexedColumn(text: string, rows: number, presence: () => readonly number[][]): { values: Scalar[]; index: Int32Array } | undefined {
  if (text.charCodeAt(0) !== 0x7b) return undefined; // not `{`: a plain array of cells
  const parsed = JSON.parse(text) as { r?: number[]; p?: number; k?: string[]; x?: number[]; c?: Scalar };
  const constant = parsed.c !== undefined;
  if (!constant && !(parsed.k && parsed.x)) return undefined;
  const present = parsed.p !== undefined ? presence()[parsed.p] : parsed.r;
  if (!present && parsed.p !== undefined) throw new Error(`a column refers to presence set ${parsed.p}, which its block does not have`);
  const index = new Int32Array(rows);
  if (constant) {
    if (present) {
      index.fill(-1);
      for (const row of present) index[row] = 0;
    }
    return { values: [parsed.c!], index };
  }
  const x = parsed.x!;
  if (present) {
    if (present.length !== x.length) throw new Error(`a column's ${x.length} values do not fit its ${present.length} rows`);
    index.fill(-1);
    for (let i = 0; i < present.length; i++) index[present[i]!] = x[i]!;
  } else {
    if (x.length !== rows) throw new Error(`a column's ${x.length} values do not fit its ${rows} rows`);
    index.set(x);
  }
  return { values: parsed.k!, index };
}

/** Set an own property; `__proto__` is defined, never assigned (which would replace the prototype). */
export function define(object: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
  else object[key] = value;
}

/**
 * Row `row` of a block rebuilt as the document that was stored, from every column's keys and cells in directory order.
 * `copy` false shares arrays and objects with the cells (for a caller that only reads).
 */
export function rebuildDocument(plan: ReadonlyArray<{ keys: readonly string[]; cells: readonly Cell[] }>, row: number, copy = true): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  // The objects along the path last written: consecutive columns mostly share a parent (the directory is in
  // first-seen, depth-first order), so each column walks only the keys its path does not share with the previous.
  // The first `depth` entries are the current path; the arrays are overwritten, never truncated (setting an array's
  // length is a runtime call: it was the largest part of rebuilding a stored audit event).
  const pathKeys: string[] = [];
  const pathObjects: Array<Record<string, unknown>> = [doc];
  let depth = 0;
  for (const { keys, cells } of plan) {
    const cell = cells[row];
    if (cell === undefined) continue;
    const parent = keys.length - 1;
    let common = 0;
    while (common < parent && common < depth && pathKeys[common] === keys[common]) common++;
    depth = common;
    let object = pathObjects[common]!;
    for (let d = common; d < parent; d++) {
      const key = keys[d]!;
      let next = Object.prototype.hasOwnProperty.call(object, key) ? object[key] : undefined;
      if (next === undefined || next === null || typeof next !== 'object' || Array.isArray(next)) {
        next = {};
        define(object, key, next);
      }
      object = next as Record<string, unknown>;
      pathKeys[depth] = key;
      depth++;
      pathObjects[depth] = object;
    }
    // Copied: a decoded column may stay cached for the next row, and a caller may change what it is given.
    define(object, keys[parent]!, copy && cell !== null && typeof cell === 'object' ? structuredClone(cell) : cell);
  }
  return doc;
}
