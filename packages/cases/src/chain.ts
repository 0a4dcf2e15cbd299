/**
 * Generation chains: records under deterministic ids `<base>-0`, `<base>-1`, … created in order, each only once the
 * one before exists, so the chain has no gaps. Two processes that want "the next one" compute the same id and the
 * store's create-if-absent lets exactly one of them make it — the atomicity suppression claims and new incidents
 * rely on across processes. The latest record is found by reading ids (realtime on every store, no index refresh):
 * two reads from a remembered generation, a galloping then binary search otherwise.
 */

/** Hints kept per process; beyond this many the oldest is forgotten (its lookup then searches from scratch). */
const MAX_HINTS = 10_000;

/**
 * The latest record of a chain and its generation, or null when the chain is empty. `read(g)` returns the record of
 * generation g or null; `hint` is a generation known to exist (or a guess; a wrong one only costs reads).
 */
export async function latestInChain<T>(read: (generation: number) => Promise<T | null>, hint?: number): Promise<{ generation: number; record: T } | null> {
  let low = -1;
  let lowRecord: T | null = null;
  if (hint !== undefined && hint > 0) {
    lowRecord = await read(hint);
    if (lowRecord) low = hint;
  }
  if (!lowRecord) {
    lowRecord = await read(0);
    if (!lowRecord) return null;
    low = 0;
  }
  let step = 1;
  let high = low + step;
  for (let next = await read(high); next; next = await read(high)) {
    low = high;
    lowRecord = next;
    step *= 2;
    high = low + step;
  }
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    const found = await read(mid);
    if (found) {
      low = mid;
      lowRecord = found;
    } else {
      high = mid;
    }
  }
  return { generation: low, record: lowRecord };
}

/** Remembers the latest generation seen for a chain (never lowers it); bounded, oldest first out. */
export function rememberGeneration(hints: Map<string, number>, base: string, generation: number): void {
  if ((hints.get(base) ?? -1) >= generation) return;
  hints.delete(base);
  hints.set(base, generation);
  if (hints.size > MAX_HINTS) hints.delete(hints.keys().next().value!);
}
