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

/**
 * A column as JSON text: every row present → the array of cells; otherwise `{"r":[rows],"v":[cells]}`. Identical
 * text means identical columns, which is how a block stores a value copied into two fields (the ECS field and the
 * native record's) once.
 */
export function encodeColumn(cells: readonly Cell[]): string {
  let present = 0;
  for (let i = 0; i < cells.length; i++) if (cells[i] !== undefined) present++;
  if (present === cells.length) return JSON.stringify(cells);
  // Filled by `push`, so both stay packed arrays (see `ColumnBuilder.blank`).
  const rows: number[] = [];
  const values: Cell[] = [];
  for (let i = 0; i < cells.length; i++) {
    const cell = cells[i];
    if (cell !== undefined) {
      rows.push(i);
      values.push(cell);
    }
  }
  return `{"r":${JSON.stringify(rows)},"v":${JSON.stringify(values)}}`;
}

/** The inverse of `encodeColumn`, for a block of `rows` rows. */
export function decodeColumn(text: string, rows: number): Cell[] {
  const parsed = JSON.parse(text) as Cell[] | { r: number[]; v: Cell[] };
  if (Array.isArray(parsed)) return parsed;
  const cells = new Array<Cell>(rows);
  for (let i = 0; i < parsed.r.length; i++) cells[parsed.r[i]!] = parsed.v[i];
  return cells;
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
