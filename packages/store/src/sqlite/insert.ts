/**
 * The write path shared by the in-process writer and the writer thread: prepared statements and one IMMEDIATE
 * transaction per batch. Kept free of anything but better-sqlite3 so the writer thread loads little.
 */
import type { AppendResult, AppendStatus } from '../port.js';
import type { EventRow } from './rows.js';
import type { SqliteDatabase } from './schema.js';
import { eventKeys } from './indexed-fields.js';

/** Inserts a batch of rows atomically and says which were new. */
export type RowInserter = (rows: readonly EventRow[]) => AppendResult;

/**
 * Prepare the two insert statements on `db` once and return the batch function. `ON CONFLICT (id) DO NOTHING` with
 * `changes` tells created from duplicate without a lookup, and turns a repeat inside one batch into a duplicate too
 * (the first copy is already visible to the transaction). Full-text rows and field keys (`event_keys`) are written
 * only for created events.
 * IMMEDIATE takes the write lock up front, so a batch never fails half-way on a lock upgrade.
 */
export function createRowInserter(db: SqliteDatabase): RowInserter {
  const insertEvent = db.prepare('INSERT INTO events (id, ts, dataset, doc) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO NOTHING');
  const insertText = db.prepare('INSERT INTO events_fts (rowid, message) VALUES (?, ?)');
  const insertKey = db.prepare('INSERT OR IGNORE INTO event_keys (field, value, seq) VALUES (?, ?, ?)');
  const batch = db.transaction((rows: readonly EventRow[]): AppendResult => {
    const statuses: AppendStatus[] = new Array(rows.length);
    let created = 0;
    for (let i = 0; i < rows.length; i++) {
      const row = rows[i]!;
      const info = insertEvent.run(row.id, row.ts, row.dataset, row.doc);
      if (info.changes === 1) {
        if (row.message !== null) insertText.run(info.lastInsertRowid, row.message);
        // Rows from `eventToRow` carry their keys; any other row has them taken from its document.
        for (const [field, value] of row.keys ?? eventKeys(JSON.parse(row.doc))) insertKey.run(field, value, info.lastInsertRowid);
        statuses[i] = 'created';
        created++;
      } else {
        statuses[i] = 'duplicate';
      }
    }
    return { statuses, created, duplicates: rows.length - created };
  });
  return (rows) => (rows.length === 0 ? { statuses: [], created: 0, duplicates: 0 } : batch.immediate(rows));
}
