/**
 * The `_bulk` answer written straight as text: each plain item's `created` answer was written on the decode thread
 * (`bulk-items.ts`), so a request whose items were all created is answered with that text as it is, and otherwise each
 * item's text is cut from it (a `noop` swaps the tail) — no response object per item for `JSON.stringify` to walk (on
 * a 1,000-item request that object tree was a tenth of the HTTP thread's time per event). The bytes are exactly those
 * of `JSON.stringify` over `bulkResponseItem`, which stays the reference: items with an error (rare) are still
 * rendered through it, and a test compares the two.
 */
import { CREATED_TAIL, NOOP_TAIL, PLAIN_CREATE, WHOLE, pieceOf, plainMeta, type ItemMeta, type PackedItems } from './bulk-items.js';
import { bulkResponseItem, type ItemOutcome } from './es-bulk.js';

/** An item carried whole: the reference rendering, or the fixed pieces when it is only missing an id. */
function wholeText(item: ItemMeta, outcome: ItemOutcome): string {
  if (outcome.status === 'error' || outcome.rejection || (outcome.status === 'duplicate' && item.action === 'create') || typeof item.index !== 'string') {
    return JSON.stringify(bulkResponseItem(item, outcome));
  }
  const head = `{${JSON.stringify(item.requestedAction ?? item.action)}:{"_index":${JSON.stringify(item.index)},"_id":`;
  const id = item.id === undefined ? 'null' : JSON.stringify(item.id);
  return head + id + (outcome.status === 'created' ? CREATED_TAIL : NOOP_TAIL);
}

/** Whether the item's answer is an error (`errors: true`). */
function isError(create: boolean, outcome: ItemOutcome): boolean {
  return outcome.status === 'error' || (outcome.status === 'duplicate' && create);
}

/** The whole `_bulk` answer `{took, errors, items}` (Elasticsearch's key order), compact. */
export function bulkResponseText(items: PackedItems, outcomes: readonly ItemOutcome[], took: number): string {
  const { kinds } = items;
  let plainCreated = true;
  for (let i = 0; i < kinds.length && plainCreated; i++) plainCreated = kinds[i]! < WHOLE && outcomes[i]!.status === 'created' && !outcomes[i]!.rejection;
  if (plainCreated) return `{"took":${JSON.stringify(took)},"errors":false,"items":[${items.text}]}`;
  let errors = false;
  let w = 0;
  const parts: string[] = new Array(kinds.length);
  for (let i = 0; i < kinds.length; i++) {
    const outcome = outcomes[i]!;
    const kind = kinds[i]!;
    if (kind >= WHOLE) {
      const item = items.whole[w++]!;
      if (isError(item.action === 'create', outcome)) errors = true;
      parts[i] = wholeText(item, outcome);
      continue;
    }
    const create = kind === PLAIN_CREATE;
    if (isError(create, outcome)) {
      errors = true;
      parts[i] = JSON.stringify(bulkResponseItem(plainMeta(items, i), outcome));
      continue;
    }
    const piece = pieceOf(items, i);
    parts[i] = outcome.status === 'created' ? piece : piece.slice(0, piece.length - CREATED_TAIL.length) + NOOP_TAIL;
  }
  return `{"took":${JSON.stringify(took)},"errors":${errors},"items":[${parts.join(',')}]}`;
}
