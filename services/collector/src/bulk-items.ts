/**
 * A bulk request's items as they cross from the decode thread to the HTTP thread. As a thousand `ItemMeta` objects
 * they took ~1 ms per request to clone (three strings each, none shared by the clone), and the HTTP thread then wrote
 * each item's answer text again. Packed, the common item — no error, the action it asked for, a string index and an id
 * — travels as its answer text for `created`, made once on the decode thread, in one joined string; only the other
 * items (errors: rare) travel whole. The HTTP thread answers a request whose items were all created with that string as
 * it is, and cuts the text of the others from it (`es-bulk-text.ts`).
 */
import type { RecordError } from '@bulwark/schema';

/** A bulk item without its event: what the response needs. */
export interface ItemMeta {
  action: 'index' | 'create';
  requestedAction?: string;
  index: string;
  id?: string;
  error?: RecordError;
}

/** Everything after `"_id":…` of a stored item, as `JSON.stringify` writes `bulkResponseItem`'s object. */
export const CREATED_TAIL =
  ',"_version":1,"result":"created","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":201}}';
export const NOOP_TAIL = ',"_version":1,"result":"noop","_shards":{"total":1,"successful":1,"failed":0},"_seq_no":0,"_primary_term":1,"status":200}}';

/** Per item (`PackedItems.kinds`): a plain item of either action, or one carried whole, good or refused. */
export const PLAIN_INDEX = 0;
export const PLAIN_CREATE = 1;
export const WHOLE = 2;
export const WHOLE_ERROR = 3;

/** Structured-cloneable: typed arrays and strings. */
export interface PackedItems {
  kinds: Uint8Array;
  /**
   * The plain items' answer text for `created` (`{"<action>":{"_index":…,"_id":…,…,"status":201}}`), comma-separated
   * in item order; an item carried whole has an empty piece. Item i's piece ends at `ends[i]`, the next starts after
   * the comma.
   */
  text: string;
  ends: Uint32Array;
  /** The items carried whole (kinds WHOLE and WHOLE_ERROR), in item order. */
  whole: ItemMeta[];
}

/** `{"<action>":{"_index":<index>,"_id":` per action and index: one or two distinct values per request. */
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

/** Packs a request's items in order (the decode thread's side). */
export class ItemPacker {
  private readonly kinds: number[] = [];
  private readonly pieces: string[] = [];
  private readonly ends: number[] = [];
  private readonly whole: ItemMeta[] = [];
  private readonly heads = new ItemHeads();
  private length = 0;

  /** A plain item: no error, the action asked for, a string index and an id. */
  plain(action: ItemMeta['action'], index: string, id: string): void {
    const piece = this.heads.of(action, index) + JSON.stringify(id) + CREATED_TAIL;
    this.kinds.push(action === 'create' ? PLAIN_CREATE : PLAIN_INDEX);
    this.put(piece);
  }

  add(item: ItemMeta): void {
    if (!item.error && item.requestedAction === undefined && item.id !== undefined && typeof item.index === 'string') {
      this.plain(item.action, item.index, item.id);
      return;
    }
    this.kinds.push(item.error ? WHOLE_ERROR : WHOLE);
    this.whole.push(item);
    this.put('');
  }

  finish(): PackedItems {
    return { kinds: Uint8Array.from(this.kinds), text: this.pieces.join(','), ends: Uint32Array.from(this.ends), whole: this.whole };
  }

  private put(piece: string): void {
    this.length += (this.pieces.length > 0 ? 1 : 0) + piece.length;
    this.pieces.push(piece);
    this.ends.push(this.length);
  }
}

export function packItems(items: readonly ItemMeta[]): PackedItems {
  const packer = new ItemPacker();
  for (const item of items) packer.add(item);
  return packer.finish();
}

/** Item i's piece of `text` (a plain item's `created` answer). */
export function pieceOf(items: PackedItems, i: number): string {
  return items.text.slice(i === 0 ? 0 : items.ends[i - 1]! + 1, items.ends[i]!);
}

/** A plain item's meta, read back from its piece (rare: a 409 or a refused item is rendered from it). */
export function plainMeta(items: PackedItems, i: number): ItemMeta {
  const piece = pieceOf(items, i);
  const action = items.kinds[i] === PLAIN_CREATE ? 'create' : 'index';
  const body = (JSON.parse(`${piece.slice(0, piece.length - CREATED_TAIL.length)}}}`) as Record<string, { _index: string; _id: string }>)[action]!;
  return { action, index: body._index, id: body._id };
}

/**
 * The items of consecutive parts of one request as the items of the whole (`split-decode.ts`): the refusals of each part
 * renumbered by `shift(error, items before the part)`.
 */
export function concatPackedItems(parts: readonly PackedItems[], shift: (error: RecordError, by: number) => RecordError): PackedItems {
  if (parts.length === 1) return parts[0]!;
  let count = 0;
  for (const part of parts) count += part.kinds.length;
  const kinds = new Uint8Array(count);
  const ends = new Uint32Array(count);
  const texts: string[] = [];
  const whole: ItemMeta[] = [];
  let first = 0;
  let offset = 0;
  for (const part of parts) {
    if (part.kinds.length === 0) continue;
    // Pieces are comma-separated: a part after another starts one comma later.
    const base = texts.length > 0 ? offset + 1 : 0;
    kinds.set(part.kinds, first);
    for (let i = 0; i < part.ends.length; i++) ends[first + i] = part.ends[i]! + base;
    texts.push(part.text);
    offset = base + part.text.length;
    for (const item of part.whole) whole.push(item.error ? { ...item, error: shift(item.error, first) } : item);
    first += part.kinds.length;
  }
  return { kinds, text: texts.join(','), ends, whole };
}

/** Every item as `ItemMeta`, in order. */
export function unpackItems(items: PackedItems): ItemMeta[] {
  let w = 0;
  return Array.from(items.kinds, (kind, i) => (kind >= WHOLE ? items.whole[w++]! : plainMeta(items, i)));
}

/** The decoder's refusals among the items, in order. */
export function itemErrors(items: PackedItems | undefined): RecordError[] {
  const errors: RecordError[] = [];
  for (const item of items?.whole ?? []) if (item.error) errors.push(item.error);
  return errors;
}
