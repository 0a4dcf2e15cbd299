import { test } from 'node:test';
import assert from 'node:assert/strict';
import { addFieldFilter, locateQueryError, quoteValue } from '../app/lib/query-text.js';

test('a syntax error position splits the query at the offending character', () => {
  const spot = locateQueryError('user.name:alice AND (x', 22);
  assert.deepEqual({ ...spot }, { position: 22, before: 'user.name:alice AND (x', at: '', after: '', line: 1, column: 23 });
  const mid = locateQueryError('a:b ) c', 4);
  assert.equal(mid.before, 'a:b ');
  assert.equal(mid.at, ')');
  assert.equal(mid.after, ' c');
  assert.equal(mid.column, 5);
});

test('positions are clamped to the query and counted in lines for a query over several lines', () => {
  assert.equal(locateQueryError('abc', 99).position, 3);
  assert.equal(locateQueryError('abc', -4).position, 0);
  assert.equal(locateQueryError('abc', Number.NaN).position, 3);
  const spot = locateQueryError('a:b\nAND )', 8);
  assert.deepEqual([spot.line, spot.column, spot.at], [2, 5, ')']);
});

test('values are written bare when plain and quoted with escapes otherwise', () => {
  assert.equal(quoteValue('alice'), 'alice');
  assert.equal(quoteValue('kube-system/coredns'), 'kube-system/coredns');
  assert.equal(quoteValue('two words'), '"two words"');
  assert.equal(quoteValue('say "hi" \\o/'), '"say \\"hi\\" \\\\o/"');
  assert.equal(quoteValue('OR'), '"OR"');
  assert.equal(quoteValue('-x'), '"-x"');
  assert.equal(quoteValue(42), '42');
});

test('filter in and out add a clause, keeping the meaning of a query with OR', () => {
  assert.equal(addFieldFilter('', 'user.name', 'alice'), 'user.name:alice');
  assert.equal(addFieldFilter('  a:b ', 'user.name', 'alice', true), 'a:b AND NOT user.name:alice');
  assert.equal(addFieldFilter('a:b OR c:d', 'x', 'two words'), '(a:b OR c:d) AND x:"two words"');
});
