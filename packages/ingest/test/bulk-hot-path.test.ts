/**
 * What the `_bulk` hot path's shortcuts must not change: a repeated action line reuses its parse, a record passes the
 * allocation-free safety walk or is walked again for the exact field, and a stored document is an ordinary object.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBulk, normalizeDocument } from '../src/index.js';
import { ndjson, NOW, safetyProblemOf } from './helpers.js';

describe('decodeBulk: repeated action lines', () => {
  it('gives every item its own action line, whether or not it repeats the previous one', () => {
    const a = { create: { _index: 'logs-a-default' } };
    const b = { index: { _index: 'logs-b-default', _id: 'b1' } };
    const items = decodeBulk(
      ndjson(a, { message: '1' }, a, { message: '2' }, b, { message: '3' }, a, { message: '4' }, '{"delete":{}}', a, { message: '5' }, a, { message: '6' }),
      { now: NOW },
    );
    assert.deepEqual(
      items.map((i) => [i.action, i.index, i.id, i.requestedAction, i.error?.code, i.event?.message]),
      [
        ['create', 'logs-a-default', undefined, undefined, undefined, '1'],
        ['create', 'logs-a-default', undefined, undefined, undefined, '2'],
        ['index', 'logs-b-default', 'b1', undefined, undefined, '3'],
        ['create', 'logs-a-default', undefined, undefined, undefined, '4'],
        ['index', 'logs-generic-default', undefined, 'delete', 'BWK_INGEST_BAD_ACTION', undefined],
        ['create', 'logs-a-default', undefined, undefined, undefined, '5'],
        ['create', 'logs-a-default', undefined, undefined, undefined, '6'],
      ],
    );
    // The items of one repeated action line are still distinct objects, each with its own event and id.
    assert.notEqual(items[0], items[1]);
    assert.notEqual(items[0]!.event!.event.id, items[1]!.event!.event.id);
    assert.equal(items[2]!.event!.event.id, 'b1');
  });

  it('answers a repeated bad action line each time', () => {
    const bad = '{"index":{"_index":"UPPER"}}';
    const items = decodeBulk(ndjson(bad, { message: '1' }, bad, { message: '2' }), { now: NOW });
    assert.deepEqual(items.map((i) => [i.error?.code, i.error?.index]), [['BWK_INGEST_BAD_ACTION', 0], ['BWK_INGEST_BAD_ACTION', 1]]);
  });
});

describe('assertSafeRecord: the first problem and its field', () => {
  it('names the same field whichever containers come before the problem', () => {
    assert.equal(safetyProblemOf({ a: [{ b: 1 }, { c: { d: [] } }], 'e.f': { g: 1 } }, 5, 'p'), undefined);
    assert.deepEqual(safetyProblemOf({ a: [{ b: 1 }, { c: { d: [] } }] }, 4, 'p'), ['BWK_INGEST_TOO_DEEP', 'p.a[1].c.d']);
    assert.deepEqual(safetyProblemOf({ a: [{ b: 1 }, { c: { d: [[]] } }] }, 5, 'p'), ['BWK_INGEST_TOO_DEEP', 'p.a[1].c.d[0]']);
    assert.deepEqual(safetyProblemOf({ ok: { x: 1 }, a: { 'b.constructor': 1 } }, 8, 'p'), ['BWK_INGEST_FORBIDDEN_KEY', 'p.a.b.constructor']);
    assert.deepEqual(safetyProblemOf(JSON.parse('{"a":[{"__proto__":{}}]}'), 8, 'p'), ['BWK_INGEST_FORBIDDEN_KEY', 'p.a[0].__proto__']);
    assert.deepEqual(safetyProblemOf({ a: { 'b.c.d': 1 } }, 3, 'p'), ['BWK_INGEST_TOO_DEEP', 'p.a.b.c.d']);
    // Last pushed, first walked: of two problems the later sibling's is the one reported.
    assert.deepEqual(safetyProblemOf({ a: { prototype: 1 }, b: { constructor: 1 } }, 8, 'p'), ['BWK_INGEST_FORBIDDEN_KEY', 'p.b.constructor']);
  });

  it('is not disturbed by an earlier record that stopped the walk half way', () => {
    assert.ok(safetyProblemOf({ a: [{}, {}, {}, { constructor: 1 }, {}] }, 8, 'p'));
    assert.equal(safetyProblemOf({ a: { b: {} } }, 3, 'p'), undefined);
  });
});

describe('normalizeDocument: the stored document', () => {
  it('is an ordinary object with @timestamp, message and event first and no undefined members', () => {
    const event = normalizeDocument({ log: 'line\n', bulwark: { x: 1 }, host: 'h', '@timestamp': '2024-05-01T10:00:00Z' }, { now: NOW, index: 'logs-app-default' });
    assert.equal(Object.getPrototypeOf(event), Object.prototype);
    assert.deepEqual(Object.keys(event).slice(0, 3), ['@timestamp', 'message', 'event']);
    assert.ok(Object.values(event).every((v) => v !== undefined));
    assert.equal(event['@timestamp'], '2024-05-01T10:00:00.000Z');
    assert.equal(event.message, 'line');
  });
});
