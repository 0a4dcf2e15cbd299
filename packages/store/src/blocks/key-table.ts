/**
 * The pending level of the event-id set (`id-index.ts`, docs/ARCHITECTURE.md, "The embedded log store") as a hash
 * table over typed arrays: key → block pairs.
 */

/** Slots of an empty key table; it doubles as keys arrive (at most half full) and shrinks back here after a merge. */
const TABLE_SLOTS = 1 << 16;
const EMPTY = -1;

/**
 * Key → block pairs by open addressing over typed arrays (linear probing, at most half full). The pending level holds
 * up to a quarter of a million keys between merges: as a Map, each of them was an entry of boxed numbers (keys exceed
 * 2^31) for the garbage collector to trace on every major collection, and a lookup hashed a heap number. A key held by
 * several blocks (a collision, or a stored duplicate) has one entry per block.
 */
export class KeyTable {
  private keys = new Float64Array(TABLE_SLOTS).fill(EMPTY);
  private blocks = new Float64Array(TABLE_SLOTS);
  private mask = TABLE_SLOTS - 1;
  private used = 0;

  /** Keys are hashes: their upper 32 bits are spread evenly, so their low bits pick the slot. */
  private first(key: number): number {
    return (key / 32_768) & this.mask;
  }

  /** Whether the pair was new. */
  add(key: number, block: number): boolean {
    if ((this.used + 1) * 2 > this.keys.length) this.grow();
    let at = this.first(key);
    for (let k = this.keys[at]!; k !== EMPTY; k = this.keys[at]!) {
      if (k === key && this.blocks[at] === block) return false;
      at = (at + 1) & this.mask;
    }
    this.keys[at] = key;
    this.blocks[at] = block;
    this.used++;
    return true;
  }

  has(key: number): boolean {
    let at = this.first(key);
    for (let k = this.keys[at]!; k !== EMPTY; k = this.keys[at]!) {
      if (k === key) return true;
      at = (at + 1) & this.mask;
    }
    return false;
  }

  /** The blocks holding `key`, into `out` (emptied first); how many. */
  blocksOf(key: number, out: number[]): number {
    out.length = 0;
    let at = this.first(key);
    for (let k = this.keys[at]!; k !== EMPTY; k = this.keys[at]!) {
      if (k === key) out.push(this.blocks[at]!);
      at = (at + 1) & this.mask;
    }
    return out.length;
  }

  /** Every entry's key (a key of several blocks once per block), ascending: a typed array sorts natively. */
  sortedKeys(): Float64Array {
    const sorted = new Float64Array(this.used);
    let n = 0;
    for (let at = 0; at < this.keys.length; at++) if (this.keys[at] !== EMPTY) sorted[n++] = this.keys[at]!;
    sorted.sort();
    return sorted;
  }

  get size(): number {
    return this.used;
  }

  clear(): void {
    if (this.keys.length > TABLE_SLOTS) {
      this.keys = new Float64Array(TABLE_SLOTS).fill(EMPTY);
      this.blocks = new Float64Array(TABLE_SLOTS);
      this.mask = TABLE_SLOTS - 1;
    } else {
      this.keys.fill(EMPTY);
    }
    this.used = 0;
  }

  private grow(): void {
    const { keys, blocks } = this;
    this.keys = new Float64Array(keys.length * 2).fill(EMPTY);
    this.blocks = new Float64Array(keys.length * 2);
    this.mask = this.keys.length - 1;
    this.used = 0;
    for (let at = 0; at < keys.length; at++) if (keys[at] !== EMPTY) this.add(keys[at]!, blocks[at]!);
  }
}
