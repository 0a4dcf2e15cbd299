/**
 * The `_bulk` answer written as text must be byte-for-byte what `JSON.stringify` of the reference item objects gives:
 * shippers parse it, and some (the official clients) compare item shapes strictly.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { bulkResponseItem, type ItemOutcome } from '../src/es-bulk.js';
import { bulkResponseText } from '../src/es-bulk-text.js';
import { packItems, unpackItems, type ItemMeta } from '../src/bulk-items.js';

/** As the HTTP thread receives them: packed on the decode thread, then cloned across. */
const crossed = (items: ItemMeta[]) => structuredClone(packItems(items));

function reference(items: ItemMeta[], outcomes: ItemOutcome[], took: number): string {
  const errors = outcomes.some((o, i) => o.status === 'error' || (o.status === 'duplicate' && items[i]!.action === 'create'));
  return JSON.stringify({ took, errors, items: items.map((item, i) => bulkResponseItem(item, outcomes[i]!)) });
}

const badField = { index: 4, code: 'BWK_INGEST_BAD_FIELD' as const, message: 'must be a string', field: 'event.dataset' };
const badJson = { index: 5, code: 'BWK_INGEST_BAD_JSON' as const, message: 'line is not valid JSON: Unexpected token' };

describe('the _bulk answer as text', () => {
  it('equals the reference rendering for created, duplicate (index and create), bad and refused items', () => {
    const items: ItemMeta[] = [
      { action: 'index', index: 'logs-app-default', id: 'a1' },
      { action: 'create', index: 'logs-app-default', id: 'a2' },
      { action: 'create', index: 'logs-app-default', id: 'dup' },
      { action: 'index', index: 'logs-app-default', id: 'dup-index' },
      { action: 'index', index: 'other "quoted" \u2028 index', id: 'x\ny', error: badField },
      { action: 'index', index: 'logs-app-default', error: badJson },
      { action: 'index', requestedAction: 'delete', index: 'logs-app-default', id: 'd1', error: { index: 6, code: 'BWK_INGEST_BAD_ACTION', message: 'delete is not supported' } },
      { action: 'index', index: 'logs-app-default', id: 'refused' },
      { action: 'index', index: 'logs-app-default' },
      { action: 'create', index: 'ünïcode-ïndex', id: '\u0000ctl\ud800' },
    ];
    const outcomes: ItemOutcome[] = [
      { status: 'created' },
      { status: 'created' },
      { status: 'duplicate' },
      { status: 'duplicate' },
      { status: 'error' },
      { status: 'error' },
      { status: 'error' },
      { status: 'error', rejection: { reason: 'mapper_parsing_exception: failed to parse [x]', type: 'mapper_parsing_exception' } },
      { status: 'created' },
      { status: 'created' },
    ];
    assert.equal(bulkResponseText(crossed(items), outcomes, 17), reference(items, outcomes, 17));
    assert.deepEqual(unpackItems(crossed(items)), items);
  });

  it('equals the reference when every item is stored (errors false) and for an empty answer', () => {
    const items: ItemMeta[] = Array.from({ length: 50 }, (_, i) => ({ action: i % 3 ? 'index' : 'create', index: i < 25 ? 'a' : 'b', id: `id-${i}` }));
    const outcomes: ItemOutcome[] = items.map((item, i) => ({ status: i % 7 === 0 && item.action === 'index' ? 'duplicate' : 'created' }));
    const text = bulkResponseText(crossed(items), outcomes, 3);
    assert.equal(text, reference(items, outcomes, 3));
    assert.equal((JSON.parse(text) as { errors: boolean }).errors, false);
    const created: ItemOutcome[] = items.map(() => ({ status: 'created' }));
    assert.equal(bulkResponseText(crossed(items), created, 1234), reference(items, created, 1234), 'every item created: the packed text whole');
    assert.equal(bulkResponseText(crossed([]), [], 0), reference([], [], 0));
  });
});
