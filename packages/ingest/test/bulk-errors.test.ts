import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBulk, decodeSingleDoc, type BulkItem } from '../src/index.js';
import { assertThrowsCode, assertValidEvents, ndjson, NOW } from './helpers.js';
import * as f from './fixtures-shippers.js';

function summary(items: BulkItem[]): Array<[number, string | undefined, string | undefined]> {
  return items.map((i, n) => [n, i.error?.code, i.error?.field]);
}

const shipperBody = ndjson(f.logstashAction, f.logstashDoc);

describe('decodeBulk: bad input, item by item', () => {
  const good = JSON.stringify({ message: 'good' });

  it('delete has no source line; update has one; both are BAD_ACTION and the rest decodes', () => {
    const body = ndjson(
      { delete: { _index: 'logs-app-default', _id: 'old' } },
      { index: {} }, good,
      { update: { _id: 'x' } }, { doc: { message: 'patched' } },
      { create: {} }, good,
    );
    const items = decodeBulk(body, { now: NOW });
    assert.deepEqual(summary(items), [
      [0, 'BWK_INGEST_BAD_ACTION', undefined],
      [1, undefined, undefined],
      [2, 'BWK_INGEST_BAD_ACTION', undefined],
      [3, undefined, undefined],
    ]);
    assert.equal(items[0]!.requestedAction, 'delete');
    assert.equal(items[0]!.id, 'old');
    assert.equal(items[0]!.index, 'logs-app-default');
    assert.equal(items[2]!.requestedAction, 'update');
    assert.equal(items[3]!.action, 'create');
  });

  it('an action line that is not JSON consumes the next line as its source', () => {
    const body = Buffer.from(['{"index":{"_index":', '{"message":"orphan source"}', '{"index":{}}', good, ''].join('\n'));
    const items = decodeBulk(body, { now: NOW });
    assert.deepEqual(summary(items), [[0, 'BWK_INGEST_BAD_JSON', undefined], [1, undefined, undefined]]);
    assert.equal(items[1]!.event!.message, 'good');
  });

  it('reports each bad source in place', () => {
    const bytes = Buffer.concat([
      ndjson(
        { index: {} }, '{"message": "unterminated',
        { index: {} }, '["an","array"]',
        { index: {} }, '{"a":{"b":{"c":{"d":{}}}}}',
        { index: {} }, '{"message":"x","__proto__":{"polluted":true}}',
        { index: {} }, '{"message":"x","labels":{"constructor":"y"}}',
        { index: {} }, '{"message":"x","a.__proto__.polluted":true}',
        { index: {} },
      ),
      Buffer.from([0x7b, 0x22, 0x6d, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x0a]), // {"m":"\xff\xfe"}
      ndjson({ index: { _index: 'Bad*Index' } }, good, { index: {} }, good, { index: {} }),
    ]);
    const items = decodeBulk(bytes, { now: NOW, maxDepth: 4 });
    assert.deepEqual(summary(items), [
      [0, 'BWK_INGEST_BAD_JSON', undefined],
      [1, 'BWK_INGEST_BAD_LINE', undefined],
      [2, 'BWK_INGEST_TOO_DEEP', 'a.b.c.d'],
      [3, 'BWK_INGEST_FORBIDDEN_KEY', '__proto__'],
      [4, 'BWK_INGEST_FORBIDDEN_KEY', 'labels.constructor'],
      [5, 'BWK_INGEST_FORBIDDEN_KEY', 'a.__proto__.polluted'],
      [6, 'BWK_INGEST_BAD_ENCODING', undefined],
      [7, 'BWK_INGEST_BAD_ACTION', 'index._index'],
      [8, undefined, undefined],
      [9, 'BWK_INGEST_BAD_LINE', undefined],
    ]);
    assert.match(items[0]!.error!.message, /source line is not valid JSON/);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(items.map((i) => i.error?.index), [0, 1, 2, 3, 4, 5, 6, 7, undefined, 9]);
  });

  it('rejects malformed action lines', () => {
    const items = decodeBulk(
      ndjson(
        { index: {}, create: {} }, good,
        { index: 'logs' }, good,
        { index: { _id: '' } }, good,
        { index: { _index: 7 } }, good,
        { upsert: {} }, good,
        [], good,
        { index: {} }, good,
      ),
      { now: NOW },
    );
    assert.deepEqual(items.map((i) => i.error?.code ?? 'ok'), [
      'BWK_INGEST_BAD_ACTION', 'BWK_INGEST_BAD_ACTION', 'BWK_INGEST_BAD_ACTION', 'BWK_INGEST_BAD_ACTION',
      'BWK_INGEST_BAD_ACTION', 'BWK_INGEST_BAD_ACTION', 'ok',
    ]);
    assert.equal(items[4]!.requestedAction, 'upsert');
  });

  it('throws for a body without actions, and for an unknown charset', () => {
    assertThrowsCode(() => decodeBulk(Buffer.alloc(0)), 'BWK_INGEST_EMPTY');
    assertThrowsCode(() => decodeBulk(Buffer.from('\n\r\n  \n')), 'BWK_INGEST_EMPTY');
    assertThrowsCode(() => decodeBulk(shipperBody, { charset: 'utf-9' }), 'BWK_INGEST_UNSUPPORTED_MEDIA_TYPE');
  });

  it('decodes bodies in other charsets', () => {
    const text = `{"index":{}}\n{"message":"café — naïve"}\n`;
    const latin = decodeBulk(Buffer.from(text.replace(' — ', ' - '), 'latin1'), { charset: 'ISO-8859-1', now: NOW });
    assert.equal(latin[0]!.event!.message, 'café - naïve');
    const utf16 = decodeBulk(Buffer.from(text, 'utf16le'), { charset: 'utf-16le', now: NOW });
    assert.equal(utf16[0]!.event!.message, 'café — naïve');
    const quoted = decodeBulk(Buffer.from(text), { charset: '"UTF-8"', now: NOW });
    assert.equal(quoted[0]!.event!.message, 'café — naïve');
  });
});

describe('decodeSingleDoc', () => {
  it('decodes one document with the index and id from the URL', () => {
    const item = decodeSingleDoc(Buffer.from(JSON.stringify(f.filebeatDoc)), 'filebeat-8.13.0', 'doc-1', { now: NOW });
    assert.equal(item.error, undefined);
    assert.equal(item.id, 'doc-1');
    assert.equal(item.event!.event.id, 'doc-1');
    assert.equal(item.index, 'filebeat-8.13.0');
    assertValidEvents([item.event!]);
    const noId = decodeSingleDoc(Buffer.from(JSON.stringify({ message: 'x' })), 'logs-app-default', undefined, { now: NOW });
    const again = decodeSingleDoc(Buffer.from(JSON.stringify({ message: 'x' })), 'logs-app-default', undefined, { now: new Date() });
    assert.equal(noId.event!.event.id, again.event!.event.id);
    assert.equal(noId.id, undefined);
  });

  it('throws for a body that is not a JSON document, and returns record problems as an item error', () => {
    assertThrowsCode(() => decodeSingleDoc(Buffer.from('{"message":'), 'logs', undefined), 'BWK_INGEST_BAD_JSON');
    assertThrowsCode(() => decodeSingleDoc(Buffer.from(''), 'logs', undefined), 'BWK_INGEST_EMPTY');
    assertThrowsCode(() => decodeSingleDoc(Buffer.from([0x7b, 0xff, 0x7d]), 'logs', undefined), 'BWK_INGEST_BAD_ENCODING');
    assert.equal(decodeSingleDoc(Buffer.from('"text"'), 'logs', undefined).error?.code, 'BWK_INGEST_BAD_LINE');
    assert.equal(decodeSingleDoc(Buffer.from('{"__proto__":{}}'), 'logs', undefined).error?.code, 'BWK_INGEST_FORBIDDEN_KEY');
    assert.equal(decodeSingleDoc(Buffer.from('{"m":1}'), 'UPPER', undefined).error?.code, 'BWK_INGEST_BAD_ACTION');
  });
});
