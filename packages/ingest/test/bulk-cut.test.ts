/**
 * Cutting a `_bulk` body for decoding on several threads (`bulk-cut.ts`): every cut lies before a line the decoder reads
 * as an action, so the parts decoded apart give the whole body's items — whatever blank lines, CRLF endings, deletes
 * (no source line), unparseable action lines (which still take one), a byte-order mark or bad documents the body holds.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bulkCuts, decodeBulk, MIN_CUT_BYTES, type BulkItem } from '../src/index.js';

const NOW = new Date('2026-01-01T00:00:00.000Z');
const decode = (body: Buffer): BulkItem[] => decodeBulk(body, { now: NOW, maxDepth: 64 });

/** The items of the parts, as the whole body's: ordinals in errors count from the start of the whole body. */
function partItems(body: Buffer, cuts: number[]): BulkItem[] {
  const bounds = [0, ...cuts, body.length];
  const items: BulkItem[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) {
    const base = items.length;
    for (const item of decode(body.subarray(bounds[i]!, bounds[i + 1]!))) {
      items.push(item.error ? { ...item, error: { ...item.error, index: item.error.index + base } } : item);
    }
  }
  return items;
}

/** A deterministic pseudo-random generator, so a failure names a seed that reproduces it. */
function prng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

/** Lines a shipper, a broken shipper or an attacker might send, each with how many lines it spans. */
function randomBody(seed: number, pairs: number): Buffer {
  const r = prng(seed);
  const lines: string[] = [];
  const create = '{"create":{"_index":"logs-app-default"}}';
  for (let i = 0; i < pairs; i++) {
    const roll = r();
    const eol = r() < 0.1 ? '\r' : '';
    if (r() < 0.05) lines.push(r() < 0.5 ? '' : '  \t');
    if (roll < 0.6) lines.push(create + eol, `{"message":"line ${i}","n":${i}}${eol}`);
    else if (roll < 0.7) lines.push(`{"index":{"_index":"logs-other-default","_id":"id-${i}"}}`, `{"message":"other ${i}"}`);
    else if (roll < 0.76) lines.push(`{"delete":{"_index":"logs-app-default","_id":"d-${i}"}}`); // no source line
    else if (roll < 0.8) lines.push('{"create":', `{"message":"skipped with its broken action ${i}"}`);
    else if (roll < 0.84) lines.push('{"delete":{},"create":{}}', '{"message":"two verbs: the next line is its source"}');
    else if (roll < 0.88) lines.push(create, '{"message":"not json"');
    else if (roll < 0.92) lines.push(create, '["not", "an", "object"]');
    else if (roll < 0.96) lines.push('{"update":{"_id":"u"}}', '{"doc":{"a":1}}');
    else lines.push(create, `{"message":"{\\"create\\":{}} inside a document ${i}","create":{}}`);
  }
  return Buffer.from(lines.join('\n') + (r() < 0.5 ? '\n' : ''));
}

describe('_bulk body cuts', () => {
  it('decodes in parts exactly as whole, across bodies of every kind of line', () => {
    for (let seed = 1; seed <= 60; seed++) {
      const body = randomBody(seed, 40 + (seed % 30));
      const whole = decode(body);
      for (const parts of [2, 3, 4]) {
        const cuts = bulkCuts(body, parts, 0);
        assert.ok(cuts.length > 0, `seed ${seed}: no cut`);
        assert.ok(cuts.length <= parts - 1);
        assert.deepEqual(partItems(body, cuts), whole, `seed ${seed}, ${parts} parts, cuts ${cuts}`);
      }
    }
  });

  it('cuts near the middle, only before action lines, and leaves small or non-UTF-8 bodies whole', () => {
    const pair = '{"create":{}}\n{"message":"a line of some length to fill the body"}\n';
    const body = Buffer.from(pair.repeat(Math.ceil((MIN_CUT_BYTES + 1) / pair.length)));
    const [cut] = bulkCuts(body, 2);
    assert.ok(cut !== undefined && Math.abs(cut - body.length / 2) <= pair.length, `cut at ${cut} of ${body.length}`);
    assert.equal(body.toString('utf8', cut, cut + 13), '{"create":{}}');
    assert.deepEqual(bulkCuts(body.subarray(0, MIN_CUT_BYTES - 1), 2), []);
    assert.deepEqual(bulkCuts(body, 1), []);
    const broken = Buffer.concat([body, Buffer.from([0xff, 0x0a])]);
    assert.deepEqual(bulkCuts(broken, 2), []);
  });

  it('reads a first action behind a byte-order mark as the decoder does (a bare delete takes no source line)', () => {
    const body = Buffer.from('\ufeff{"delete":{"_id":"x"}}\n{"create":{}}\n{"message":"a"}\n{"create":{}}\n{"message":"b"}\n');
    const cuts = bulkCuts(body, 2, 0);
    assert.deepEqual(partItems(body, cuts), decode(body));
    assert.equal(decode(body).length, 3);
  });
});
