/**
 * The search-language parser: every form to its exact AST, and syntax errors to BWK_QUERY_SYNTAX at the right
 * 0-based position (the API shows it under the query box).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BulwarkError } from '@bulwark/schema';
import { MAX_QUERY_DEPTH, parseQuery, parseTimestamp, type QueryNode } from '../src/index.js';

const text = (value: string, phrase = false, prefix = false): QueryNode => ({ type: 'text', value, phrase, prefix });
const term = (field: string, value: string, phrase = false, prefix = false): QueryNode => ({
  type: 'term',
  field,
  value,
  phrase,
  prefix,
});
const and = (...children: QueryNode[]): QueryNode => ({ type: 'and', children });
const or = (...children: QueryNode[]): QueryNode => ({ type: 'or', children });
const not = (child: QueryNode): QueryNode => ({ type: 'not', child });

const CASES: ReadonlyArray<readonly [string, QueryNode]> = [
  ['', { type: 'all' }],
  ['   \t\n', { type: 'all' }],
  ['*', { type: 'all' }],
  ['error', text('error')],
  ['"connection refused"', text('connection refused', true)],
  ['err*', text('err', false, true)],
  ['web-1', text('web-1')],
  ['10.0.0.1', text('10.0.0.1')],
  ['/var/log/app.log', text('/var/log/app.log')],
  ['[error]', text('[error]')],
  ['a\\:b', text('a:b')],
  ['\\*', text('*')],
  ['\\-v', text('-v')],
  ['"say \\"hi\\" \\\\ bye"', text('say "hi" \\ bye', true)],
  ['kubernetes.namespace:prod', term('kubernetes.namespace', 'prod')],
  ['user.name:"Alice Smith"', term('user.name', 'Alice Smith', true)],
  ['user.name: alice', term('user.name', 'alice')],
  ['pod:web*', term('pod', 'web', false, true)],
  ['pod:*', { type: 'exists', field: 'pod' }],
  ['pod:\\*', term('pod', '*')],
  ['url:http://x/y?a=b', term('url', 'http://x/y?a=b')],
  ['@timestamp:2024-05-01T10:00:00Z', term('@timestamp', '2024-05-01T10:00:00Z')],
  ['kubernetes.labels.app\\.kubernetes\\.io/name:web', term('kubernetes.labels.app\\.kubernetes\\.io/name', 'web')],
  ['_id:x', term('_id', 'x')],
  ['a b', and(text('a'), text('b'))],
  ['a AND b', and(text('a'), text('b'))],
  ['a and b && c', and(text('a'), text('b'), text('c'))],
  ['a OR b || c', or(text('a'), text('b'), text('c'))],
  ['a or b', or(text('a'), text('b'))],
  ['NOT a', not(text('a'))],
  ['not a', not(text('a'))],
  ['-a', not(text('a'))],
  ['!a', not(text('a'))],
  ['NOT NOT a', not(not(text('a')))],
  ['a -b', and(text('a'), not(text('b')))],
  ['a NOT b', and(text('a'), not(text('b')))],
  ['a OR b AND c', or(text('a'), and(text('b'), text('c')))],
  ['a AND b OR c', or(and(text('a'), text('b')), text('c'))],
  ['NOT a AND b', and(not(text('a')), text('b'))],
  ['NOT a OR b', or(not(text('a')), text('b'))],
  ['(a OR b) AND c', and(or(text('a'), text('b')), text('c'))],
  ['NOT (a OR b)', not(or(text('a'), text('b')))],
  ['-(a b)', not(and(text('a'), text('b')))],
  ['((a))', text('a')],
  ['a AND (b AND c)', and(text('a'), text('b'), text('c'))],
  ['* AND a', text('a')],
  ['a OR *', { type: 'all' }],
  ['NOTE ORDER ANDROID', and(text('NOTE'), text('ORDER'), text('ANDROID'))],
  ['and:x', term('and', 'x')],
  ['status:(a OR b)', or(term('status', 'a'), term('status', 'b'))],
  ['status:(a b* "c d" NOT e)', and(term('status', 'a'), term('status', 'b', false, true), term('status', 'c d', true), not(term('status', 'e')))],
  ['tags:(x OR (y AND z))', or(term('tags', 'x'), and(term('tags', 'y'), term('tags', 'z')))],
  ['n>5', { type: 'range', field: 'n', gt: 5 }],
  ['n>=5.5', { type: 'range', field: 'n', gte: 5.5 }],
  ['n<-1', { type: 'range', field: 'n', lt: -1 }],
  ['n<=1e3', { type: 'range', field: 'n', lte: 1000 }],
  ['n:>=5', { type: 'range', field: 'n', gte: 5 }],
  ['name>=m', { type: 'range', field: 'name', gte: 'm' }],
  ['n>"5"', { type: 'range', field: 'n', gt: '5' }],
  ['n:[1 TO 5]', { type: 'range', field: 'n', gte: 1, lte: 5 }],
  ['n:{1 TO 5}', { type: 'range', field: 'n', gt: 1, lt: 5 }],
  ['n:[1 TO 5}', { type: 'range', field: 'n', gte: 1, lt: 5 }],
  ['n:[1 to *]', { type: 'range', field: 'n', gte: 1 }],
  ['n:[* TO 5]', { type: 'range', field: 'n', lte: 5 }],
  ['n:[* TO *]', { type: 'exists', field: 'n' }],
  ['s:["a b" TO "c"]', { type: 'range', field: 's', gte: 'a b', lte: 'c' }],
  [
    '@timestamp:[2024-05-01T10:00:00Z TO 2024-05-01T11:00:00.5+02:00}',
    { type: 'range', field: '@timestamp', gte: '2024-05-01T10:00:00Z', lt: '2024-05-01T11:00:00.5+02:00' },
  ],
  ['@timestamp>=2024-05-01', { type: 'range', field: '@timestamp', gte: '2024-05-01' }],
  ['@timestamp<1714557600000', { type: 'range', field: '@timestamp', lt: 1714557600000 }],
  [
    'kubernetes.namespace:prod AND (verb:delete OR verb:create) -user.name:system*',
    and(
      term('kubernetes.namespace', 'prod'),
      or(term('verb', 'delete'), term('verb', 'create')),
      not(term('user.name', 'system', false, true)),
    ),
  ],
];

describe('parseQuery: forms', () => {
  for (const [query, ast] of CASES) {
    it(JSON.stringify(query), () => assert.deepEqual(parseQuery(query), ast));
  }
});

/** [query, position, words the message must contain] */
const ERRORS: ReadonlyArray<readonly [string, number, string]> = [
  ['a AND', 5, "expected a term, phrase or '('"],
  ['a OR', 4, "expected a term, phrase or '('"],
  ['NOT', 3, "expected a term, phrase or '('"],
  ['-', 1, "expected a term, phrase or '('"],
  ['(a', 2, "expected ')'"],
  ['((a) OR (b)', 11, "expected ')'"],
  ['()', 1, "but found ')'"],
  ['a)', 1, "unexpected ')'"],
  ['field:', 6, "expected a value after 'field:'"],
  ['field:   ', 9, "expected a value after 'field:'"],
  ['x:[1 TO', 7, 'expected a range bound'],
  ['x:[1 TO 5', 9, "expected ']' or '}'"],
  ['x:[1 5]', 5, "expected 'TO'"],
  ['x:[', 3, 'expected a range bound'],
  ['x>', 2, 'expected a range bound'],
  ['x>*', 2, "not '*'"],
  ['"abc', 0, "expected a closing '\"'"],
  ['msg:"abc', 4, "expected a closing '\"'"],
  ['a "b', 2, "expected a closing '\"'"],
  ['a AND OR b', 6, "but found 'OR'"],
  ['a && || b', 5, "but found '||'"],
  [':x', 0, "unexpected ':'"],
  ['a <5', 2, "unexpected '<'"],
  ['fo*o', 2, "a wildcard '*' may only end a term"],
  ['*foo', 0, "a wildcard '*' may only end a term"],
  ['f:a*b*', 3, "a wildcard '*' may only end a term"],
  ['f$x:1', 1, "invalid character '$' in field name"],
  ['a..b:1', 0, 'empty path segment'],
  ['a\\ b:1', 1, "invalid escaped character ' ' in field name"],
  ['abc\\', 4, "expected a character after '\\'"],
  ['@timestamp>yesterday', 11, "expected an ISO 8601 date or epoch milliseconds for @timestamp, got 'yesterday'"],
  ['@timestamp:[2024-13-01 TO *]', 12, 'expected an ISO 8601 date'],
];

describe('parseQuery: syntax errors', () => {
  for (const [query, position, words] of ERRORS) {
    it(`${JSON.stringify(query)} -> position ${position}`, () => {
      assert.throws(
        () => parseQuery(query),
        (err: unknown) => {
          assert.ok(err instanceof BulwarkError);
          assert.equal(err.code, 'BWK_QUERY_SYNTAX');
          assert.equal(err.status, 400);
          assert.deepEqual(err.details, { position, query });
          assert.ok(err.message.includes(words), `message "${err.message}" should include "${words}"`);
          assert.ok(err.message.endsWith(`at position ${position}`), err.message);
          return true;
        },
      );
    });
  }

  it('refuses nesting deeper than MAX_QUERY_DEPTH instead of overflowing the stack', () => {
    assert.deepEqual(parseQuery('('.repeat(MAX_QUERY_DEPTH) + 'a' + ')'.repeat(MAX_QUERY_DEPTH)), text('a'));
    assert.throws(() => parseQuery('('.repeat(10_000) + 'a'), { code: 'BWK_QUERY_SYNTAX' });
    assert.throws(() => parseQuery('NOT '.repeat(10_000) + 'a'), { code: 'BWK_QUERY_SYNTAX' });
  });
});

describe('parseTimestamp', () => {
  const cases: ReadonlyArray<readonly [string | number, number | null]> = [
    ['2024-05-01T10:00:00.123Z', Date.UTC(2024, 4, 1, 10, 0, 0, 123)],
    ['2024-05-01T10:00:00.123456789Z', Date.UTC(2024, 4, 1, 10, 0, 0, 123)],
    ['2024-05-01T12:00:00+02:00', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01T05:30:00-0430', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01T10:00', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01 10:00:00', Date.UTC(2024, 4, 1, 10)],
    ['2024-05-01', Date.UTC(2024, 4, 1)],
    [1714557600000, 1714557600000],
    ['2024-05-01T10:00:00.123456Z', Date.UTC(2024, 4, 1, 10, 0, 0, 123)],
    ['2024-02-29T23:59:59Z', Date.UTC(2024, 1, 29, 23, 59, 59)],
    ['2023-02-29T00:00:00Z', null],
    ['2024-04-31T00:00:00Z', null],
    ['2024-00-10T00:00:00Z', null],
    ['2024-05-10T00:00:60Z', null],
    ['2024-05-10T24:00:00Z', null],
    ['0050-01-01T00:00:00Z', -60589296000000], // not read as 1950
    ['2024-02-30', null],
    ['2024-05-01T24:00:00Z', null],
    ['May 1 2024', null],
    ['1714557600000', null],
    ['', null],
  ];
  for (const [input, expected] of cases) {
    it(`${JSON.stringify(input)} -> ${expected}`, () => assert.equal(parseTimestamp(input), expected));
  }
});
