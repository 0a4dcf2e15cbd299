import { test } from 'node:test';
import assert from 'node:assert/strict';
import { brushToRange, clampRange, fitRange, MIN_SPAN_MS, panRange, positionOf, resolveTime, spanLabel, zoomRange } from '../app/lib/time-zoom.js';

const range = { from: 0, to: 100_000 };

test('zooming in around an anchor keeps the anchor at the same place on the axis', () => {
  const zoomed = zoomRange(range, 0.5, 25_000);
  assert.deepEqual(zoomed, { from: 12_500, to: 62_500 });
  assert.equal(positionOf(25_000, zoomed), positionOf(25_000, range));
});

test('zooming out is bounded by the data and zooming in by the smallest span', () => {
  assert.deepEqual(zoomRange(range, 4, 50_000, range), range);
  const tiny = zoomRange(range, 0.000_001);
  assert.equal(tiny.to - tiny.from, MIN_SPAN_MS);
});

test('panning moves by a fraction of the span and stops at the bounds', () => {
  assert.deepEqual(panRange({ from: 10_000, to: 20_000 }, 0.5), { from: 15_000, to: 25_000 });
  assert.deepEqual(panRange({ from: 10_000, to: 20_000 }, -5, range), { from: 0, to: 10_000 });
  assert.deepEqual(clampRange({ from: 95_000, to: 105_000 }, range), { from: 90_000, to: 100_000 });
});

test('fitting pads the span of the items and copes with one item or none', () => {
  assert.deepEqual(fitRange([1_000_000, 1_100_000]), { from: 995_000, to: 1_105_000 });
  assert.deepEqual(fitRange([1_000_000]), { from: 995_000, to: 1_005_000 });
  assert.equal(fitRange([]), null);
});

test('a brush becomes a from/to range in either direction; a click is not a brush', () => {
  const axis = { from: Date.parse('2026-01-01T00:00:00Z'), to: Date.parse('2026-01-01T01:00:00Z') };
  assert.deepEqual(brushToRange(300, 100, 600, axis), { from: '2026-01-01T00:10:00.000Z', to: '2026-01-01T00:30:00.000Z' });
  assert.deepEqual(brushToRange(-50, 900, 600, axis), { from: '2026-01-01T00:00:00.000Z', to: '2026-01-01T01:00:00.000Z' });
  assert.equal(brushToRange(100, 101, 600, axis), null);
});

test('times resolve as the API reads them', () => {
  const now = Date.parse('2026-03-01T12:00:00Z');
  assert.equal(resolveTime('now', now), now);
  assert.equal(resolveTime('now-15m', now), now - 900_000);
  assert.equal(resolveTime('2026-03-01T10:00', now), Date.parse('2026-03-01T10:00:00Z'));
  assert.equal(resolveTime('1767225600000', now), 1_767_225_600_000);
  assert.equal(resolveTime('yesterday', now), null);
  assert.deepEqual([spanLabel(500), spanLabel(42_000), spanLabel(900_000), spanLabel(21_600_000), spanLabel(259_200_000)], ['500 ms', '42 s', '15 min', '6 h', '3 d']);
});
