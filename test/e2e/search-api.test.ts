// services: process
/** The search API over HTTP: query language, time range, pagination, histogram, and parameter errors. */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ndjson, startHarness, type Harness } from '../support/harness.js';

const BASE = Date.parse('2026-11-20T00:00:00.000Z');

describe('search API', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const events = Array.from({ length: 120 }, (_, i) => ({
      '@timestamp': new Date(BASE + i * 60_000).toISOString(),
      message: i % 2 === 0 ? `payment accepted order ${i}` : `payment declined order ${i}`,
      kubernetes: { namespace: i % 3 === 0 ? 'prod' : 'staging', pod: { name: `pay-${i % 4}` } },
      http: { response: { status_code: i % 2 === 0 ? 200 : 402 } },
      event: { dataset: 'payments.app', id: `pay-${String(i).padStart(3, '0')}` },
    }));
    const res = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, body: ndjson(events) });
    assert.equal(res.status, 200);
  });
  after(async () => h.close());

  async function search(params: Record<string, string>): Promise<{ status: number; body: any }> {
    const res = await h.fetch(`/v1/search?${new URLSearchParams(params)}`, { token: h.tokens.read });
    return { status: res.status, body: await res.json() };
  }

  it('filters with the query language and a time range', async () => {
    const all = await search({ q: 'event.dataset:payments.app', size: '1000' });
    assert.equal(all.body.hits.length, 120);
    const declinedProd = await search({ q: 'declined AND kubernetes.namespace:prod', size: '1000' });
    assert.ok(declinedProd.body.hits.length > 0);
    for (const e of declinedProd.body.hits) {
      assert.match(e.message, /declined/);
      assert.equal(e.kubernetes.namespace, 'prod');
    }
    const range = await search({ q: 'http.response.status_code>=400', from: new Date(BASE).toISOString(), to: new Date(BASE + 10 * 60_000).toISOString(), size: '1000' });
    assert.equal(range.body.hits.length, 5);
    const relative = await search({ q: '*', from: 'now-1h', size: '10' });
    assert.equal(relative.status, 200);
    assert.equal(relative.body.hits.length, 0);
  });

  it('pages with a cursor, newest first, each event once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const params: Record<string, string> = { q: 'event.dataset:payments.app', size: '25' };
      if (cursor) params.cursor = cursor;
      const page = await search(params);
      assert.equal(page.status, 200);
      seen.push(...page.body.hits.map((e: any) => e.event.id));
      cursor = page.body.cursor;
      pages++;
    } while (cursor && pages < 20);
    assert.equal(pages, 5);
    assert.equal(seen.length, 120);
    assert.equal(new Set(seen).size, 120);
    assert.deepEqual(seen, [...seen].sort().reverse());
  });

  it('answers a date histogram', async () => {
    const res = await h.fetch(
      `/v1/histogram?${new URLSearchParams({ q: 'declined', from: new Date(BASE).toISOString(), to: new Date(BASE + 60 * 60_000).toISOString(), interval: '10m' })}`,
      { token: h.tokens.read },
    );
    assert.equal(res.status, 200);
    const body = (await res.json()) as { interval_ms: number; total: number; buckets: Array<{ key: string; count: number }> };
    assert.equal(body.interval_ms, 600_000);
    assert.equal(body.buckets.length, 6);
    assert.equal(body.total, 30);
    assert.ok(body.buckets.every((b) => b.count === 5));
    assert.equal(body.buckets[0]!.key, new Date(BASE).toISOString());
  });

  it('gets one event by id, 404 for an unknown one', async () => {
    const res = await h.fetch('/v1/events/pay-007', { token: h.tokens.read });
    assert.equal(res.status, 200);
    assert.equal(((await res.json()) as { message: string }).message, 'payment declined order 7');
    const missing = await h.fetch('/v1/events/nope', { token: h.tokens.read });
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as { error: { code: string } }).error.code, 'BWK_NOT_FOUND');
  });

  it('bad query syntax is a 400 naming the position', async () => {
    const res = await search({ q: 'kubernetes.namespace:prod AND (declined OR' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'BWK_QUERY_SYNTAX');
    assert.equal(typeof res.body.error.details.position, 'number');
    assert.match(res.body.error.message, /position \d+/);
  });

  it('bad parameters are a 400 naming the parameter', async () => {
    for (const [params, param] of [
      [{ size: '0' }, 'size'],
      [{ size: 'many' }, 'size'],
      [{ from: 'yesterday' }, 'from'],
      [{ sort: 'sideways' }, 'sort'],
      [{ cursor: 'garbage!!' }, 'cursor'],
    ] as Array<[Record<string, string>, string]>) {
      const res = await search(params);
      assert.equal(res.status, 400, JSON.stringify(params));
      assert.equal(res.body.error.details.param, param);
    }
    const hist = await h.fetch('/v1/histogram?interval=fortnight', { token: h.tokens.read });
    assert.equal(hist.status, 400);
    assert.equal(((await hist.json()) as { error: { details: { param: string } } }).error.details.param, 'interval');
  });
});
