/**
 * Where decoding runs: inline on the main thread, or on a pool of decode threads (piscina). With threads, the main
 * thread only speaks HTTP while parsing, normalising and serialising run beside it and SQLite inserts on the store's
 * writer thread — the three stages of ingest overlap instead of taking turns.
 */
import { Piscina } from 'piscina';
import { BulwarkError } from '@bulwark/schema';
import { pooledThread } from '@bulwark/threads';
import { loadAndRunDecodeTask, type DecodeOutcome, type DecodeTask } from './decode-task.js';

export interface Decoder {
  /** Tasks it runs at once: its threads, or 1 inline. */
  readonly threads: number;
  decode(task: DecodeTask): Promise<DecodeOutcome>;
  close(): Promise<void>;
}

function unwrap(outcome: DecodeOutcome): DecodeOutcome {
  if (outcome.failure) throw new BulwarkError(outcome.failure.code, outcome.failure.message, outcome.failure.details);
  return outcome;
}

export function inlineDecoder(): Decoder {
  return {
    threads: 1,
    decode: async (task) => unwrap(await loadAndRunDecodeTask(task)),
    close: async () => {},
  };
}

/**
 * Piscina's refusals when its queue is full ("Task queue is at limit"; "No task queue available and all Workers are
 * busy" when the queue is 0): the collector is saturated, which the sender must hear as 429 + Retry-After (and retry),
 * never as a 500.
 */
export function isQueueFull(err: unknown): boolean {
  return err instanceof Error && /queue is at limit|no task queue available|queue is full/i.test(err.message);
}

export interface ThreadDecoderOptions {
  /** Tasks that may wait for a thread; default `threads * 64`. */
  maxQueue?: number;
}

export function threadDecoder(threads: number, options: ThreadDecoderOptions = {}): Decoder {
  const pool = new Piscina({
    // Each thread runs decode-task's `loadAndRunDecodeTask`, loaded the one way Bulwark loads thread modules.
    ...pooledThread(import.meta.url, './decode-task', 'loadAndRunDecodeTask'),
    minThreads: threads,
    maxThreads: threads,
    idleTimeout: 60_000,
    // Bounded queue: a burst waits here (its sender waits for the answer) instead of growing without limit.
    maxQueue: options.maxQueue ?? threads * 64,
  });
  return {
    threads,
    async decode(task) {
      try {
        return unwrap((await pool.run(task, { transferList: ownedBuffer(task.body) })) as DecodeOutcome);
      } catch (err) {
        if (err instanceof BulwarkError) throw err;
        if (isQueueFull(err)) {
          throw new BulwarkError('BWK_OVERLOADED', 'the collector is saturated; retry later', { reason: 'decode queue full' });
        }
        throw err;
      }
    },
    close: () => pool.destroy(),
  };
}

/**
 * A body that alone fills its memory moves to the decode thread instead of being copied (a megabyte per `_bulk`
 * request); a view into shared memory (a pooled small buffer) is copied. The route never reads the body again.
 */
function ownedBuffer(body: Uint8Array): ArrayBuffer[] {
  const { buffer } = body;
  return buffer instanceof ArrayBuffer && body.byteOffset === 0 && body.byteLength === buffer.byteLength && body.byteLength > 0 ? [buffer] : [];
}

/** `threads` 0 decodes inline. */
export function createDecoder(threads: number): Decoder {
  return threads > 0 ? threadDecoder(threads) : inlineDecoder();
}
