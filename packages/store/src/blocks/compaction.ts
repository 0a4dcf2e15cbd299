/**
 * Merging small blocks (docs/ARCHITECTURE.md, "The embedded log store"). A quiet source sends a few events per request
 * (an audit webhook, Falco), and each request makes a block: many tiny blocks compress badly and cost a catalog row,
 * a filter and a read each. Runs of small blocks of one stream are merged, as log-structured stores merge their parts:
 * a run is merged once it has enough blocks or rows, so an event is rewritten a few times at most, and a merged block
 * keeps every event's arrival number (the bus's cursor is unaffected) and id.
 */
import type { SqliteDatabase } from '../sqlite/schema.js';
import { buildBlock, MAX_BLOCK_ROWS, numbered, type NewRow } from './build.js';
import type { BlockRow } from './catalog.js';
import type { BlockReader } from './reader.js';
import { blockDeleter } from './retention.js';
import { ID_COLUMN, type BlockWriter } from './writer.js';

/** Blocks with fewer rows than this are merged with their neighbours of the same stream. */
export const SMALL_BLOCK_ROWS = 256;
/** A run is merged once it has this many blocks… */
const RUN_BLOCKS = 8;
/** …or once its blocks hold this many rows together. */
const RUN_ROWS = 1024;
/**
 * No block's arrival numbers span more than this (appends and moved chunks are far smaller; merges keep to it): the bus
 * reads a block for every position inside its span (outbox.ts), so a quiet stream's merged block must not span a
 * busy stream's millions of events.
 */
export const MAX_SEQ_SPAN = 1_000_000;
/** Small blocks looked at per pass. */
const SCAN = 2048;

export interface CompactionPass {
  /** Blocks merged away. */
  merged: number;
  /** Blocks written. */
  written: number;
}

/** Finds runs worth merging: consecutive small blocks of one stream, in arrival order. */
function runsOf(small: readonly BlockRow[]): BlockRow[][] {
  const byStream = new Map<string, BlockRow[]>();
  for (const block of small) {
    let list = byStream.get(block.stream);
    if (!list) byStream.set(block.stream, (list = []));
    list.push(block);
  }
  const runs: BlockRow[][] = [];
  for (const blocks of byStream.values()) {
    let run: BlockRow[] = [];
    let rows = 0;
    const close = () => {
      if (run.length >= RUN_BLOCKS || (run.length > 1 && rows >= RUN_ROWS)) runs.push(run);
      run = [];
      rows = 0;
    };
    for (const block of blocks) {
      const span = run.length > 0 ? Math.max(block.max_seq, run.at(-1)!.max_seq) - run[0]!.min_seq : 0;
      if (run.length > 0 && (rows + block.rows > MAX_BLOCK_ROWS || span > MAX_SEQ_SPAN)) close();
      run.push(block);
      rows += block.rows;
    }
    close();
  }
  return runs;
}

/**
 * One pass: merge up to `maxRuns` runs, each in its own transaction (built before the lock, as appends are). Blocks a
 * concurrent retention pass dropped meanwhile make that run be skipped.
 */
export function compact(db: SqliteDatabase, writer: BlockWriter, reader: BlockReader, maxRuns = 4): CompactionPass {
  const small = db
    .prepare<[number, number], BlockRow>(
      'SELECT id, stream, rows, min_ts, max_ts, min_seq, max_seq, bytes, schema FROM blocks WHERE rows < ? ORDER BY id LIMIT ?',
    )
    .all(SMALL_BLOCK_ROWS, SCAN);
  const stillThere = db.prepare<[number], number>('SELECT 1 FROM blocks WHERE id = ?').pluck();
  const deleteBlock = blockDeleter(db, reader);
  const pass: CompactionPass = { merged: 0, written: 0 };
  for (const run of runsOf(small).slice(0, maxRuns)) {
    const rows: NewRow[] = [];
    for (const block of run) {
      const view = reader.view(block);
      const ts = view.ts();
      const seqs = view.seqs();
      const ids = view.column(ID_COLUMN);
      for (let r = 0; r < view.rows; r++) rows.push({ id: String(ids?.[r] ?? ''), ts: ts[r]!, seq: seqs[r]!, doc: view.doc(r, false) });
    }
    rows.sort((a, b) => a.seq! - b.seq!);
    const merged = numbered(buildBlock(run[0]!.stream, rows), rows.map((row) => row.seq!));
    let done: boolean;
    try {
      done = db.transaction(() => {
        if (run.some((block) => stillThere.get(block.id) === undefined)) return false;
        for (const block of run) deleteBlock(block);
        writer.insert(merged);
        return true;
      }).immediate();
    } catch (err) {
      writer.rolledBack();
      throw err;
    }
    if (done) {
      pass.merged += run.length;
      pass.written++;
    }
  }
  return pass;
}
