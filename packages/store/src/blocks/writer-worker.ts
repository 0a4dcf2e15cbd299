/**
 * Entry point of the writer thread (see `worker-writer.ts`): its own connection to the store file, the same
 * `BlockWriter` as the in-process path; batches waiting together share one transaction, answered in order.
 */
import { parentPort, receiveMessageOnPort, workerData } from 'node:worker_threads';
import { BulwarkError } from '@bulwark/schema';
import { openDatabase, toStoreError, type SqliteDatabase, type SqliteOpenOptions } from '../sqlite/schema.js';
import { compact } from './compaction.js';
import { BlockReader } from './reader.js';
import { BlockWriter } from './writer.js';
import type { WriterReply, WriterRequest } from './worker-writer.js';

/** A thrown value as plain data that survives postMessage; BulwarkErrors keep their code and details. */
function serialise(err: unknown): Extract<WriterReply, { type: 'failed' }>['error'] {
  const mapped = toStoreError(err);
  if (mapped instanceof BulwarkError) return { code: mapped.code, message: mapped.message, details: mapped.details };
  return { message: mapped instanceof Error ? mapped.message : String(mapped) };
}

/** Quiet time on the writer before small blocks are merged. */
const COMPACT_AFTER_MS = 1000;

const port = parentPort;

/** An answer posted back; a batch's status bytes move with it (the thread does not keep them). */
function reply(answer: WriterReply): void {
  const fresh = answer.type === 'done' ? answer.counts.fresh : null;
  port!.postMessage(answer, fresh ? [fresh.buffer as ArrayBuffer] : []);
}

if (port) {
  let db: SqliteDatabase | null = null;
  try {
    db = openDatabase(workerData as SqliteOpenOptions);
    const writer = new BlockWriter(db);
    const reader = new BlockReader(db);
    // Small blocks are merged when appends pause (COMPACT_AFTER_MS without one), a few runs at a time, so a merge never
    // holds up an append for long.
    let idle: NodeJS.Timeout | null = null;
    const compactWhenIdle = () => {
      if (idle) clearTimeout(idle);
      idle = setTimeout(() => {
        idle = null;
        try {
          if (db?.open && compact(db, writer, reader).written > 0) compactWhenIdle();
        } catch {
          // Busy or closing: the next pause tries again.
        }
      }, COMPACT_AFTER_MS);
      idle.unref();
    };
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
        compactWhenIdle();
        try {
          const results = writer.appendMany(appends.map((a) => a.input));
          appends.forEach((a, i) => reply({ type: 'done', id: a.id, counts: results[i]! }));
          // After the answers, so the merge's few hundred ms delay the next batches, not these (`id-index.ts`).
          writer.mergeKeysIfDue();
        } catch (err) {
          // One failed batch must not fail the others: retry each on its own.
          for (const a of appends) {
            let answer: WriterReply;
            try {
              answer = { type: 'done', id: a.id, counts: writer.appendCounted(a.input) };
            } catch (one) {
              answer = { type: 'failed', id: a.id, error: serialise(one ?? err) };
            }
            reply(answer);
          }
        }
      }
      if (closing) {
        if (idle) clearTimeout(idle);
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
