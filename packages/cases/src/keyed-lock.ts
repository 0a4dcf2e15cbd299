/**
 * Serialises async work per key within one process. Suppression reads ("is there an open alert of this rule and group
 * key?") and then writes; two alerts of one key recorded at once would otherwise both find none and both be stored.
 */
export class KeyedLock {
  private readonly tails = new Map<string, Promise<unknown>>();

  async run<R>(key: string, work: () => Promise<R>): Promise<R> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}
