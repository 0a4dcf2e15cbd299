/**
 * The Redis adapter of detection's correlation state port (`CorrelationState`, scale mode): any number of correlator processes sharing one Redis
 * serialise per key exactly as one process would, because `write` is a single Lua script.
 *
 * Layout under the key prefix `p`:
 * - `p` + `w:` + key — a hash `{ver, state}` per window key (`state` is the window state as JSON), expiring after
 *   the TTL the engine passes (`PEXPIRE` on every write, so idle groups disappear without a sweeper);
 * - `p` + `version` — the version counter (`INCR`, never expires). Versions come from it rather than `ver + 1`, so
 *   a key that expired and came back never reuses a version a slow writer may still hold (ABA), as in memory.
 *
 * Both keys are passed to the script as KEYS. On Redis Cluster put a hash tag in the prefix (`{bulwark}:corr:`) so
 * they share a slot.
 */
import { Redis } from 'ioredis';
import type { CorrelationState, VersionedWindow, WindowState } from '@bulwark/detection';

/**
 * KEYS[1] window hash, KEYS[2] version counter; ARGV[1] expected version (0 = must be absent), ARGV[2] state JSON
 * ('' = delete), ARGV[3] TTL in ms. Returns the new version (0 after a delete), or nil on a version conflict.
 */
const WRITE_SCRIPT = `
local current = tonumber(redis.call('HGET', KEYS[1], 'ver') or '0')
if current ~= tonumber(ARGV[1]) then return false end
if ARGV[2] == '' then
  redis.call('DEL', KEYS[1])
  return 0
end
local version = redis.call('INCR', KEYS[2])
redis.call('HSET', KEYS[1], 'ver', version, 'state', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return version
`;

const COMMAND = 'bulwarkCorrelationWrite';

interface WriteCommand {
  [COMMAND](windowKey: string, counterKey: string, expected: number, state: string, ttlMs: number): Promise<number | null>;
}
type ScriptedRedis = Redis & WriteCommand;

export interface RedisCorrelationStateOptions {
  /** Prepended to every key this adapter touches; default `bulwark:correlation:`. */
  prefix?: string;
}

export class RedisCorrelationState implements CorrelationState {
  readonly prefix: string;
  /** The key of the version counter. */
  readonly counterKey: string;
  private readonly client: ScriptedRedis;
  private readonly owned: boolean;

  /** From an ioredis client (shared, left open by `close()`) or a URL (connected here, closed by `close()`). */
  constructor(client: Redis | string, options: RedisCorrelationStateOptions = {}) {
    this.owned = typeof client === 'string';
    const redis = typeof client === 'string' ? new Redis(client) : client;
    // defineCommand runs EVALSHA and falls back to EVAL when the script cache lacks it (after a restart or flush).
    if (typeof (redis as unknown as Partial<WriteCommand>)[COMMAND] !== 'function') {
      redis.defineCommand(COMMAND, { numberOfKeys: 2, lua: WRITE_SCRIPT });
    }
    this.client = redis as ScriptedRedis;
    this.prefix = options.prefix ?? 'bulwark:correlation:';
    this.counterKey = `${this.prefix}version`;
  }

  /** The Redis key holding the window state of `key` (a hash `{ver, state}`). */
  keyOf(key: string): string {
    return `${this.prefix}w:${key}`;
  }

  async read(key: string): Promise<VersionedWindow | undefined> {
    const [version, state] = await this.client.hmget(this.keyOf(key), 'ver', 'state');
    if (typeof version !== 'string' || typeof state !== 'string') return undefined;
    return { state: JSON.parse(state) as WindowState, version: Number(version) };
  }

  async write(key: string, state: WindowState | undefined, expectedVersion: number, ttlMs: number): Promise<boolean> {
    if (!Number.isSafeInteger(expectedVersion) || expectedVersion < 0) throw new RangeError(`expected version must be a non-negative integer, got ${expectedVersion}`);
    if (!Number.isFinite(ttlMs)) throw new RangeError(`TTL must be a finite number of milliseconds, got ${ttlMs}`);
    // PEXPIRE takes whole milliseconds; a TTL of 0 or less removes the key at once, as it expires at once in memory.
    const reply = await this.client[COMMAND](
      this.keyOf(key), this.counterKey, expectedVersion, state === undefined ? '' : JSON.stringify(state), Math.ceil(ttlMs),
    );
    return reply !== null;
  }

  /** Closes the connection if this adapter opened it (constructed from a URL); a client passed in stays open. */
  async close(): Promise<void> {
    if (this.owned) await this.client.quit();
  }
}
