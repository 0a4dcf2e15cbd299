/**
 * The correlation state port: where window state per (correlation rule, group key) lives.
 *
 * The port is a versioned compare-and-set, not a list of window operations, so the window algorithm exists once
 * (`window.ts`, in TypeScript) and every adapter only stores JSON:
 *
 * - `read(key)` returns the state and its version (absent: undefined);
 * - `write(key, state, expectedVersion, ttlMs)` stores it only if the version is still `expectedVersion` (0 for
 *   "absent"), bumps the version and sets the time to live, all atomically; on a conflict it returns false and the
 *   engine re-reads and re-applies. `state: undefined` deletes the key under the same check.
 *
 * A Redis adapter implements `write` as one Lua script (`HGET ver` compare, `HSET state ver`, `PEXPIRE ttl`), so
 * any number of correlator processes sharing a Redis serialise per key exactly as one process would. The TTL the
 * engine passes is `timespan + allowed lateness (+ optional slack)` — by then no new event can land in any window
 * of the key, as long as events arrive roughly when they happen — so idle groups disappear without a sweeper.
 * Version numbers must never repeat for a key, even after it expired (see `lastVersion`).
 */
import { BulwarkError } from '@bulwark/schema';
import type { WindowState } from './window.js';

export interface VersionedWindow {
  state: WindowState;
  version: number;
}

/**
 * Window state per key; see the module comment for the contract every adapter must keep. States are immutable
 * values: the engine never mutates one it read or wrote, so an in-process adapter may hand out the stored object.
 */
export interface CorrelationState {
  read(key: string): Promise<VersionedWindow | undefined>;
  write(key: string, state: WindowState | undefined, expectedVersion: number, ttlMs: number): Promise<boolean>;
  /**
   * Adapters that buffer writes (SQLite) make them durable here. The correlator calls it once per batch, after the
   * batch's alerts are recorded and before the batch is acknowledged; adapters that write through (memory, Redis)
   * leave it out. Callers `await` the result (a promise or, from SQLite, the number of keys written).
   */
  flush?(): unknown;
}

/** A serialised `InMemoryCorrelationState`: plain JSON, for restart survival and tests. */
export interface CorrelationStateSnapshot {
  format: 'bulwark.correlation-state/1';
  entries: { key: string; state: WindowState; version: number; expiresAt: number }[];
}

/**
 * The in-process adapter (embedded mode). Expiry is by wall clock, like Redis TTLs; the clock is injectable so
 * tests can move time. `snapshot()`/`restore()` let embedded mode persist state across restarts.
 */
export class InMemoryCorrelationState implements CorrelationState {
  private readonly items = new Map<string, { state: WindowState; version: number; expiresAt: number }>();
  /** Versions come from one counter, never from `current + 1`, so a key that expired and came back cannot be
   * mistaken for the one a slow writer read (the ABA problem); Redis does the same with an INCR'd counter. */
  private lastVersion = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async read(key: string): Promise<VersionedWindow | undefined> {
    const item = this.live(key);
    return item && { state: item.state, version: item.version };
  }

  async write(key: string, state: WindowState | undefined, expectedVersion: number, ttlMs: number): Promise<boolean> {
    const current = this.live(key)?.version ?? 0;
    if (current !== expectedVersion) return false;
    if (state === undefined) this.items.delete(key);
    else this.items.set(key, { state, version: ++this.lastVersion, expiresAt: this.now() + ttlMs });
    return true;
  }

  /** Keys currently held (expired ones dropped first). */
  get size(): number {
    this.sweep();
    return this.items.size;
  }

  /** Drops every expired key; reads do this lazily per key anyway. */
  sweep(): void {
    for (const key of [...this.items.keys()]) this.live(key);
  }

  snapshot(): CorrelationStateSnapshot {
    this.sweep();
    const entries = [...this.items].map(([key, item]) => ({ key, ...structuredClone(item) }));
    entries.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return { format: 'bulwark.correlation-state/1', entries };
  }

  static restore(snapshot: CorrelationStateSnapshot, now: () => number = Date.now): InMemoryCorrelationState {
    if (snapshot.format !== 'bulwark.correlation-state/1') {
      throw new BulwarkError('BWK_STORE_UNAVAILABLE', `unknown correlation state format '${String(snapshot.format)}'`, {
        format: String(snapshot.format),
        supported: 'bulwark.correlation-state/1',
      });
    }
    const store = new InMemoryCorrelationState(now);
    for (const { key, state, version, expiresAt } of snapshot.entries) {
      store.items.set(key, { state: structuredClone(state), version, expiresAt });
      store.lastVersion = Math.max(store.lastVersion, version);
    }
    return store;
  }

  private live(key: string) {
    const item = this.items.get(key);
    if (item && item.expiresAt <= this.now()) {
      this.items.delete(key);
      return undefined;
    }
    return item;
  }
}
