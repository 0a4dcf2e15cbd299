import { test } from 'node:test';
import assert from 'node:assert/strict';
import { laneRows } from '../app/lib/lane-rows.js';

test('items apart by a marker width or more share the first row', () => {
  assert.deepEqual(laneRows([0, 20, 40, 100], 16, 4), [0, 0, 0, 0]);
});

test('items closer than a marker width, or at one instant, go to the next free row and back once there is room', () => {
  assert.deepEqual(laneRows([100, 100, 105, 110, 130], 16, 4), [0, 1, 2, 3, 0]);
  assert.deepEqual(laneRows([0, 10, 30], 16, 4), [0, 1, 0]);
});

test('past the last row an item goes where the overlap is least', () => {
  assert.deepEqual(laneRows([0, 2, 4, 6], 16, 2), [0, 1, 0, 1]);
});
