/**
 * The search-engine cursor: position and PIT id round-trip, the PIT id is carried compactly, and anything edited or
 * replayed against another query is refused.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { MAX_CURSOR_LENGTH, decodeSearchCursor, encodeSearchCursor } from '../../src/search/cursor.js';

/** Shaped like an engine's PIT id: URL-safe base64 of a blob repeating index names and node ids. */
function pitLike(shards: number): string {
  const parts = Array.from({ length: shards }, (_, i) =>
    Buffer.from(`\u001e.ds-logs-bulwark.dataset${i % 7}-default-00000${i % 3}\u0016${randomBytes(16).toString('base64url')}\u0000\u0016AFU3FDCTRlGE2E7s0UTLRw\u0000\u0000\u0017`),
  );
  const b64 = Buffer.concat(parts).toString('base64url');
  return b64 + '='.repeat((4 - (b64.length % 4)) % 4); // engines pad
}

describe('search cursor', () => {
  const position = { ts: 1714557600123, seq: 1795988391111000, id: 'evt-1' };

  it('round-trips position and PIT ids of every encoding, packing engine ids compactly', () => {
    for (const pit of [pitLike(24), pitLike(1).replace(/=$/, ''), Buffer.from('abc').toString('base64'), 'not base64 at all!']) {
      const cursor = encodeSearchCursor({ ...position, pit }, 'fp');
      assert.deepEqual(decodeSearchCursor(cursor, 'fp'), { ...position, pit });
    }
    const big = pitLike(24);
    assert.ok(encodeSearchCursor({ ...position, pit: big }, 'fp').length < big.length / 2); // measured on OpenSearch 3.8: 4x
    assert.deepEqual(decodeSearchCursor(encodeSearchCursor(position, 'fp'), 'fp'), position);
  });

  it('refuses a cursor edited anywhere, bound to another query, or oversized', () => {
    const cursor = encodeSearchCursor({ ...position, pit: pitLike(3) }, 'fp');
    const [head, pit] = cursor.split('.') as [string, string];
    const other = encodeSearchCursor({ ...position, pit: pitLike(3) }, 'fp').split('.')[1]!;
    for (const edited of [`${head}.${other}`, `${head.slice(0, -2)}AA.${pit}`, `${head}.${pit.slice(0, -3)}`, `${head}.x${pit.slice(1)}`, `${cursor}.x`]) {
      assert.throws(() => decodeSearchCursor(edited, 'fp'), { code: 'BWK_BAD_PARAM', details: { param: 'cursor' } });
    }
    assert.throws(() => decodeSearchCursor(cursor, 'another query'), { code: 'BWK_BAD_PARAM' });
    assert.throws(() => decodeSearchCursor('A'.repeat(MAX_CURSOR_LENGTH + 1), 'fp'), { code: 'BWK_BAD_PARAM' });
  });
});
