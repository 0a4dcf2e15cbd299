import { test } from 'node:test';
import assert from 'node:assert/strict';
import { exploreLink, exportUrl, reportUrl, timelineWindowOf } from '../app/lib/links.js';

test('an NDJSON export link carries the query and range but no columns', () => {
  const url = exportUrl({ q: 'user.name:"a b"', from: 'now-1h', to: 'now', format: 'ndjson', fields: ['x'] });
  const parsed = new URL(url, 'http://console.test');
  assert.equal(parsed.pathname, '/v1/export');
  assert.deepEqual([...parsed.searchParams], [['q', 'user.name:"a b"'], ['from', 'now-1h'], ['to', 'now'], ['format', 'ndjson']]);
});

test('a CSV export link carries the chosen columns in order; an empty query is still sent', () => {
  const parsed = new URL(exportUrl({ q: '', format: 'csv', fields: ['@timestamp', 'user.name', 'message'] }), 'http://console.test');
  assert.deepEqual([...parsed.searchParams], [['q', ''], ['format', 'csv'], ['fields', '@timestamp,user.name,message']]);
});

test('report and explore links encode what they carry', () => {
  assert.equal(reportUrl('inc/1 x', 'md'), '/v1/incidents/inc%2F1%20x/report?format=md');
  assert.equal(exploreLink('a:b c', '2026-01-01T00:00:00.000Z'), '/console/explore?q=a%3Ab+c&from=2026-01-01T00%3A00%3A00.000Z');
});

test('the timeline window comes from the query string when offered, and goes to the report', () => {
  assert.equal(timelineWindowOf('?window=1h'), '1h');
  assert.equal(timelineWindowOf('?window=15m'), undefined, 'the default is not repeated');
  assert.equal(timelineWindowOf('?window=99d'), undefined);
  assert.equal(timelineWindowOf(''), undefined);
  assert.equal(reportUrl('inc-1', 'html', '1h'), '/v1/incidents/inc-1/report?format=html&window=1h');
});
