/**
 * Appends on a writer thread. better-sqlite3 is synchronous, so with the in-process writer every insert blocks the
 * event loop that also parses HTTP bodies: per event the costs add up (decode + normalise + serialise + insert).
 * With this writer the collector decodes and builds a batch's blocks (`prepared.ts`) while the thread inserts the
 * previous one, so the stages overlap instead of taking turns. Reads stay on the main connection; WAL lets
 * them run during writes.
 */
import type { Worker } from 'node:worker_threads';
import { startThread } from '@bulwark/threads';
import { BulwarkError, type ErrorCode } from '@bulwark/schema';
import type { AppendResult } from '../port.js';
import type { SqliteOpenOptions } from '../sqlite/schema.js';
import { transferList, type ColumnBatch } from './prepared.js';
import { appendResultOf, type AppendCounts, type AppendInput } from './writer.js';

export type WriterRequest = { type: 'append'; id: number; input: AppendInput } | { type: 'close' };
export type WriterReply =
  | { type: 'ready' }
  /** The statuses as one byte each (`AppendCounts`), made into the port's strings on this side. */
  | { type: 'done'; id: number; counts: AppendCounts }
  | {
      type: 'failed';
      /** -1: the thread could not start. */
      id: number;
      error: { code?: ErrorCode; message: string; details?: Record<string, unknown> | undefined };
    };

interface Pending {
  resolve: (result: AppendResult) => void;
  reject: (err: unknown) => void;
}

export class WorkerRowWriter {
  private nextId = 0;
  private readonly pending = new Map<number, Pending>();
  private failure: BulwarkError | null = null;

  private constructor(private readonly worker: Worker) {}

  /** Start the thread and wait until its connection is open. */
  static async start(options: SqliteOpenOptions): Promise<WorkerRowWriter> {
    const worker = startThread(import.meta.url, './writer-worker', { workerData: { ...options } });
    const writer = new WorkerRowWriter(worker);
    await new Promise<void>((resolve, reject) => {
      const onReply = (reply: WriterReply) => {
        if (reply.type === 'ready') resolve();
        else if (reply.type === 'failed' && reply.id === -1) reject(toError(reply.error));
        else writer.settle(reply);
      };
      worker.on('message', onReply);
      worker.once('error', (err) => {
        writer.fail(err);
        reject(writer.failure);
      });
      worker.once('exit', () => writer.fail(new Error('the writer thread exited')));
    });
    return writer;
  }

  /** Resolves once the batch is committed by the thread (same guarantees as the in-process writer). */
  write(input: AppendInput): Promise<AppendResult> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise<AppendResult>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      // A built batch's bytes move to the thread (one buffer, not copied) and its ids stay here: the thread checks the
      // typed keys and reads an id from the blocks only on a key hit (`writer.ts`). Rows are cloned.
      if (Array.isArray(input)) this.worker.postMessage({ type: 'append', id, input } satisfies WriterRequest);
      else {
        const { ids: _ids, ...batch } = input as ColumnBatch;
        this.worker.postMessage({ type: 'append', id, input: batch } satisfies WriterRequest, transferList(input as ColumnBatch));
      }
    });
  }

  /** Let queued batches finish, then close the thread's connection and wait for it to exit. */
  async close(): Promise<void> {
    if (this.failure) return;
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    this.worker.postMessage({ type: 'close' } satisfies WriterRequest);
    await exited;
  }

  private settle(reply: WriterReply): void {
    if (reply.type === 'ready') return;
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (reply.type === 'done') pending.resolve(appendResultOf(reply.counts));
    else pending.reject(toError(reply.error));
  }

  /** The thread is gone: every waiting and later append fails with BWK_STORE_UNAVAILABLE. */
  private fail(cause: unknown): void {
    if (!this.failure) {
      const why = cause instanceof Error ? cause.message : String(cause);
      this.failure = new BulwarkError('BWK_STORE_UNAVAILABLE', `the SQLite writer thread stopped: ${why}`);
    }
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}

function toError(error: Extract<WriterReply, { type: 'failed' }>['error']): Error {
  return error.code ? new BulwarkError(error.code, error.message, error.details) : new Error(error.message);
}
