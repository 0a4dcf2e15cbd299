/**
 * The `_bulk` answer written straight as text: one string per item from fixed pieces and the item's own strings, with
 * no response object per item for `JSON.stringify` to walk (on a 1,000-item request that object tree was a tenth of
 * the HTTP thread's time per event). The bytes are exactly those of `JSON.stringify` over `bulkResponseItem`, which
 * stays the reference: items with an error (rare) are still rendered through it, and a test compares the two.
 */
import type { ItemMeta } from './decode-task.js';
import { bulkResponseItem, type ItemOutcome } from './es-bulk.js';

/** Everything after `"_id":…` of a stored item, as `JSON.stringify` writes `bulkResponseItem`'s object. */
const CREATED_TAIL = ',"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}}';
const NOOP_TAIL = ',"_version":1,"result":"noop","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":200}}';

/**
 * `{"<action>":{"_index":<index>,"_id":<id>` — the head every success item shares. Action and index repeat through a
 * request (one or two distinct values), so their JSON is remembered per call instead of escaped per item.
 */
class ItemHeads {
  private action = '';
  private index = '';
  private head = '';

  of(action: string, index: string): string {
    if (action !== this.action || index !== this.index || this.head === '') {
      this.action = action;
      this.index = index;
      this.head = `{${JSON.stringify(action)}:{"_index":${JSON.stringify(index)},"_id":`;
    }
    return this.head;
  }
}

/** One item's text; identical to `JSON.stringify(bulkResponseItem(item, outcome))`. */
function itemText(item: ItemMeta, outcome: ItemOutcome, heads: ItemHeads): string {
  // Errors (rare), and any item whose strings the fixed pieces do not cover, go through the reference rendering.
  if (outcome.status === 'error' || outcome.rejection || (outcome.status === 'duplicate' && item.action === 'create') || typeof item.index !== 'string') {
    return JSON.stringify(bulkResponseItem(item, outcome));
  }
  const id = item.id === undefined ? 'null' : JSON.stringify(item.id);
  return heads.of(item.requestedAction ?? item.action, item.index) + id + (outcome.status === 'created' ? CREATED_TAIL : NOOP_TAIL);
}

/** The whole `_bulk` answer `{took, errors, items}` (Elasticsearch's key order), compact. */
export function bulkResponseText(items: readonly ItemMeta[], outcomes: readonly ItemOutcome[], took: number): string {
  const heads = new ItemHeads();
  let errors = false;
  const parts: string[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i]!;
    const outcome = outcomes[i]!;
    if (outcome.status === 'error' || (outcome.status === 'duplicate' && item.action === 'create')) errors = true;
    parts[i] = itemText(item, outcome, heads);
  }
  return `{"took":${JSON.stringify(took)},"errors":${errors},"items":[${parts.join(',')}]}`;
}
