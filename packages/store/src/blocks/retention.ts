/**
 * Retention for the embedded store: whole blocks dropped, oldest first, when their newest event is older than the
 * age limit or while the file's pages in use exceed the size limit (docs/ARCHITECTURE.md, "The embedded log store").
 * Pages freed are reused by later blocks; the file itself does not shrink (a VACUUM would rewrite it whole).
 */
import type { SqliteDatabase } from '../sqlite/schema.js';
import { mergedUpto } from './id-index.js';
import { staleCounter } from './id-tiers.js';
import type { BlockReader } from './reader.js';

export interface RetentionLimits {
  /** Drop blocks whose newest event is older than this many days. */
  maxAgeDays?: number;
  /** Drop the oldest blocks while the database's pages in use exceed this many bytes. */
  maxBytes?: number;
}

export interface RetentionPass {
  blocks: number;
  events: number;
  /** Pages in use after the pass, in bytes. */
  bytesInUse: number;
}

/** Blocks dropped per transaction: short transactions keep the writer waiting briefly. */
const CHUNK = 16;

export function bytesInUse(db: SqliteDatabase): number {
  const pageSize = db.pragma('page_size', { simple: true }) as number;
  const pages = db.pragma('page_count', { simple: true }) as number;
  const free = db.pragma('freelist_count', { simple: true }) as number;
  return (pages - free) * pageSize;
}

export function enforceRetention(db: SqliteDatabase, reader: BlockReader, limits: RetentionLimits, now: number): RetentionPass {
  const pass: RetentionPass = { blocks: 0, events: 0, bytesInUse: 0 };
  const oldest = db.prepare<[number, number], { id: number; rows: number; schema: string }>(
    'SELECT id, rows, schema FROM blocks WHERE max_ts < ? ORDER BY max_ts ASC LIMIT ?',
  );
  const drop = dropper(db, reader);
  if (limits.maxAgeDays !== undefined) {
    const cutoff = now - limits.maxAgeDays * 86_400_000;
    for (;;) {
      const blocks = oldest.all(cutoff, CHUNK);
      if (blocks.length === 0) break;
      drop(blocks, pass);
    }
  }
  if (limits.maxBytes !== undefined) {
    while (bytesInUse(db) > limits.maxBytes) {
      // One block at a time: a size limit should cost the oldest block that puts the store over, not a chunk of them.
      const blocks = oldest.all(Number.MAX_SAFE_INTEGER, 1);
      if (blocks.length === 0) break;
      drop(blocks, pass);
    }
  }
  pass.bytesInUse = bytesInUse(db);
  return pass;
}

/** A stored block as deletion needs it. */
export type DroppedBlock = { id: number; rows: number; schema?: string };

/**
 * Deletes whole blocks inside the caller's transaction: columns, filter and catalog row. Their id keys stay in the id
 * set's tiers, counted stale, until a move or a sweep takes them out (`id-tiers.ts`): a stale key names a block that
 * no longer exists, which confirms nothing.
 */
export function blockDeleter(db: SqliteDatabase, reader: BlockReader): (block: DroppedBlock) => void {
  const countStale = staleCounter(db);
  const mark = mergedUpto(db);
  const deleteColumns = db.prepare('DELETE FROM block_columns WHERE block = ?');
  const deleteFilter = db.prepare('DELETE FROM block_filters WHERE block = ?');
  const deleteBlock = db.prepare('DELETE FROM blocks WHERE id = ?');
  return (block) => {
    // A block above the mark has its keys in its writer's memory only (`id-index.ts`), where they are hints: none go stale.
    if (block.id <= (mark.get() ?? 0)) countStale(block.rows);
    deleteColumns.run(block.id);
    deleteFilter.run(block.id);
    deleteBlock.run(block.id);
    reader.forget(block.id);
  };
}

function dropper(db: SqliteDatabase, reader: BlockReader) {
  const deleteBlock = blockDeleter(db, reader);
  const run = db.transaction((blocks: DroppedBlock[]) => {
    for (const block of blocks) deleteBlock(block);
  });
  return (blocks: DroppedBlock[], pass: RetentionPass) => {
    run.immediate(blocks);
    for (const block of blocks) {
      pass.blocks++;
      pass.events += block.rows;
    }
  };
}
