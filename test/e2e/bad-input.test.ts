// services: process
/**
 * Every class of bad input gets a 4xx naming the problem, never a 5xx, and never costs the good records of the batch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { ndjson, searchHits, startHarness, type Harness } from '../support/harness.js';

interface Rejected {
  error: { code: string; message: string; details: { accepted: number; rejected: number; errors: Array<{ index: number; code: string; field?: string; message: string }> } };
}

function nested(depth: number): Record<string, unknown> {
  let node: Record<string, unknown> = { leaf: 1 };
  for (let i = 0; i < depth; i++) node = { n: node };
  return node;
}

describe('bad input', () => {
  let h: Harness;
  let run = 0;
  before(async () => {
    h = await startHarness({ BULWARK_MAX_BODY_BYTES: String(256 * 1024) });
  });
  after(async () => h.close());

  /** Sends `bad` between two good records on the generic endpoint and on _bulk; checks the 4xx and the good ones. */
  async function checkBatch(bad: string | Buffer, expectCode: string, expectField?: string): Promise<void> {
    run++;
    const good = (k: number) => JSON.stringify({ '@timestamp': '2026-11-05T00:00:00Z', message: `good record ${run}-${k}`, tags: [`run${run}`] });
    const body = Buffer.concat([Buffer.from(`${good(0)}\n`), Buffer.isBuffer(bad) ? bad : Buffer.from(bad), Buffer.from(`\n${good(1)}\n`)]);
    const res = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, headers: { 'content-type': 'application/x-ndjson' }, body });
    assert.equal(res.status, 400);
    const out = (await res.json()) as Rejected;
    assert.equal(out.error.code, 'BWK_INGEST_REJECTED_RECORDS');
    assert.equal(out.error.details.accepted, 2);
    assert.equal(out.error.details.rejected, 1);
    const err = out.error.details.errors[0]!;
    assert.equal(err.index, 1);
    assert.equal(err.code, expectCode);
    if (expectField) assert.equal(err.field, expectField);
    assert.ok(err.message.length > 5);
    const stored = await searchHits(h, `tags:run${run}`);
    assert.deepEqual(stored.map((e) => e.message).sort(), [`good record ${run}-0`, `good record ${run}-1`]);

    // The same record inside an Elasticsearch bulk: a 400 item between two 201s, good ones stored.
    run++;
    const action = JSON.stringify({ create: { _index: 'logs-bad-default' } });
    const bulk = Buffer.concat([
      Buffer.from(`${action}\n${good(0)}\n${action}\n`),
      Buffer.isBuffer(bad) ? bad : Buffer.from(bad),
      Buffer.from(`\n${action}\n${good(1)}\n`),
    ]);
    const bres = await h.fetch('/_bulk', { method: 'POST', token: h.tokens.ingest, headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    assert.equal(bres.status, 200);
    const bout = (await bres.json()) as { errors: boolean; items: Array<{ create: { status: number; error?: { bulwark_code: string } } }> };
    assert.equal(bout.errors, true);
    assert.deepEqual(bout.items.map((i) => i.create.status), [201, 400, 201]);
    assert.equal(bout.items[1]!.create.error!.bulwark_code, expectCode);
    assert.equal((await searchHits(h, `tags:run${run}`)).length, 2);
  }

  it('a malformed JSON line', async () => {
    await checkBatch('{"message": "unterminated', 'BWK_INGEST_BAD_JSON');
  });

  it('a field of the wrong type', async () => {
    const res = await h.fetch('/v1/ingest/events', {
      method: 'POST',
      token: h.tokens.ingest,
      body: ndjson([{ message: 'fine' }, { message: 'bad pid', process: { pid: 'one' } }]),
    });
    assert.equal(res.status, 400);
    const out = (await res.json()) as Rejected;
    assert.equal(out.error.details.errors[0]!.field, 'process.pid');
    assert.equal(out.error.details.accepted, 1);
  });

  it('nesting deeper than the limit', async () => {
    await checkBatch(JSON.stringify({ message: 'deep', deep: nested(100) }), 'BWK_INGEST_TOO_DEEP');
  });

  it('__proto__ and constructor keys', async () => {
    await checkBatch('{"message":"evil","__proto__":{"polluted":true}}', 'BWK_INGEST_FORBIDDEN_KEY', '__proto__');
    await checkBatch('{"message":"evil","a":{"constructor":{"prototype":{"polluted":true}}}}', 'BWK_INGEST_FORBIDDEN_KEY');
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  it('invalid UTF-8 in one line', async () => {
    await checkBatch(Buffer.from([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xc3, 0x28, 0xff, 0x22, 0x7d]), 'BWK_INGEST_BAD_ENCODING');
  });

  it('an oversize body is 413 and stores nothing of it', async () => {
    const big = ndjson(Array.from({ length: 3000 }, (_, i) => ({ message: `filler ${i} ${'x'.repeat(100)}`, tags: ['oversize'] })));
    const res = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, body: big });
    assert.equal(res.status, 413);
    const out = (await res.json()) as Rejected;
    assert.equal(out.error.code, 'BWK_INGEST_TOO_LARGE');
    assert.equal((await searchHits(h, 'tags:oversize')).length, 0);
    // The limit applies after decompression: a small gzip that inflates past it is refused too.
    const bomb = gzipSync(Buffer.from(ndjson(Array.from({ length: 5000 }, () => ({ message: 'a'.repeat(200) })))));
    assert.ok(bomb.length < 256 * 1024);
    const bres = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, headers: { 'content-encoding': 'gzip' }, body: bomb });
    assert.equal(bres.status, 413);
  });

  it('bad gzip is 400 naming the encoding; a good gzip body right after works', async () => {
    const res = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, headers: { 'content-encoding': 'gzip' }, body: Buffer.from('this is not gzip at all') });
    assert.equal(res.status, 400);
    const out = (await res.json()) as { error: { code: string; details: { header: string } } };
    assert.equal(out.error.code, 'BWK_INGEST_BAD_GZIP');
    assert.equal(out.error.details.header, 'content-encoding');
    const ok = await h.fetch('/v1/ingest/events', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-encoding': 'gzip' },
      body: gzipSync(ndjson([{ message: 'after bad gzip', tags: ['gz-ok'] }])),
    });
    assert.equal(ok.status, 200);
    assert.equal((await searchHits(h, 'tags:gz-ok')).length, 1);
  });

  it('an unknown charset or content encoding is 415', async () => {
    const cs = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, headers: { 'content-type': 'application/json; charset=klingon' }, body: '{}' });
    assert.equal(cs.status, 415);
    const enc = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, headers: { 'content-encoding': 'lzma' }, body: '{}' });
    assert.equal(enc.status, 415);
  });

  it('a body that is not JSON at all is 400 on every native endpoint, never 5xx', async () => {
    for (const path of ['/v1/ingest/k8s-audit', '/v1/ingest/falco', '/loki/api/v1/push', '/v1/ingest/events', '/v1/ingest/container-logs']) {
      // `{"items": 5}` is a fine generic event (any extra field is kept), but malformed for the other protocols.
      const bodies = ['', 'not json', '[1,2', 'null', '\u0000\u0001', ...(path === '/v1/ingest/events' ? [] : ['{"items": 5}'])];
      for (const body of bodies) {
        const res = await h.fetch(path, { method: 'POST', token: h.tokens.ingest, headers: { 'content-type': 'application/json' }, body });
        assert.ok(res.status >= 400 && res.status < 500, `${path} with ${JSON.stringify(body)} gave ${res.status}`);
        const out = (await res.json()) as { error: { code: string; message: string } };
        assert.match(out.error.code, /^BWK_/);
      }
    }
  });
});
