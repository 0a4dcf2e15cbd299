/**
 * A broadcast wake-up for idle pollers: `wait(ms)` resolves on the next `notify()` or after `ms`, whichever comes
 * first. It carries no data on purpose: the store is the queue, so a missed or extra wake-up costs at most one poll
 * interval of latency and never a batch.
 */
export class Wakeup {
  private waiters: Array<() => void> = [];

  /** Resolve after `ms`, or earlier when someone calls `notify`. Never rejects. */
  wait(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== done);
        resolve();
      }, ms);
      this.waiters.push(done);
    });
  }

  /** Wake every current waiter. */
  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
