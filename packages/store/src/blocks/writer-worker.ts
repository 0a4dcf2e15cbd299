/**
 * Entry point of the writer thread (see `worker-writer.ts`): its own connection to the store file, the same
 * `BlockWriter` as the in-process path; batches waiting together share one transaction, answered in order.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
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
    port.on('message', (first: WriterRequest) => {
      // Every append already waiting joins this one in a single transaction: one commit (one fsync) for all of them.
      const appends: Array<Extract<WriterRequest, { type: 'append' }>> = [];
      let closing = false;
      for (let request: WriterRequest | undefined = first; request; request = receiveMessageOnPort(port)?.message as WriterRequest | undefined) {
        if (request.type === 'close') {
          closing = true;
          break;
        }
        appends.push(request);
      }
      if (appends.length > 0) {
        try {
          const results = writer.appendMany(appends.map((a) => a.rows as EventRow[]));
          appends.forEach((a, i) => port.postMessage({ type: 'done', id: a.id, result: results[i]! } satisfies WriterReply));
        } catch (err) {
          // One failed batch must not fail the others: retry each on its own.
          for (const a of appends) {
            let reply: WriterReply;
            try {
              reply = { type: 'done', id: a.id, result: writer.append(a.rows as EventRow[]) };
            } catch (one) {
              reply = { type: 'failed', id: a.id, error: serialise(one ?? err) };
            }
            port.postMessage(reply);
          }
        }
      }
      if (closing) {
        db?.close();
        port.close();
      }
    });
    port.postMessage({ type: 'ready' } satisfies WriterReply);
  } catch (err) {
    db?.close();
    port.postMessage({ type: 'failed', id: -1, error: serialise(err) } satisfies WriterReply);
    port.close();
  }
}
