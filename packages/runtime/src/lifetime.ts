/**
 * What a process releases at shutdown, and in which order. The root registers each adapter right after opening it
 * and each service right after starting it; `close()` releases them last-registered first, so a service stops taking
 * work before the adapters it uses close (a correlator unsubscribes before its bus and stores go). Nothing is patched
 * onto the dependencies handed to services: this list is the one mutable thing, and only roots close it.
 */
import type { Logger } from 'pino';

/** The part of a lifetime a service may see: it can register what it started, never end the process's lifetime. */
export interface ShutdownHooks {
  /** Runs `release` at shutdown, before everything registered earlier. */
  onClose(release: () => Promise<void>): void;
}

export interface Lifetime extends ShutdownHooks {
  /** Releases everything, last registered first; a failing release is logged and the others still run. Idempotent. */
  close(): Promise<void>;
}

export function createLifetime(logger: Logger): Lifetime {
  const releases: Array<() => Promise<void>> = [];
  let closing: Promise<void> | null = null;
  return Object.freeze({
    onClose(release: () => Promise<void>): void {
      if (closing) {
        // Registered while shutting down (a start that finished late): release it at once rather than leak it.
        void release().catch((err: unknown) => logger.warn({ err }, 'release failed'));
        return;
      }
      releases.push(release);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        for (const release of releases.splice(0).reverse()) {
          await release().catch((err: unknown) => logger.warn({ err }, 'release failed'));
        }
      })();
      return closing;
    },
  });
}
