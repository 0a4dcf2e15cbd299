/**
 * The block store's catalog in SQLite (schema v6–v7, sqlite/schema.ts): one `blocks` row per block with its time and
 * arrival ranges and its column directory; the columns, the filter and the event-id set (`id-index.ts`) in their own
 * tables. SQLite stays as the catalog because one transaction then makes a block, its ids and the arrival counter
 * durable together (the acknowledgement rule), a crash mid-block leaves the last committed state, and the cases,
 * tokens and bus offsets already live in the same file.
 */
import type Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite/schema.js';

/** A `blocks` row as read back. */
export interface BlockRow {
  id: number;
  stream: string;
  rows: number;
  min_ts: number;
  max_ts: number;
  min_seq: number;
  max_seq: number;
  bytes: number;
  /** The column directory as stored; absent on rows read for a scan (fetched once per block when needed, then cached). */
  schema?: string;
}

/** The parsed column directory: column name → data index. */
export type Directory = Map<string, number>;

/** Column names by id, shared by every block (a block's directory stores ids). */
export class FieldNames {
  private readonly byId = new Map<number, string>();
  private readonly byName = new Map<string, number>();
  private readonly selectAll: Database.Statement<[], { id: number; name: string }>;
  private readonly insert: Database.Statement<[string], unknown>;

  constructor(db: SqliteDatabase) {
    this.selectAll = db.prepare('SELECT id, name FROM block_fields');
    this.insert = db.prepare('INSERT INTO block_fields (name) VALUES (?)');
    this.reload();
  }

  reload(): void {
    this.byId.clear();
    this.byName.clear();
    for (const { id, name } of this.selectAll.all()) {
      this.byId.set(id, name);
      this.byName.set(name, id);
    }
  }

  /** The id of a name, adding it (inside the caller's transaction) when new. */
  idOf(name: string): number {
    let id = this.byName.get(name);
    if (id === undefined) {
      id = Number(this.insert.run(name).lastInsertRowid);
      this.byId.set(id, name);
      this.byName.set(name, id);
    }
    return id;
  }

  nameOf(id: number): string {
    let name = this.byId.get(id);
    if (name === undefined) {
      this.reload(); // written by another connection since we last looked
      name = this.byId.get(id);
      if (name === undefined) throw new Error(`block field ${id} is not in the catalog`);
    }
    return name;
  }
}

/**
 * The columns a field path may be read from: its own, and any column of a shorter path (an opaque value a query walks
 * into with the remaining keys), shortest first; `depth` is how many keys the column's path has.
 */
export function pathColumns(directory: Directory, keys: readonly string[]): Array<{ index: number; depth: number }> {
  const found: Array<{ index: number; depth: number }> = [];
  let name = '';
  for (let i = 0; i < keys.length; i++) {
    name = i === 0 ? JSON.stringify(keys[0]) : `${name},${JSON.stringify(keys[i])}`;
    const index = directory.get(name);
    if (index !== undefined) found.push({ index, depth: i + 1 });
  }
  return found;
}

/** Data indexes of the columns below a path (for `field:*` on an object). */
export function columnsBelow(directory: Directory, keys: readonly string[]): number[] {
  const prefix = keys.map((k) => JSON.stringify(k)).join(',') + ',';
  const found: number[] = [];
  for (const [name, index] of directory) if (name.startsWith(prefix)) found.push(index);
  return found;
}

/** A directory as stored: `[[fieldId, dataIndex], …]`. */
export function encodeDirectory(entries: ReadonlyArray<[name: string, data: number]>, names: FieldNames): string {
  return JSON.stringify(entries.map(([name, data]) => [names.idOf(name), data]));
}

export function decodeDirectory(text: string, names: FieldNames): Directory {
  const directory: Directory = new Map();
  for (const [id, data] of JSON.parse(text) as Array<[number, number]>) directory.set(names.nameOf(id), data);
  return directory;
}

/**
 * Parsed directories by block id. Blocks never change once written, so an entry is valid until the block is gone; and
 * blocks of one stream mostly have the same columns, so equal directory texts share one parsed directory: a block
 * costs a map entry, not a parsed copy (a store of 100,000 blocks would otherwise hold millions of map entries).
 */
export class DirectoryCache {
  private readonly byBlock = new Map<number, Directory>();
  private readonly byText = new Map<string, Directory>();

  constructor(
    private readonly names: FieldNames,
    private readonly capacity = 1_000_000,
    private readonly schemaOf?: (id: number) => string | undefined,
  ) {}

  of(block: Pick<BlockRow, 'id' | 'schema'>): Directory {
    let directory = this.byBlock.get(block.id);
    if (directory) return directory;
    const schema = block.schema ?? this.schemaOf?.(block.id);
    if (schema === undefined) throw new Error(`block ${block.id} is not in the catalog`);
    directory = this.byText.get(schema);
    if (!directory) {
      directory = decodeDirectory(schema, this.names);
      if (this.byText.size >= 4096) this.byText.delete(this.byText.keys().next().value!);
      this.byText.set(schema, directory);
    }
    if (this.byBlock.size >= this.capacity) this.byBlock.delete(this.byBlock.keys().next().value!);
    this.byBlock.set(block.id, directory);
    return directory;
  }

  forget(blockId: number): void {
    this.byBlock.delete(blockId);
  }
}
