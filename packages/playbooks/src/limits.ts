/**
 * Blast-radius limits (docs/ARCHITECTURE.md, "Response"): at most `perPlaybook` limited actions per window for one playbook and
 * `overall` for all of them. The counts live in the CaseStore (one record, updated under its version), so any
 * number of responders share them. When a limit is reached the circuit breaker for that playbook (or for all) opens,
 * and every further limited action waits for a person — even after the window has passed — until someone resets
 * the breaker or approves that run's step. A flood of alerts thus quarantines a bounded number of pods, not the
 * cluster.
 */
import { BulwarkError } from '@bulwark/schema';
import type { CaseStore } from '@bulwark/store';

export interface Limits {
  windowMs: number;
  perPlaybook: number;
  overall: number;
}

export interface LimiterRecord {
  id: string;
  record_type: 'limiter';
  /** Recent limited actions (within the window): when, which playbook. */
  recent: { at: string; playbook: string }[];
  /** '*' when the overall breaker is open; else the playbooks whose breaker is open. */
  open: string[];
  opened_at: string | null;
}

export const LIMITER_ID = 'limiter:responder';

export type TakeResult = { allowed: true } | { allowed: false; reason: string };

export class BlastRadius {
  constructor(
    private readonly store: CaseStore,
    private readonly limits: Limits,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one limited action of `playbook` if the limits allow it. `force`: a person approved it (counted, never
   * refused).
   */
  async take(playbook: string, force = false): Promise<TakeResult> {
    for (let attempt = 0; ; attempt++) {
      const stored = await this.store.get<LimiterRecord>('runs', LIMITER_ID);
      const now = this.now();
      const record: LimiterRecord = stored?.record ?? { id: LIMITER_ID, record_type: 'limiter', recent: [], open: [], opened_at: null };
      const recent = record.recent.filter((r) => now - Date.parse(r.at) < this.limits.windowMs);
      let refusal: string | null = null;
      if (!force) {
        if (record.open.includes('*')) refusal = 'the overall circuit breaker is open';
        else if (record.open.includes(playbook)) refusal = `the circuit breaker of playbook ${playbook} is open`;
        else if (recent.length >= this.limits.overall) refusal = `${recent.length} actions in the window reached the overall limit of ${this.limits.overall}`;
        else if (recent.filter((r) => r.playbook === playbook).length >= this.limits.perPlaybook) {
          refusal = `playbook ${playbook} reached its limit of ${this.limits.perPlaybook} actions in the window`;
        }
      }
      const next: LimiterRecord = refusal
        ? {
            ...record,
            recent,
            open: record.open.includes('*') || record.open.includes(playbook) ? record.open : [...record.open, recent.length >= this.limits.overall ? '*' : playbook],
            opened_at: record.opened_at ?? new Date(now).toISOString(),
          }
        : { ...record, recent: [...recent, { at: new Date(now).toISOString(), playbook }] };
      try {
        if (stored) await this.store.update('runs', LIMITER_ID, next, { expectedVersion: stored.version });
        else await this.store.create('runs', next);
        return refusal ? { allowed: false, reason: refusal } : { allowed: true };
      } catch (err) {
        if (!(err instanceof BulwarkError) || err.code !== 'BWK_CONFLICT' || attempt >= 50) throw err;
        await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * (attempt + 1)));
      }
    }
  }

  async state(): Promise<{ open: string[]; opened_at: string | null; recent: number; limits: Limits }> {
    const stored = await this.store.get<LimiterRecord>('runs', LIMITER_ID);
    const now = this.now();
    const recent = (stored?.record.recent ?? []).filter((r) => now - Date.parse(r.at) < this.limits.windowMs).length;
    return { open: stored?.record.open ?? [], opened_at: stored?.record.opened_at ?? null, recent, limits: this.limits };
  }

  /** A person closes the breakers; the window's counts stay (the next action beyond the limit opens it again). */
  async reset(): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const stored = await this.store.get<LimiterRecord>('runs', LIMITER_ID);
      if (!stored || stored.record.open.length === 0) return;
      try {
        await this.store.update('runs', LIMITER_ID, { ...stored.record, open: [], opened_at: null }, { expectedVersion: stored.version });
        return;
      } catch (err) {
        if (!(err instanceof BulwarkError) || err.code !== 'BWK_CONFLICT' || attempt >= 50) throw err;
      }
    }
  }
}
