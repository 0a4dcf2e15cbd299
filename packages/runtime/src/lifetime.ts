/**
 * What a process releases at shutdown, and in which order. The root registers each adapter right after opening it
 * and each service right after starting it; `close()` releases them last-registered first, so a service stops taking
 * work before the adapters it uses close (a correlator unsubscribes before its bus and stores go). Nothing is patched
 * onto the dependencies handed to services: this list is the one mutable thing, and only roots close it.
 *
 * Each release has a name, so a shutdown that runs out of time can say what was still running (run.ts).
 */
import type { Logger } from 'pino';

/** The part of a lifetime a service may see: it can register what it started, never end the process's lifetime. */
export interface ShutdownHooks {
  /** Runs `release` at shutdown, before everything registered earlier; `name` says what it releases, for the log. */
  onClose(release: () => Promise<void>, name?: string): void;
}

export interface Lifetime extends ShutdownHooks {
  /** Releases everything, last registered first; a failing release is logged and the others still run. Idempotent. */
  close(): Promise<void>;
  /** What `close()` is releasing right now and what waits after it (empty before `close()` and once it finished). */
  pending(): string[];
}

export function createLifetime(logger: Logger): Lifetime {
  const releases: Array<{ name: string; release: () => Promise<void> }> = [];
  let closing: Promise<void> | null = null;
  let remaining: string[] = [];
  return Object.freeze({
    onClose(release: () => Promise<void>, name = 'a resource'): void {
      if (closing) {
        // Registered while shutting down (a start that finished late): release it at once rather than leak it.
        void release().catch((err: unknown) => logger.warn({ err, resource: name }, 'release failed'));
        return;
      }
      releases.push({ name, release });
    },
    close(): Promise<void> {
      closing ??= (async () => {
        const order = releases.splice(0).reverse();
        remaining = order.map((r) => r.name);
        for (const { name, release } of order) {
          await release().catch((err: unknown) => logger.warn({ err, resource: name }, 'release failed'));
          remaining.shift();
        }
      })();
      return closing;
    },
    pending(): string[] {
      return [...remaining];
    },
  });
}
