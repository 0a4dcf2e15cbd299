/**
 * Bounding a wait: a publish to Redis, a DNS lookup, a playbook step. Every bounded wait in Bulwark goes through
 * `withTimeout`, so the timer is always cleared (a pending timer keeps a process alive at shutdown) and the error on
 * expiry is the caller's catalogue error, naming what timed out.
 */

/**
 * Settles as `work` does, or rejects with `onTimeout()` when `work` has not settled within `ms` milliseconds.
 * `work` is not cancelled: it may still finish later, so use this only where a late completion is harmless (an
 * idempotent publish, a lookup whose answer is dropped) or where the caller abandons the work on timeout.
 */
export async function withTimeout<T>(work: Promise<T>, ms: number, onTimeout: () => Error): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(onTimeout()), ms);
  });
  try {
    return await Promise.race([work, expired]);
  } finally {
    clearTimeout(timer);
  }
}
