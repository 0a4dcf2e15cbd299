/**
 * The query DSL the search-engine store sends, without an engine: user text is only ever a value (never
 * `query_string`), each field type gets the clause with the language's meaning, and dynamic field types are looked
 * up once and remembered.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseQuery, queryToDsl, type EngineClient } from '../../src/index.js';
import type { EngineDialect } from '../../src/search/engine.js';
import { FieldResolver, fieldsOf } from '../../src/search/fields.js';
import { eventMappings, staticFields } from '../../src/search/mapping.js';
import { MAX_EXPANSIONS } from '../../src/search/translate.js';
import { QUERY_CASES, SPECIAL_CHARACTER_QUERIES } from '../contract/query-cases.js';

const OPENSEARCH: EngineDialect = { kind: 'opensearch', version: '3.8.0', flatType: 'flat_object', pit: true, dataStreamLifecycle: false, dataStreamApi: true, ism: false, indexSettings: {}, missing: [] };

/** `_field_caps` answers from a table; counts the requests. */
function fakeCaps(table: Record<string, Record<string, { type: string; indices?: string[] }>>) {
  const calls: string[] = [];
  const client = {
    kind: 'opensearch',
    async request(req: { path: string; querystring?: { fields?: string } }) {
      assert.match(req.path, /\/_field_caps$/);
      calls.push(req.querystring!.fields!);
      const fields = Object.fromEntries(req.querystring!.fields!.split(',').filter((f) => table[f]).map((f) => [f, table[f]]));
      return { statusCode: 200, body: { fields } };
    },
  } as unknown as EngineClient;
  return { client, calls };
}

const dynamic = {
  'extra.s': { keyword: { type: 'keyword' } },
  'extra.n': { double: { type: 'double' } },
  'extra.v': { keyword: { type: 'keyword', indices: ['a'] }, double: { type: 'double', indices: ['b'] } },
};

async function dsl(q: string, resolver = new FieldResolver(fakeCaps(dynamic).client, 'logs-t.*-*', staticFields(eventMappings(OPENSEARCH)))) {
  const node = parseQuery(q);
  return queryToDsl(node, await resolver.resolve(fieldsOf(node)));
}

describe('queryToDsl', () => {
  it('never emits query_string or simple_query_string, whatever the user types', async () => {
    const nasty = ['a OR b', '"a OR b"', 'user.name:"a OR b"', 'field:\\(x\\)', '"*"', '\\*', 'message:"x:(y) AND z*"', '"^a~2 [b TO c]"'];
    for (const q of [...QUERY_CASES.map(([q]) => q), ...SPECIAL_CHARACTER_QUERIES.map(([q]) => q), ...nasty]) {
      const json = JSON.stringify(await dsl(q));
      assert.ok(!/query_string/.test(json), `${q} -> ${json}`);
    }
  });

  it('keeps query syntax inside values as literal text', async () => {
    const anyField = (query: string) => ({ multi_match: { query, fields: ['*'], type: 'phrase', lenient: true } });
    assert.deepEqual(await dsl('"a OR b"'), anyField('a OR b'));
    assert.deepEqual(await dsl('user.name:"a OR b"'), { term: { 'user.name': 'a OR b' } });
    assert.deepEqual(await dsl('user.name:field\\:\\(x\\)'), { term: { 'user.name': 'field:(x)' } });
    assert.deepEqual(await dsl('tags:\\*'), { term: { tags: '*' } });
    assert.deepEqual(await dsl('message:"x:(y) AND z*"'), { match_phrase: { message: { query: 'x:(y) AND z*' } } });
    assert.deepEqual(await dsl('"*"'), anyField('*')); // no words for message, but a field may hold '*'
    assert.deepEqual(await dsl('message:"*"'), { match_none: {} }); // no words: matches no message
    assert.deepEqual(await dsl('*'), { match_all: {} });
  });

  it('turns free-text prefixes into an exact prefix for one word, a phrase prefix for several', async () => {
    assert.deepEqual(await dsl('Forbid*'), { match_bool_prefix: { message: { query: 'Forbid' } } });
    assert.deepEqual(await dsl('web-*'), { match_bool_prefix: { message: { query: 'web-' } } });
    assert.deepEqual(await dsl('10.0.*'), { match_phrase_prefix: { message: { query: '10.0.', max_expansions: MAX_EXPANSIONS } } });
    assert.deepEqual(await dsl('%*'), { match_none: {} });
  });

  it('gives each field type the clause with the language meaning', async () => {
    assert.deepEqual(await dsl('process.pid:42'), { term: { 'process.pid': 42 } });
    assert.deepEqual(await dsl('process.pid:abc'), { match_none: {} });
    assert.deepEqual(await dsl('process.pid:4*'), { match_none: {} });
    assert.deepEqual(await dsl('process.pid>abc'), { match_none: {} });
    assert.deepEqual(await dsl('kubernetes.namespace>5'), { match_none: {} });
    assert.deepEqual(await dsl('kubernetes.labels:web'), { match_none: {} });
    assert.deepEqual(await dsl('kubernetes.labels:*'), { exists: { field: 'kubernetes.labels' } });
    assert.deepEqual(await dsl('kubernetes.labels.app\\.kubernetes\\.io/name:web'), { term: { 'kubernetes.labels.app.kubernetes.io/name': 'web' } });
    assert.deepEqual(await dsl('source.ip:10.0.*'), { prefix: { 'source.ip.keyword': '10.0.' } });
    assert.deepEqual(await dsl('kubernetes.audit.requestObject.spec.hostNetwork:true'), { match_none: {} });
    assert.deepEqual(await dsl('event.original:*'), { match_none: {} });
    assert.deepEqual(await dsl('@timestamp:*'), { match_all: {} });
    assert.deepEqual(await dsl('@timestamp:2024-05-01*'), {
      range: { '@timestamp': { gte: Date.UTC(2024, 4, 1), lt: Date.UTC(2024, 4, 2), format: 'epoch_millis' } },
    });
    assert.deepEqual(await dsl('@timestamp:2024-12*'), {
      range: { '@timestamp': { gte: Date.UTC(2024, 11, 1), lt: Date.UTC(2025, 0, 1), format: 'epoch_millis' } },
    });
    await assert.rejects(dsl('@timestamp:2024-05-0*'), { code: 'BWK_BAD_PARAM' });
    await assert.rejects(dsl('@timestamp>=soon'), { code: 'BWK_QUERY_SYNTAX' });
  });

  it('simplifies NOT NOT and unmatchable branches, keeping NOT the exact complement', async () => {
    assert.deepEqual(await dsl('NOT NOT user.name:a'), { term: { 'user.name': 'a' } });
    assert.deepEqual(await dsl('NOT no.such.field:*'), { match_all: {} });
    assert.deepEqual(await dsl('no.such.field:x OR user.name:a'), { term: { 'user.name': 'a' } });
    assert.deepEqual(await dsl('NOT user.name:a'), { bool: { must_not: [{ term: { 'user.name': 'a' } }] } });
  });

  it('asks the engine for dynamic fields once, limits each type to its indices, and re-asks for unmapped ones', async () => {
    const caps = fakeCaps(dynamic);
    const resolver = new FieldResolver(caps.client, 'logs-t.*-*', staticFields(eventMappings(OPENSEARCH)));
    assert.deepEqual(await dsl('extra.n>3 AND extra.s:x AND user.name:a', resolver), {
      bool: { filter: [{ range: { 'extra.n': { gt: 3 } } }, { term: { 'extra.s': 'x' } }, { term: { 'user.name': 'a' } }] },
    });
    assert.deepEqual(await dsl('extra.v:abc', resolver), { bool: { filter: [{ terms: { _index: ['a'] } }, { term: { 'extra.v': 'abc' } }] } });
    assert.deepEqual(await dsl('extra.v:7', resolver), {
      bool: {
        should: [
          { bool: { filter: [{ terms: { _index: ['a'] } }, { term: { 'extra.v': '7' } }] } },
          { bool: { filter: [{ terms: { _index: ['b'] } }, { term: { 'extra.v': 7 } }] } },
        ],
        minimum_should_match: 1,
      },
    });
    await dsl('extra.n:1 extra.s:2 extra.gone:3', resolver);
    await dsl('extra.gone:3', resolver);
    assert.deepEqual(caps.calls, ['extra.n,extra.s', 'extra.v', 'extra.gone', 'extra.gone']);
  });

  it('refuses an invalid field name in a hand-built query', async () => {
    const resolver = new FieldResolver(fakeCaps({}).client, 'logs-t.*-*', staticFields(eventMappings(OPENSEARCH)));
    const node = { type: 'exists', field: 'a"b' } as const;
    assert.throws(() => queryToDsl(node, new Map([['a"b', []]])), { code: 'BWK_BAD_PARAM' });
    assert.equal(resolver.staticKind('kubernetes.audit.annotations.x'), 'flat-leaf');
  });
});
