/**
 * Writes documents with `_bulk` `create` operations, the way a collector must: batches bounded by bytes and by
 * count, a bounded number of batches in flight, and per-item outcomes.
 *
 * - `create` with our `_id` is idempotent: an id already stored answers 409, reported as `duplicate`.
 * - Items answered 429 (the engine's write queue is full) or 5xx, and whole requests that fail the same way (engine
 *   down, connection refused), are retried with exponential backoff and jitter, up to `maxRetries` times; then the
 *   write rejects with `BWK_STORE_UNAVAILABLE`, which the collector answers 503 with Retry-After, so the shipper
 *   retries the batch. Items that did land become `duplicate` on that retry: nothing is lost or doubled.
 * - Items answered 400 because of the document (mapping conflicts: `mapper_parsing_exception`,
 *   `document_parsing_exception`, `illegal_argument_exception`...) are `rejected` with the engine's type and reason;
 *   retrying cannot help them. A 400 that is about the index rather than the document (closed, blocked) is treated
 *   like 5xx: the engine needs attention, the document is fine.
 */
import { BulwarkError } from '@bulwark/schema';
import type { EngineClient } from './client.js';

export interface BulkOptions {
  /** Largest request body, bytes (default 5 MiB). */
  maxBytes: number;
  /** Most documents per request (default 2000). */
  maxDocs: number;
  /** Requests in flight at once per write (default 2). */
  concurrency: number;
  /** Retries of 429/5xx items before giving up (default 5: about 3 s of backoff in all). */
  maxRetries: number;
  /** First backoff delay, ms (default 100), doubling per retry up to `maxDelayMs` (default 5000). */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_BULK_OPTIONS: BulkOptions = {
  maxBytes: 5 * 1024 * 1024,
  maxDocs: 2000,
  concurrency: 2,
  maxRetries: 5,
  baseDelayMs: 100,
  maxDelayMs: 5000,
};

/** One document to create: its target, its id and its source as JSON text. */
export interface BulkDoc {
  index: string;
  id: string;
  source: string;
}

export type BulkOutcome = { status: 'created' } | { status: 'duplicate' } | { status: 'rejected'; type: string; reason: string };

interface BulkItemResult {
  status: number;
  error?: { type?: string; reason?: string; caused_by?: { type?: string; reason?: string } };
}

interface BulkResponse {
  items?: Array<Record<string, BulkItemResult>>;
}

/** 400s that say the index cannot take writes now, not that the document is wrong. */
const INDEX_PROBLEMS = new Set(['index_closed_exception', 'cluster_block_exception', 'index_not_found_exception']);

const CREATED: BulkOutcome = { status: 'created' };
const DUPLICATE: BulkOutcome = { status: 'duplicate' };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class BulkWriter {
  constructor(
    private readonly client: EngineClient,
    private readonly options: BulkOptions,
  ) {}

  /**
   * Creates every document; resolves with one outcome per document, in order, once each is created, a duplicate or
   * rejected (`refresh` is passed to `_bulk`: `wait_for` makes created documents searchable before resolving).
   * @throws BulwarkError BWK_STORE_UNAVAILABLE when some documents could not be written within the retries.
   */
  async write(docs: readonly BulkDoc[], refresh: string): Promise<BulkOutcome[]> {
    const lines = docs.map((doc) => `${JSON.stringify({ create: { _index: doc.index, _id: doc.id } })}\n${doc.source}\n`);
    const chunks = this.split(lines);
    const outcomes: BulkOutcome[] = new Array(docs.length);
    let next = 0;
    let failure: unknown = null;
    const worker = async () => {
      while (failure === null && next < chunks.length) {
        const chunk = chunks[next++]!;
        try {
          await this.writeChunk(chunk, lines, outcomes, refresh);
        } catch (err) {
          failure ??= err;
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.concurrency, chunks.length) }, worker));
    if (failure !== null) throw failure;
    return outcomes;
  }

  /** Positions grouped into requests of at most `maxDocs` documents and `maxBytes` bytes (a larger document alone). */
  private split(lines: readonly string[]): number[][] {
    const chunks: number[][] = [];
    let current: number[] = [];
    let bytes = 0;
    lines.forEach((line, i) => {
      const size = Buffer.byteLength(line);
      if (current.length > 0 && (current.length >= this.options.maxDocs || bytes + size > this.options.maxBytes)) {
        chunks.push(current);
        current = [];
        bytes = 0;
      }
      current.push(i);
      bytes += size;
    });
    if (current.length > 0) chunks.push(current);
    return chunks;
  }

  private async writeChunk(chunk: number[], lines: readonly string[], outcomes: BulkOutcome[], refresh: string): Promise<void> {
    let pending = chunk;
    let problem = '';
    for (let attempt = 0; ; attempt++) {
      let retry: number[] = [];
      try {
        const res = await this.client.request<BulkResponse>({
          method: 'POST',
          path: '/_bulk',
          bulkBody: pending.map((i) => lines[i]).join(''),
          querystring: { refresh },
        });
        const items = res.body.items ?? [];
        if (items.length !== pending.length) {
          throw new BulwarkError('BWK_INTERNAL', `_bulk answered ${items.length} items for ${pending.length} operations`);
        }
        pending.forEach((position, k) => {
          const item = Object.values(items[k]!)[0]!;
          const outcome = classify(item);
          if (outcome) {
            outcomes[position] = outcome;
          } else {
            retry.push(position);
            problem = `${item.status} ${item.error?.type ?? ''} ${item.error?.reason ?? ''}`.trim();
          }
        });
      } catch (err) {
        if (!(err instanceof BulwarkError) || err.code !== 'BWK_STORE_UNAVAILABLE') throw err;
        retry = pending;
        problem = err.message;
      }
      if (retry.length === 0) return;
      if (attempt >= this.options.maxRetries) {
        throw new BulwarkError('BWK_STORE_UNAVAILABLE', `the search engine did not take ${retry.length} event(s) after ${attempt + 1} attempts: ${problem}`, {
          pending: retry.length,
          reason: problem,
        });
      }
      await sleep(this.backoff(attempt));
      pending = retry;
    }
  }

  /** Exponential, with jitter in [d/2, d] so that collectors retrying together spread out. */
  private backoff(attempt: number): number {
    const d = Math.min(this.options.maxDelayMs, this.options.baseDelayMs * 2 ** attempt);
    return d / 2 + (Math.random() * d) / 2;
  }
}

/** The final outcome of an item, or null when it should be retried. */
function classify(item: BulkItemResult): BulkOutcome | null {
  if (item.status >= 200 && item.status < 300) return CREATED;
  if (item.status === 409) return DUPLICATE;
  const type = item.error?.type ?? 'unknown';
  if (item.status === 400 && !INDEX_PROBLEMS.has(type)) {
    const cause = item.error?.caused_by?.reason;
    const reason = item.error?.reason ?? 'refused by the search engine';
    return { status: 'rejected', type, reason: cause && !reason.includes(cause) ? `${reason}: ${cause}` : reason };
  }
  return null;
}
