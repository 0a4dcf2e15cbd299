import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { BulwarkError } from '@bulwark/schema';
import {
  canonicalJson,
  contentId,
  decodeBulk,
  decodeContainerLogs,
  decodeFalco,
  decodeGenericEvents,
  decodeK8sAudit,
  decodeLokiPush,
  decodeSingleDoc,
  isForbiddenKey,
  toIsoTimestamp,
} from '../src/index.js';
import { resolveOptions } from '../src/options.js';
import { splitLines } from '../src/text.js';
import { eventList, execDenied, podCreate } from './fixtures-audit.js';
import { ndjson, safetyProblemOf } from './helpers.js';
import * as f from './fixtures-shippers.js';

describe('assertSafeRecord', () => {
  it('bounds depth, counting the record as depth 1 and dotted keys as the objects they expand into', () => {
    assert.equal(safetyProblemOf({ a: { b: {} } }, 3), undefined);
    assert.deepEqual(safetyProblemOf({ a: { b: { c: {} } } }, 3), ['BWK_INGEST_TOO_DEEP', 'a.b.c']);
    assert.deepEqual(safetyProblemOf({ a: [[{}]] }, 3), ['BWK_INGEST_TOO_DEEP', 'a[0][0]']);
    assert.equal(safetyProblemOf({ 'a.b': 1 }, 2), undefined);
    assert.deepEqual(safetyProblemOf({ 'a.b.c': 1 }, 2), ['BWK_INGEST_TOO_DEEP', 'a.b.c']);
    assert.equal(safetyProblemOf('scalar', 1), undefined);
  });

  it('rejects prototype keys anywhere, also as a dotted segment', () => {
    assert.deepEqual(safetyProblemOf(JSON.parse('{"a":[{"__proto__":1}]}'), 10), ['BWK_INGEST_FORBIDDEN_KEY', 'a[0].__proto__']);
    assert.deepEqual(safetyProblemOf({ prototype: 1 }, 10), ['BWK_INGEST_FORBIDDEN_KEY', 'prototype']);
    assert.deepEqual(safetyProblemOf({ 'x.constructor': 1 }, 10), ['BWK_INGEST_FORBIDDEN_KEY', 'x.constructor']);
    assert.equal(isForbiddenKey('my_constructor'), false);
    assert.equal(isForbiddenKey('constructor.x'), true);
  });
});

describe('toIsoTimestamp', () => {
  it('accepts RFC 3339 with any precision and offset, and epoch numbers', () => {
    const cases: Array<[unknown, string | undefined, ('s' | 'ms' | 'auto')?]> = [
      ['2024-05-01T10:00:00.123Z', '2024-05-01T10:00:00.123Z'],
      ['2024-05-01T10:00:00.123456789Z', '2024-05-01T10:00:00.123Z'],
      ['2024-05-01T10:00:00Z', '2024-05-01T10:00:00.000Z'],
      ['2024-05-01T12:30:00.5+02:30', '2024-05-01T10:00:00.500Z'],
      ['2024-05-01T10:00:00-0500', '2024-05-01T15:00:00.000Z'],
      ['2024-05-01 10:00:00,25', '2024-05-01T10:00:00.250Z'],
      ['2024-05-01', '2024-05-01T00:00:00.000Z'],
      ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
      ['2016-12-31T23:59:60Z', '2016-12-31T23:59:59.999Z'],
      ['0042-01-01T00:00:00Z', '0042-01-01T00:00:00.000Z'],
      [1714557600123, '2024-05-01T10:00:00.123Z'],
      ['1714557600123', '2024-05-01T10:00:00.123Z'],
      [1714557600.5, '2024-05-01T10:00:00.500Z', 's'],
      [1714557600, '2024-05-01T10:00:00.000Z', 'auto'],
      [1714557600123456, '2024-05-01T10:00:00.123Z', 'auto'],
      [1714557600123456789, '2024-05-01T10:00:00.123Z', 'auto'],
      ['2023-02-29T00:00:00Z', undefined],
      ['2024-04-31T00:00:00.000Z', undefined],
      ['2024-05-01T24:00:00.000Z', undefined],
      ['May 1, 2024', undefined],
      ['10:00:00', undefined],
      ['', undefined],
      [1e20, undefined],
      [Number.NaN, undefined],
      [null, undefined],
      [{}, undefined],
    ];
    for (const [input, expected, unit] of cases) assert.equal(toIsoTimestamp(input, unit), expected, `input ${JSON.stringify(input)}`);
  });
});

describe('contentId', () => {
  it('is a 32-hex sha256 of canonical JSON, independent of key order', () => {
    assert.equal(canonicalJson({ b: [1, { d: null, c: 'x' }], a: true, u: undefined }), '{"a":true,"b":[1,{"c":"x","d":null}]}');
    assert.equal(contentId({ a: 1, b: 2 }), contentId({ b: 2, a: 1 }));
    assert.notEqual(contentId({ a: 1 }), contentId({ a: '1' }));
    assert.match(contentId('x'), /^[0-9a-f]{32}$/);
  });
});

/** A tiny deterministic PRNG, so the fuzz below is reproducible. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function mutate(input: Buffer, rand: () => number): Buffer {
  const out = Buffer.from(input);
  const edits = 1 + Math.floor(rand() * 8);
  for (let i = 0; i < edits && out.length > 0; i++) out[Math.floor(rand() * out.length)] = Math.floor(rand() * 256);
  const cut = rand() < 0.3 ? Math.floor(rand() * out.length) : out.length;
  return out.subarray(0, cut);
}

describe('splitLines', () => {
  it('gives an all-ASCII body (lines copied one by one) the lines of the whole decoded text, as any UTF-8 body', () => {
    const bodies = ['', '\n', 'a', 'a\nb', 'a\nb\n', 'a\r\nb\r\n\r\n', '\n\n{"x":1}\n  \n', Array.from({ length: 3000 }, (_, i) => `{"n":${i}}`).join('\n')];
    for (const text of bodies) {
      for (const variant of [text, `${text}é`]) {
        const bytes = Buffer.from(variant);
        const whole = variant.split('\n').map((line) => (line.endsWith('\r') ? line.slice(0, -1) : line));
        assert.deepEqual(splitLines(bytes, resolveOptions(undefined)), whole, JSON.stringify(variant.slice(0, 40)));
      }
    }
  });
});

describe('crafted input', () => {
  it('never makes a decoder throw anything but BulwarkError', () => {
    const seeds: Array<[string, Buffer, (b: Buffer) => unknown]> = [
      ['bulk', ndjson(f.fluentBitAction, f.fluentBitDoc, f.vectorAction, f.vectorDoc), (b) => decodeBulk(b)],
      ['doc', Buffer.from(JSON.stringify(f.filebeatDoc)), (b) => decodeSingleDoc(b, 'logs', undefined)],
      ['audit', Buffer.from(eventList([podCreate, execDenied])), (b) => decodeK8sAudit(b)],
      ['falco', Buffer.from('{"rule":"r","output":"o","priority":"Notice","time":"2024-05-01T10:00:00Z","output_fields":{"proc.pid":1}}'), (b) => decodeFalco(b)],
      ['generic', ndjson({ message: 'a', event: { kind: 'event' } }, { message: 'b' }), (b) => decodeGenericEvents(b)],
      ['loki', Buffer.from('{"streams":[{"stream":{"a":"b"},"values":[["1714557600000000000","x"]]}]}'), (b) => decodeLokiPush(b, 'application/json')],
      ['loki-proto', Buffer.from([0x10, 0x3c, 0x0a, 0x0e, 0x0a, 0x07, 0x7b, 0x61, 0x3d, 0x22, 0x62, 0x22, 0x7d, 0x12, 0x03, 0x12, 0x01, 0x78]), (b) => decodeLokiPush(b, 'application/x-protobuf')],
      ['container', Buffer.from('2024-05-01T10:00:00Z stdout P a\n{"log":"b\\n","stream":"stdout","time":"2024-05-01T10:00:00Z"}\n'), (b) => decodeContainerLogs(b)],
    ];
    const rand = prng(42);
    for (const [name, seed, decode] of seeds) {
      for (let i = 0; i < 300; i++) {
        const input = mutate(seed, rand);
        try {
          decode(input);
        } catch (err) {
          assert.ok(err instanceof BulwarkError, `${name}: ${String(err)} for ${input.toString('base64')}`);
          assert.notEqual(err.code, 'BWK_INTERNAL', `${name}: ${err.message} for ${input.toString('base64')}`);
        }
      }
    }
  });
});
