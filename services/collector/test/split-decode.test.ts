/**
 * A large `_bulk` request decoded on two threads at once (`split-decode.ts`) is the same request as decoded whole on
 * one: the same items in order (errors numbered from the start of the body), the same events with the same ids and
 * times, stored as the same documents.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DECODERS, MIN_CUT_BYTES, bulkCuts } from '@bulwark/ingest';
import { BlockLogStore, parseQuery, type LogStore } from '@bulwark/store';
import { runDecodeTask, type DecodeOutcome, type DecodeTask } from '../src/decode-task.js';
import { threadDecoder } from '../src/decoder.js';
import { decodeBulkTask } from '../src/split-decode.js';
import { unpackItems } from '../src/bulk-items.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-split-decode-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const NOW = new Date('2026-01-01T00:00:00.000Z');

/** A body past the cutting threshold with good documents, deletes, broken lines and refused documents throughout. */
function body(): Buffer {
  const lines: string[] = [];
  let length = 0;
  for (let i = 0; length < MIN_CUT_BYTES * 1.1; i++) {
    const before = lines.length;
    const ts = new Date(NOW.getTime() - 3_600_000 + i * 10).toISOString();
    if (i % 97 === 0) lines.push('{"delete":{"_id":"gone"}}');
    else if (i % 89 === 0) lines.push('{"create":{}}', '{"message": broken');
    else if (i % 83 === 0) lines.push('{"create":{}}', '{"bulwark":{"provenance":"forged"},"@timestamp":"not a time","message":"odd"}');
    else if (i % 2 === 0) lines.push('{"create":{"_index":"logs-app-default"}}', JSON.stringify({ '@timestamp': ts, message: `request ${i} served`, n: i }));
    else lines.push(`{"index":{"_index":"logs-web-default","_id":"w-${i}"}}`, JSON.stringify({ '@timestamp': ts, log: `GET /items/${i}`, kubernetes: { pod_name: `web-${i % 7}` } }));
    for (let l = before; l < lines.length; l++) length += lines[l]!.length + 1;
  }
  return Buffer.from(lines.join('\n') + '\n');
}

function task(bytes: Buffer): DecodeTask {
  return {
    registry: DECODERS.origin,
    decoder: 'es-bulk',
    body: new Uint8Array(bytes),
    options: { now: NOW, maxDepth: 64 },
    mediaType: 'application/x-ndjson',
    params: {},
    provenance: { route: '/_bulk', protocol: 'es-bulk', source: 'logs', token: { id: 't', name: 'shipper' }, token_sources: ['logs'] },
    storeForm: 'columns',
  };
}

async function stored(outcome: DecodeOutcome, name: string): Promise<unknown[]> {
  const store: LogStore = new BlockLogStore({ path: join(dir, `${name}.sqlite`) });
  await store.init();
  try {
    const result = await store.appendColumns!(outcome.columns!);
    assert.equal(result.created + result.duplicates, outcome.columns!.ids.length);
    const docs: unknown[] = [];
    let cursor: string | undefined;
    do {
      const page = await store.search({ query: parseQuery(''), size: 1000, sort: 'asc', ...(cursor ? { cursor } : {}) });
      docs.push(...page.hits);
      cursor = page.cursor ?? undefined;
    } while (cursor);
    return docs;
  } finally {
    await store.close();
  }
}

describe('a _bulk request decoded in parts', () => {
  it('gives the items, events and stored documents of the request decoded whole', async () => {
    const bytes = body();
    assert.ok(bulkCuts(bytes, 2).length === 1, 'the body is cut');
    const whole = runDecodeTask(task(bytes));
    const decoder = threadDecoder(2);
    try {
      const parts = await decodeBulkTask(decoder, task(bytes));
      assert.deepEqual(parts.items, whole.items);
      const items = unpackItems(whole.items!);
      assert.deepEqual(unpackItems(parts.items!), items);
      assert.ok(items.some((item) => item.error && item.error.index > items.length / 2), 'errors in the second half');
      assert.deepEqual(parts.columns!.ids, whole.columns!.ids);
      assert.deepEqual([...parts.columns!.ts], [...whole.columns!.ts]);
      assert.deepEqual([...parts.columns!.keys], [...whole.columns!.keys]);
      const [a, b] = [await stored(parts, 'parts'), await stored(whole, 'whole')];
      assert.ok(a.length > 20_000);
      assert.deepEqual(a, b);
    } finally {
      await decoder.close();
    }
  });

  it('decodes a small request as one task', async () => {
    const bytes = Buffer.from('{"create":{}}\n{"message":"one"}\n');
    const decoder = threadDecoder(2);
    try {
      const outcome = await decodeBulkTask(decoder, task(bytes));
      assert.equal(outcome.items!.kinds.length, 1);
      assert.equal(outcome.columns!.blocks.length, 1);
    } finally {
      await decoder.close();
    }
  });
});
