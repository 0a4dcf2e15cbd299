/**
 * A stored block opened for reading: its columns decompressed on first use only, so a histogram reads the time column,
 * a field filter one column more, and only the rows a page returns are rebuilt into documents.
 */
import type Database from 'better-sqlite3';
import { columnsBelow, pathColumns, type BlockRow, type Directory } from './catalog.js';
import { decodeColumn, decodeIndexedColumn, keysOfColumn, PRESENCE_DATA, PresenceTable, rebuildDocument, type Cell, type Scalar } from './columns.js';
import { unpackIntegers, unpackText } from './codec.js';

/** Which stored field paths (a column's keys) a reader wants. */
export type PathSelection = (keys: readonly string[]) => boolean;

export interface ColumnSource {
  /** One cell per row. */
  cells: Cell[];
  /** Keys still to walk inside each cell (an opaque value holding the path), or none. */
  rest: string[];
}

export class BlockView {
  private tsValues: Float64Array | null = null;
  private seqValues: Float64Array | null = null;
  private packedParts: { ts: Buffer; seqs: Buffer } | null = null;
  private readonly decoded = new Map<number, Cell[]>();
  private plan: Array<{ keys: string[]; cells: Cell[] }> | null = null;
  private presenceSets: number[][] | null = null;
  /** Plans of some columns only, by the selection that chose them (a consumer passes the same one every time). */
  private readonly partialPlans = new Map<PathSelection, Array<{ keys: string[]; cells: Cell[] }>>();

  constructor(
    readonly block: BlockRow,
    readonly directory: Directory,
    private readonly readParts: Database.Statement<[number], { ts: Buffer; seqs: Buffer }>,
    private readonly readColumn: Database.Statement<[number, number], { data: Buffer }>,
  ) {}

  get rows(): number {
    return this.block.rows;
  }

  ts(): Float64Array {
    this.tsValues ??= unpackIntegers(this.parts().ts, this.block.rows);
    return this.tsValues;
  }

  seqs(): Float64Array {
    this.seqValues ??= unpackIntegers(this.parts().seqs, this.block.rows);
    return this.seqValues;
  }

  /** The block's packed delta columns; each is unpacked only when asked for (a histogram needs no arrival numbers). */
  private parts(): { ts: Buffer; seqs: Buffer } {
    if (!this.packedParts) {
      const parts = this.readParts.get(this.block.id);
      if (!parts) throw new Error(`block ${this.block.id} is gone`);
      this.packedParts = parts;
    }
    return this.packedParts;
  }

  /** The cells of the column stored at `dataIndex`. */
  data(dataIndex: number): Cell[] {
    let cells = this.decoded.get(dataIndex);
    if (!cells) {
      cells = decodeColumn(this.text(dataIndex), this.block.rows, this.presence);
      this.decoded.set(dataIndex, cells);
    }
    return cells;
  }

  private text(dataIndex: number): string {
    const row = this.readColumn.get(this.block.id, dataIndex);
    if (!row) throw new Error(`block ${this.block.id} has no column ${dataIndex}`);
    return unpackText(row.data);
  }

  /** The block's presence table, read once when a sparse column first needs it. */
  private readonly presence = (): number[][] => {
    this.presenceSets ??= PresenceTable.parse(this.text(PRESENCE_DATA));
    return this.presenceSets;
  };

  /** The cells of a named column, or undefined when the block has none. */
  column(name: string): Cell[] | undefined {
    const index = this.directory.get(name);
    return index === undefined ? undefined : this.data(index);
  }

  /**
   * Where the values of a field path may be: the column of that exact path, and any column of a shorter path holding
   * opaque values (arrays of objects) to walk into with the remaining keys.
   */
  sources(keys: readonly string[]): ColumnSource[] {
    return pathColumns(this.directory, keys).map(({ index, depth }) => ({ cells: this.data(index), rest: keys.slice(depth) }));
  }

  /**
   * A field's values as distinct values and a number per row (`decodeIndexedColumn`), when the field is one column of
   * its exact path stored by dictionary or as a constant (no opaque value above it to walk into); else undefined.
   */
  indexed(keys: readonly string[]): { values: Scalar[]; index: Int32Array } | undefined {
    const found = pathColumns(this.directory, keys);
    if (found.length !== 1 || found[0]!.depth !== keys.length) return undefined;
    const dataIndex = found[0]!.index;
    if (this.decoded.has(dataIndex)) return undefined; // its cells are at hand already
    const text = this.text(dataIndex);
    const indexed = decodeIndexedColumn(text, this.block.rows, this.presence);
    // Another encoding: its cells, kept for the caller's other path, from the text already decompressed.
    if (!indexed) this.decoded.set(dataIndex, decodeColumn(text, this.block.rows, this.presence));
    return indexed;
  }

  /** Columns below a path (for `field:*` on an object). */
  descendants(keys: readonly string[]): Cell[][] {
    return columnsBelow(this.directory, keys).map((index) => this.data(index));
  }

  /** Distinct data indexes, each once (identical columns share one). */
  dataIndexes(): number[] {
    return [...new Set(this.directory.values())];
  }

  /**
   * Row `row` rebuilt as the document that was stored. `copy` false shares arrays and objects with the cached column
   * (for a caller that only reads, such as the bus handing documents to the correlator).
   */
  doc(row: number, copy = true): Record<string, unknown> {
    return rebuildDocument(this.rebuildPlan(), row, copy);
  }

  /**
   * Row `row` rebuilt from only the columns whose path `wanted` accepts, sharing arrays and objects with the cached
   * columns (the caller only reads): the other columns are never decompressed. For a reader that knows which fields it
   * can read, such as the correlator matching rules.
   */
  partialDoc(row: number, wanted: PathSelection): Record<string, unknown> {
    let plan = this.partialPlans.get(wanted);
    if (!plan) {
      plan = [];
      for (const [name, index] of this.directory) {
        const keys = keysOfColumn(name);
        if (wanted(keys)) plan.push({ keys, cells: this.data(index) });
      }
      this.partialPlans.set(wanted, plan);
    }
    return rebuildDocument(plan, row, false);
  }

  /** Every column's keys and cells, in directory order, resolved once per view. */
  private rebuildPlan(): Array<{ keys: string[]; cells: Cell[] }> {
    if (!this.plan) this.plan = [...this.directory].map(([name, index]) => ({ keys: keysOfColumn(name), cells: this.data(index) }));
    return this.plan;
  }
}
