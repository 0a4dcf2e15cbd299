/**
 * What every LogStore adapter shares about date histograms: validating the request, the epoch-aligned bucket plan, and
 * the zero-filled answer built from the counts the engine returned for non-empty buckets.
 */
import { BulwarkError } from '@bulwark/schema';
import type { HistogramRequest, HistogramResult } from './port.js';

/** The histogram refuses more buckets than this; ask for a wider interval. */
export const MAX_BUCKETS = 10_000;

export interface HistogramPlan {
  interval: number;
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  /** Start of the first bucket: the largest multiple of `interval` not after `from`. */
  first: number;
  count: number;
}

/** A request's `from`/`to` as epoch ms. @throws BulwarkError BWK_BAD_PARAM naming the parameter. */
export function validDate(value: Date, param: 'from' | 'to'): number {
  const ms = value instanceof Date ? value.getTime() : Number.NaN;
  if (Number.isNaN(ms)) throw new BulwarkError('BWK_BAD_PARAM', `${param} must be a valid date`, { param });
  return ms;
}

/** Largest multiple of `interval` not after `ms` (also for instants before 1970). */
export function floorTo(ms: number, interval: number): number {
  return ms - (((ms % interval) + interval) % interval);
}

/** @throws BulwarkError BWK_BAD_PARAM for a bad interval, an empty range or too many buckets. */
export function planHistogram(req: HistogramRequest): HistogramPlan {
  const interval = req.intervalMs;
  if (!Number.isSafeInteger(interval) || interval < 1) {
    throw new BulwarkError('BWK_BAD_PARAM', `intervalMs must be a positive integer, got ${interval}`, { param: 'intervalMs' });
  }
  const from = validDate(req.from, 'from');
  const to = validDate(req.to, 'to');
  if (to <= from) throw new BulwarkError('BWK_BAD_PARAM', 'to must be after from', { param: 'to' });
  const first = floorTo(from, interval);
  const count = Math.ceil((to - first) / interval);
  if (count > MAX_BUCKETS) {
    throw new BulwarkError('BWK_BAD_PARAM', `${count} buckets is more than ${MAX_BUCKETS}; use a larger intervalMs`, { param: 'intervalMs' });
  }
  return { interval, from, to, first, count };
}

/** Every bucket of the plan, oldest first, with `counts` (bucket start → events) and zero elsewhere. */
export function zeroFilled(plan: HistogramPlan, counts: ReadonlyMap<number, number>): HistogramResult {
  const buckets = [];
  let total = 0;
  for (let i = 0; i < plan.count; i++) {
    const start = plan.first + i * plan.interval;
    const n = counts.get(start) ?? 0;
    total += n;
    buckets.push({ key: new Date(start).toISOString(), count: n });
  }
  return { intervalMs: plan.interval, buckets, total };
}
