/**
 * Failed console sign-ins per client address: past `limit` failures within `windowMs`, further attempts from that
 * address answer 429 until the window ends. Tokens are 256-bit random, so this is not what stops guessing; it keeps a
 * script hammering the sign-in from filling the log and the token store's read load. Per process and in memory: a
 * restart or another replica starts counting afresh, which is acceptable for that purpose.
 */
import type { Response } from 'express';
import { BulwarkError } from '@bulwark/schema';

export class SignInFailures {
  private readonly byAddress = new Map<string, { count: number; resetAt: number }>();

  constructor(private readonly limit = 30, private readonly windowMs = 60_000, private readonly now: () => number = Date.now) {}

  /** @throws BWK_SIGNIN_THROTTLED (with `Retry-After` on `res`) when `address` used up its failures in this window. */
  assertAllowed(address: string, res: Response): void {
    const entry = this.byAddress.get(address);
    const now = this.now();
    if (!entry || entry.resetAt <= now || entry.count < this.limit) return;
    const retryAfterS = Math.ceil((entry.resetAt - now) / 1000);
    res.setHeader('Retry-After', String(retryAfterS));
    throw new BulwarkError('BWK_SIGNIN_THROTTLED', `${entry.count} failed sign-ins from this address; retry in ${retryAfterS} s`, {
      retry_after_s: retryAfterS,
    });
  }

  record(address: string): void {
    const now = this.now();
    // Bounded: a flood from many addresses forgets everyone rather than growing without end.
    if (this.byAddress.size > 10_000) this.byAddress.clear();
    const entry = this.byAddress.get(address);
    if (!entry || entry.resetAt <= now) this.byAddress.set(address, { count: 1, resetAt: now + this.windowMs });
    else entry.count++;
  }
}
