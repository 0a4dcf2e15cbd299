import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  alertFiltersFromSearch,
  alertListParams,
  exploreStateFromSearch,
  patchSearch,
  searchOfAlertFilters,
  searchOfExploreState,
} from '../app/lib/url-state.js';

test('alert filters survive a round trip through the URL, in a stable key order', () => {
  const search = '?group=rule&severity=high,critical&status=open&entity=workload%3Aprod%2Fapi&from=now-1h';
  const filters = alertFiltersFromSearch(search);
  assert.deepEqual(filters, { status: 'open', severity: 'high,critical', entity: 'workload:prod/api', from: 'now-1h', group: 'rule' });
  assert.equal(searchOfAlertFilters(filters), '?status=open&severity=high%2Ccritical&entity=workload%3Aprod%2Fapi&from=now-1h&group=rule');
  assert.deepEqual(alertFiltersFromSearch(searchOfAlertFilters(filters)), filters);
});

test('unknown keys, empty values and an unknown grouping are dropped', () => {
  assert.deepEqual(alertFiltersFromSearch('?status=&rule=%20&foo=bar&group=pod'), {});
  assert.equal(searchOfAlertFilters({}), '');
});

test('the alert list request carries the filters but not the grouping, plus extra parameters', () => {
  const params = alertListParams({ status: 'open', group: 'entity', origin: 'external' }, { size: '200' });
  assert.equal(params.toString(), 'status=open&origin=external&size=200');
});

test('an empty explorer URL means the last 24 hours with the default columns, and writes back as nothing', () => {
  const state = exploreStateFromSearch('');
  assert.deepEqual(state, { q: '', from: 'now-24h', to: 'now', cols: ['@timestamp', 'event.dataset', 'message'] });
  assert.equal(searchOfExploreState(state), '');
});

test('an explorer view with a query, a range and chosen columns round-trips; repeated columns count once', () => {
  const state = exploreStateFromSearch('?q=user.name%3Aalice%20AND%20NOT%20x&from=2026-01-01T00:00:00Z&to=now-5m&cols=%40timestamp,user.name,,user.name');
  assert.deepEqual(state, { q: 'user.name:alice AND NOT x', from: '2026-01-01T00:00:00Z', to: 'now-5m', cols: ['@timestamp', 'user.name'] });
  assert.deepEqual(exploreStateFromSearch(searchOfExploreState(state)), state);
});

test('patchSearch sets and removes keys and keeps the others', () => {
  assert.equal(patchSearch('?a=1&b=2', { b: undefined, c: '3', a: '' }), '?c=3');
  assert.equal(patchSearch('?a=1', { a: 'x y' }), '?a=x+y');
  assert.equal(patchSearch('', {}), '');
});
