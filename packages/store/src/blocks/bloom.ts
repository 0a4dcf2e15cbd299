/**
 * The per-block filter (docs/ARCHITECTURE.md, "The embedded log store"): a Bloom filter over every value of the block,
 * keyed by the column holding it, and every word of its messages. A search for one auditID, pod uid or IP then reads
 * a few kilobytes per block instead of the block, and a free-text search learns which columns may hold its text
 * (unfielded text matches any field), so it decompresses those and the messages only.
 *
 * An item's hash is computed once per query: a value's hash is mixed with the column's number in the block by integer
 * arithmetic, so probing every column of every block costs no string hashing. Sizing: 10 bits per distinct item and
 * 7 probes give about a 0.8% false-positive rate (each false "maybe" costs a block's columns decompressed, and 12 bits
 * measured 2.5 bytes more per stored event for no measurable needle time); probes by double hashing
 * (Kirsch–Mitzenmacher).
 */
import { finalise, hash32 } from './hash.js';

const BITS_PER_ITEM = 10;
const PROBES = 7;
const WORD_SEED = 0x77c3a5e1;

/** The two hashes an item is probed with. */
export interface Probe {
  h1: number;
  h2: number;
}

/**
 * The column number under which every value is also kept, whatever its column: free text (any field) asks it first,
 * because asking each of a block's ~60 columns at 1% each would say "maybe" for half the blocks.
 */
export const ANY_COLUMN = -1;

/** A value's hash, the part of its probes that does not depend on the column. */
export const valueHash = (value: string): number => hash32(value, 0);

/** The probe for `value` (by its `valueHash`) in the column stored at `dataIndex` of a block. */
export function valueProbe(hash: number, dataIndex: number): Probe {
  const h1 = finalise(hash ^ Math.imul(dataIndex + 1, 0x9e3779b1));
  return { h1, h2: finalise(h1 ^ 0x5bd1e995) | 1 };
}

/** The probe for a word of a message. */
export function wordProbe(word: string): Probe {
  const h1 = hash32(word, WORD_SEED);
  return { h1, h2: finalise(h1 ^ 0x5bd1e995) | 1 };
}

/**
 * Builds a filter; `bytes()` is what the block stores. Probes are kept as two growing integer arrays, not objects or a
 * map (a block of audit events adds ~30,000 items: building the filter was a third of building the block). Items are
 * counted once: a value under {@link ANY_COLUMN} and a word by their hash, as equal hashes give equal probes; values
 * under their column arrive distinct (the caller collects each column's distinct values).
 */
export class BloomBuilder {
  private h1s = new Uint32Array(1024);
  private h2s = new Uint32Array(1024);
  private count = 0;
  private readonly anyHashes = new Set<number>();
  private readonly wordHashes = new Set<number>();

  /** Keep a value under its column and under {@link ANY_COLUMN}. */
  addValue(dataIndex: number, value: string): void {
    const hash = valueHash(value);
    this.push(finalise(hash ^ Math.imul(dataIndex + 1, 0x9e3779b1)));
    if (this.anyHashes.has(hash)) return;
    this.anyHashes.add(hash);
    this.push(finalise(hash ^ Math.imul(ANY_COLUMN + 1, 0x9e3779b1)));
  }

  addWord(word: string): void {
    const h1 = hash32(word, WORD_SEED);
    if (this.wordHashes.has(h1)) return;
    this.wordHashes.add(h1);
    this.push(h1);
  }

  /** One item by its first hash; the second is derived as `valueProbe` and `wordProbe` derive it. */
  private push(h1: number): void {
    if (this.count === this.h1s.length) {
      const h1s = new Uint32Array(this.count * 2);
      const h2s = new Uint32Array(this.count * 2);
      h1s.set(this.h1s);
      h2s.set(this.h2s);
      this.h1s = h1s;
      this.h2s = h2s;
    }
    this.h1s[this.count] = h1;
    this.h2s[this.count] = finalise(h1 ^ 0x5bd1e995) | 1;
    this.count++;
  }

  bytes(): Uint8Array {
    const words = Math.max(2, Math.ceil((this.count * BITS_PER_ITEM) / 32));
    const bits = new Uint32Array(words);
    const m = words * 32;
    for (let k = 0; k < this.count; k++) {
      const h1 = this.h1s[k]!;
      const h2 = this.h2s[k]!;
      for (let i = 0; i < PROBES; i++) {
        const at = ((h1 + Math.imul(i, h2)) >>> 0) % m;
        bits[at >>> 5]! |= 1 << (at & 31);
      }
    }
    return new Uint8Array(bits.buffer);
  }
}

/** A stored filter, ready to probe. */
export class Bloom {
  private readonly view: Uint32Array;
  private readonly m: number;

  /** Its size, for caches. */
  readonly bytes: number;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes.byteLength;
    const words = bytes.byteLength >>> 2;
    // A typed view needs 4-byte alignment; a buffer handed back by SQLite need not have it.
    const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
    this.view = new Uint32Array(aligned.buffer, aligned.byteOffset, words);
    this.m = words * 32;
  }

  /** False: the item is certainly not in the block. */
  has(probe: Probe): boolean {
    if (this.m === 0) return true;
    for (let i = 0; i < PROBES; i++) {
      const at = ((probe.h1 + Math.imul(i, probe.h2)) >>> 0) % this.m;
      if ((this.view[at >>> 5]! & (1 << (at & 31))) === 0) return false;
    }
    return true;
  }
}
