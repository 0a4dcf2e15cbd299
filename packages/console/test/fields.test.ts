import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cellText, getField, summariseFields } from '../app/lib/fields.js';

const event = {
  '@timestamp': '2026-01-01T00:00:00Z',
  event: { id: 'e1', dataset: 'kubernetes.audit' },
  kubernetes: { pod: { name: 'api-1' }, 'labels.app': 'x', labels: { 'app.kubernetes.io/name': 'api' } },
  tags: ['a', 'b'],
};

test('fields are read by dotted name, through nested objects and literal dotted keys', () => {
  assert.equal(getField(event, '@timestamp'), '2026-01-01T00:00:00Z');
  assert.equal(getField(event, 'kubernetes.pod.name'), 'api-1');
  assert.equal(getField(event, 'kubernetes.labels.app'), 'x');
  assert.equal(getField(event, 'kubernetes.labels.app.kubernetes.io/name'), 'api');
  assert.equal(getField(event, 'kubernetes.pod.uid'), undefined);
  assert.equal(getField(null, 'a'), undefined);
});

test('cells show arrays joined and objects as JSON', () => {
  assert.equal(cellText(event.tags), 'a, b');
  assert.equal(cellText({ a: 1 }), '{"a":1}');
  assert.equal(cellText(undefined), '');
  assert.equal(cellText(3), '3');
});

test('field summaries count events per field and rank the top values', () => {
  const events = [
    { user: { name: 'alice' }, n: 1 },
    { user: { name: 'bob' }, n: 2 },
    { user: { name: 'alice' }, tags: ['x', 'x'] },
  ];
  const fields = summariseFields(events, 1);
  assert.deepEqual(fields.map((f) => [f.name, f.count]), [['user.name', 3], ['n', 2], ['tags', 1]]);
  assert.deepEqual(fields[0]!.top, [{ value: 'alice', count: 2 }]);
  assert.equal(fields[1]!.type, 'number');
});
