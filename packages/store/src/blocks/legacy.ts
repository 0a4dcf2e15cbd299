/**
 * Stores written before the block layout (schema v1–v5) kept one row per event in `events`, with a full-text index
 * (`events_fts`) and entity keys (`event_keys`). Opening such a store moves those rows into blocks in place, keeping
 * each event's arrival number (`seq`) so bus cursors stay valid, a chunk per transaction: a crash mid-way loses
 * nothing and the next open carries on. Only `events` is emptied chunk by chunk (it says what is left to move); the
 * old indexes are dropped with it at the end.
 */
import type { SqliteDatabase } from '../sqlite/schema.js';
import type { NewRow } from './build.js';
import type { BlockWriter } from './writer.js';

/** Events moved per transaction. */
const CHUNK = 4096;

export interface LegacyMove {
  moved: number;
}

function hasTable(db: SqliteDatabase, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").pluck().get(name) === 1;
}

export function moveLegacyEvents(db: SqliteDatabase, writer: BlockWriter, progress?: (moved: number, left: number) => void): LegacyMove {
  if (!hasTable(db, 'events')) return { moved: 0 };
  const read = db.prepare<[number], { seq: number; id: string; ts: number; dataset: string | null; doc: string }>(
    'SELECT seq, id, ts, dataset, doc FROM events ORDER BY seq LIMIT ?',
  );
  const left = db.prepare('SELECT count(*) FROM events').pluck();
  const deleteRange = db.prepare('DELETE FROM events WHERE seq <= ?');
  const keepSeqAhead = db.prepare("UPDATE store_state SET value = max(value, ?) WHERE name = 'next_seq'");
  let moved = 0;
  const chunk = db.transaction(() => {
    const rows = read.all(CHUNK);
    if (rows.length === 0) return 0;
    const streams = new Map<string, NewRow[]>();
    for (const row of rows) {
      const stream = row.dataset ?? '';
      let group = streams.get(stream);
      if (!group) streams.set(stream, (group = []));
      group.push({ id: row.id, ts: row.ts, seq: row.seq, doc: JSON.parse(row.doc) as Record<string, unknown> });
    }
    for (const [stream, group] of streams) writer.insertNumbered(stream, group);
    const last = rows[rows.length - 1]!.seq;
    deleteRange.run(last);
    keepSeqAhead.run(last + 1);
    return rows.length;
  });
  for (;;) {
    const n = chunk.immediate();
    if (n === 0) break;
    writer.mergeKeysIfDue();
    moved += n;
    progress?.(moved, left.get() as number);
  }
  db.exec('DROP TABLE IF EXISTS event_keys; DROP TABLE IF EXISTS events_fts; DROP TABLE IF EXISTS events;');
  return { moved };
}
