/**
 * Entry point of the writer thread (see `worker-writer.ts`): its own connection to the store file, the same
 * `BlockWriter` as the in-process path, one batch per message, answered in order.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { BulwarkError } from '@bulwark/schema';
import type { EventRow } from '../sqlite/rows.js';
import { openDatabase, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from '../sqlite/schema.js';
import { BlockWriter } from './writer.js';
import type { WriterReply, WriterRequest } from './worker-writer.js';

/** A thrown value as plain data that survives postMessage; BulwarkErrors keep their code and details. */
function serialise(err: unknown): Extract<WriterReply, { type: 'failed' }>['error'] {
  const mapped = toStoreError(err);
  if (mapped instanceof BulwarkError) return { code: mapped.code, message: mapped.message, details: mapped.details };
  return { message: mapped instanceof Error ? mapped.message : String(mapped) };
}

const port = parentPort;
if (port) {
  let db: SqliteDatabase | null = null;
  try {
    db = openDatabase(workerData as SqliteOpenOptions);
    const writer = new BlockWriter(db);
    port.on('message', (request: WriterRequest) => {
      if (request.type === 'close') {
        db?.close();
        port.close();
        return;
      }
      let reply: WriterReply;
      try {
        reply = { type: 'done', id: request.id, result: writer.append(request.rows as EventRow[]) };
      } catch (err) {
        reply = { type: 'failed', id: request.id, error: serialise(err) };
      }
      port.postMessage(reply);
    });
    port.postMessage({ type: 'ready' } satisfies WriterReply);
  } catch (err) {
    db?.close();
    port.postMessage({ type: 'failed', id: -1, error: serialise(err) } satisfies WriterReply);
    port.close();
  }
}
