// services: process
/** Decoding inline (`BULWARK_DECODE_THREADS=0`) and on decode threads gives the same answers and the same events. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ndjson, searchHits, startHarness } from '../support/harness.js';

async function exercise(threads: string): Promise<{ bulk: unknown; native: unknown; hits: unknown[] }> {
  const h = await startHarness({ BULWARK_DECODE_THREADS: threads });
  try {
    const action = { create: { _index: 'logs-modes-default' } };
    const bulkRes = await h.fetch('/_bulk', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson([action, { '@timestamp': '2026-11-01T00:00:00Z', message: 'ok 1' }, action, '{bad', action, { '@timestamp': '2026-11-01T00:00:01Z', message: 'ok 2' }]),
    });
    const bulk = (await bulkRes.json()) as { items: Array<{ create: { status: number; _id: string } }> };
    const nativeRes = await h.fetch('/v1/ingest/events', {
      method: 'POST',
      token: h.tokens.ingest,
      body: ndjson([{ '@timestamp': '2026-11-01T00:00:02Z', message: 'ok 3' }, { message: 'bad', process: { pid: 'x' } }]),
    });
    assert.equal(nativeRes.status, 400);
    const native = (await nativeRes.json()) as { error: { details: unknown } };
    const hits = (await searchHits(h, 'ok', { sort: 'asc' })).map((e) => [e.event.id, e.message]);
    return { bulk: bulk.items.map((i) => [i.create.status, i.create._id]), native: native.error.details, hits };
  } finally {
    await h.close();
  }
}

describe('decode modes', () => {
  it('inline and threaded decoding agree', async () => {
    const inline = await exercise('0');
    const threaded = await exercise('2');
    assert.deepEqual(threaded, inline);
    assert.equal(inline.hits.length, 3);
  });
});
