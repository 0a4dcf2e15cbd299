/**
 * String hashes for the block store's filters and its event-id set. Written here rather than taken from a hashing
 * package because every candidate on npm hashes bytes: a string must first be UTF-8 encoded and copied (into
 * WebAssembly memory for xxhash-wasm), which measured ~2 µs per value, more than the rest of indexing that value.
 * These walk UTF-16 code units directly: FNV-1a for the walk, then MurmurHash3's finaliser so that values differing
 * in one character spread over every bit (a Bloom filter probes by the hash's bits).
 */

/** 32-bit hash of a string's code units, for a given seed. */
export function hash32(text: string, seed: number): number {
  let x = (seed ^ 0x811c9dc5) >>> 0;
  for (let i = 0; i < text.length; i++) {
    x ^= text.charCodeAt(i);
    x = Math.imul(x, 0x01000193);
  }
  return finalise(x);
}

/** MurmurHash3's 32-bit finaliser (fmix32). */
export function finalise(x: number): number {
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x >>> 0;
}

const TWO_POW_15 = 2 ** 15;

/**
 * A 47-bit key for an `event.id` from two independent 32-bit passes: under 2^47, so SQLite stores it in 6 bytes (8 for
 * larger integers), which is a sixth of the id set's size. Keys may collide (one new id in 140,000 meets a stored key
 * at a billion events); the store checks the id itself on every key hit, so a collision costs a lookup, never an event.
 */
export function idKey(id: string): number {
  const high = hash32(id, 0x2545f491);
  const low = hash32(id, 0x9e3779b9) >>> 17;
  return high * TWO_POW_15 + low;
}
