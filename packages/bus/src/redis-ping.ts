/**
 * Whether a Redis connection answers: what a process's readiness reports for its bus and its responders' queue. A
 * Redis that hangs (a full network buffer, a stopped server) must make `/readyz` say so within its deadline rather
 * than hold the probe, so the PING is bounded; a late answer is dropped.
 */
import type { Redis } from 'ioredis';
import { withTimeout } from '@bulwark/schema';

/** The PING's bound: well under the probe timeouts of Kubernetes (1 s default, usually raised) and load balancers. */
export const REDIS_PING_TIMEOUT_MS = 1_000;

/** True when `connection` answers PING within `timeoutMs`; false when it errs or does not answer in time. */
export async function pingRedis(connection: Redis, timeoutMs = REDIS_PING_TIMEOUT_MS): Promise<boolean> {
  if (connection.status !== 'ready') return false;
  const ping = connection.ping();
  ping.catch(() => {});
  try {
    return (await withTimeout(ping, timeoutMs, () => new Error(`Redis did not answer PING within ${timeoutMs} ms`))) === 'PONG';
  } catch {
    return false;
  }
}
