import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { parseTime } from '../src/params.js';

describe('parseTime', () => {
  it('reads a date-time without an offset as UTC, like a date alone, whatever the server time zone', () => {
    assert.equal(parseTime('2026-11-29T10:00:00')?.toISOString(), '2026-11-29T10:00:00.000Z');
    assert.equal(parseTime('2026-11-29T10:00')?.toISOString(), '2026-11-29T10:00:00.000Z');
    assert.equal(parseTime('2026-11-29T10:00:00.250')?.toISOString(), '2026-11-29T10:00:00.250Z');
    assert.equal(parseTime('2026-11-29')?.toISOString(), '2026-11-29T00:00:00.000Z');
  });

  it('keeps an explicit offset, epoch milliseconds and relative times', () => {
    assert.equal(parseTime('2026-11-29T10:00:00+02:00')?.toISOString(), '2026-11-29T08:00:00.000Z');
    assert.equal(parseTime('2026-11-29T10:00:00Z')?.toISOString(), '2026-11-29T10:00:00.000Z');
    assert.equal(parseTime('1795996800000')?.getTime(), 1795996800000);
    assert.equal(parseTime('now-1h', 10_000_000)?.getTime(), 10_000_000 - 3_600_000);
    assert.equal(parseTime('yesterday'), null);
    assert.equal(parseTime('2026-13-45T99:00:00'), null);
  });
});
