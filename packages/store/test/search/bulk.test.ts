/**
 * The bulk writer against a scripted engine: how batches are cut, how many run at once, and what is retried, given
 * up on, or rejected. (The real engine's answers — 409 for a duplicate, 400 for a mapping conflict — are covered by
 * the OpenSearch suite; 429/5xx cannot be provoked on demand there.)
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BulwarkError } from '@bulwark/schema';
import type { EngineClient } from '../../src/index.js';
import { BulkWriter, DEFAULT_BULK_OPTIONS, type BulkDoc, type BulkOptions } from '../../src/search/bulk.js';

type ItemAnswer = number | { status: number; type: string; reason?: string; cause?: string };
/** Answers each `_bulk` request: per document id, the status to give it on this attempt; or throws. */
type Script = (ids: string[], attempt: number) => ItemAnswer[] | Error;

function scriptedClient(script: Script) {
  const requests: string[][] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const client = {
    kind: 'opensearch',
    async request(req: { path: string; bulkBody?: string; querystring?: Record<string, unknown> }) {
      assert.equal(req.path, '/_bulk');
      const lines = req.bulkBody!.split('\n').filter(Boolean);
      const ids = lines.filter((_, i) => i % 2 === 0).map((line) => (JSON.parse(line) as { create: { _id: string } }).create._id);
      requests.push(ids);
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight--;
      const answer = script(ids, requests.length);
      if (answer instanceof Error) throw answer;
      const items = answer.map((a) => {
        const item = typeof a === 'number' ? { status: a } : { status: a.status, error: { type: a.type, reason: a.reason ?? 'why', ...(a.cause ? { caused_by: { reason: a.cause } } : {}) } };
        return { create: item };
      });
      return { statusCode: 200, body: { errors: true, items } };
    },
  } as unknown as EngineClient;
  return { client, requests, maxInFlight: () => maxInFlight };
}

function docs(n: number, size = 10): BulkDoc[] {
  return Array.from({ length: n }, (_, i) => ({ index: 'logs-t.x-default', id: `d${i}`, source: JSON.stringify({ pad: 'x'.repeat(size) }) }));
}

const fast: BulkOptions = { ...DEFAULT_BULK_OPTIONS, baseDelayMs: 1, maxDelayMs: 2 };

describe('BulkWriter', () => {
  it('cuts batches by count and by bytes, and keeps at most `concurrency` requests in flight', async () => {
    const byCount = scriptedClient((ids) => ids.map(() => 201));
    const outcomes = await new BulkWriter(byCount.client, { ...fast, maxDocs: 3, concurrency: 2 }).write(docs(10), 'wait_for');
    assert.deepEqual(byCount.requests.map((r) => r.length).sort(), [1, 3, 3, 3]);
    assert.equal(byCount.maxInFlight(), 2);
    assert.ok(outcomes.every((o) => o.status === 'created'));

    const byBytes = scriptedClient((ids) => ids.map(() => 201));
    await new BulkWriter(byBytes.client, { ...fast, maxBytes: 250, concurrency: 1 }).write(docs(4, 100), 'wait_for');
    assert.deepEqual(byBytes.requests, [['d0'], ['d1'], ['d2'], ['d3']]); // one ~160-byte document per request
    assert.equal(byBytes.maxInFlight(), 1);
  });

  it('retries only the items answered 429/5xx, and whole requests that failed as unavailable', async () => {
    const engine = scriptedClient((ids, attempt) => {
      if (attempt === 1) return new BulwarkError('BWK_STORE_UNAVAILABLE', 'connection refused');
      if (attempt === 2) return ids.map((id) => (id === 'd1' ? 429 : id === 'd2' ? 503 : 201));
      return ids.map((id) => (id === 'd2' ? 409 : 201));
    });
    const outcomes = await new BulkWriter(engine.client, fast).write(docs(3), 'wait_for');
    assert.deepEqual(engine.requests, [['d0', 'd1', 'd2'], ['d0', 'd1', 'd2'], ['d1', 'd2']]);
    assert.deepEqual(outcomes, [{ status: 'created' }, { status: 'created' }, { status: 'duplicate' }]);
  });

  it('gives up with BWK_STORE_UNAVAILABLE after maxRetries, naming what the engine said', async () => {
    const engine = scriptedClient((ids) => ids.map(() => ({ status: 429, type: 'es_rejected_execution_exception', reason: 'queue full' })));
    await assert.rejects(new BulkWriter(engine.client, { ...fast, maxRetries: 3 }).write(docs(2), 'wait_for'), (err: BulwarkError) => {
      assert.equal(err.code, 'BWK_STORE_UNAVAILABLE');
      assert.match(err.message, /2 event\(s\) after 4 attempts: 429 es_rejected_execution_exception queue full/);
      return true;
    });
    assert.equal(engine.requests.length, 4);
  });

  it('rejects documents refused for their content, with the engine type and reason; retries index-level 400s', async () => {
    const engine = scriptedClient((ids, attempt) =>
      ids.map((id) => {
        if (id === 'd0') return { status: 400, type: 'mapper_parsing_exception', reason: 'failed to parse field [a]', cause: 'For input string: "x"' };
        if (id === 'd1' && attempt === 1) return { status: 400, type: 'index_closed_exception', reason: 'closed' };
        return 201;
      }),
    );
    const outcomes = await new BulkWriter(engine.client, fast).write(docs(2), 'false');
    assert.deepEqual(outcomes, [
      { status: 'rejected', type: 'mapper_parsing_exception', reason: 'failed to parse field [a]: For input string: "x"' },
      { status: 'created' },
    ]);
    assert.deepEqual(engine.requests, [['d0', 'd1'], ['d1']]);
  });

  it('fails at once on a request the engine refuses as a whole (not retryable)', async () => {
    const engine = scriptedClient(() => new BulwarkError('BWK_INTERNAL', 'search engine refused the request (413)'));
    await assert.rejects(new BulkWriter(engine.client, fast).write(docs(2), 'false'), { code: 'BWK_INTERNAL' });
    assert.equal(engine.requests.length, 1);
  });
});
