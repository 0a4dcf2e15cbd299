/**
 * Query-string parameters of the search API, validated once with zod. Times accept ISO 8601, epoch milliseconds, or
 * date math relative to now (`now`, `now-15m`, `now-2h`, `now-7d`), the way Kibana and Grafana users write them.
 */
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `30s`, `5m`, `1h`, `1d` (or a bare number of milliseconds). */
export function parseDuration(text: string): number | null {
  const m = /^(\d+)(ms|s|m|h|d|w)?$/.exec(text.trim());
  if (!m) return null;
  const value = Number(m[1]) * UNIT_MS[m[2] ?? 'ms']!;
  return value > 0 ? value : null;
}

export function parseTime(text: string, now = Date.now()): Date | null {
  const t = text.trim();
  const rel = /^now(?:([+-])(\d+)(ms|s|m|h|d|w))?$/.exec(t);
  if (rel) {
    const delta = rel[1] ? Number(rel[2]) * UNIT_MS[rel[3]!]! * (rel[1] === '-' ? -1 : 1) : 0;
    return new Date(now + delta);
  }
  if (/^\d{10,16}$/.test(t)) return new Date(Number(t));
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  // A date-time without an offset is UTC, as a date alone already is (JavaScript would read it as server-local time).
  const zoned = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t) ? `${t}Z` : t;
  const d = new Date(zoned);
  return Number.isNaN(d.getTime()) ? null : d;
}

const time = z.string().transform((v, ctx) => {
  const d = parseTime(v);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: 'must be ISO 8601, epoch milliseconds, or now[-+]<n><unit>' });
    return z.NEVER;
  }
  return d;
});

/** A repeated query parameter counts once: the last value wins, as in most HTTP frameworks. */
const single = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (Array.isArray(v) ? v[v.length - 1] : v), schema);

export const SearchParams = z.object({
  q: single(z.string().max(10_000).default('')),
  from: single(time.optional()),
  to: single(time.optional()),
  size: single(z.coerce.number().int().min(1).max(10_000).default(100)),
  cursor: single(z.string().max(4096).optional()),
  sort: single(z.enum(['asc', 'desc']).default('desc')),
});

export const HistogramParams = z.object({
  q: single(z.string().max(10_000).default('')),
  from: single(time.optional()),
  to: single(time.optional()),
  interval: single(
    z
      .string()
      .transform((v, ctx) => {
        const ms = parseDuration(v);
        if (!ms) {
          ctx.addIssue({ code: 'custom', message: 'must be a duration such as 30s, 5m, 1h or 1d' });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
  ),
});

/** Validates query-string params; the first problem becomes a 400 naming the parameter. */
export function parseParams<T extends z.ZodType>(schema: T, query: unknown): z.infer<T> {
  const result = schema.safeParse(query);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.join('.') || '(query)';
  throw new BulwarkError('BWK_BAD_PARAM', `parameter "${param}": ${issue.message}`, {
    param,
    problems: result.error.issues.map((i) => ({ param: i.path.join('.'), message: i.message })),
  });
}

/** Picks a bucket width giving about `target` buckets, rounded to a human interval. */
export function autoInterval(spanMs: number, target = 60): number {
  const steps = [1, 5, 10, 30].map((s) => s * 1000)
    .concat([1, 5, 10, 30].map((m) => m * 60_000))
    .concat([1, 3, 6, 12].map((h) => h * 3_600_000))
    .concat([1, 7, 30].map((d) => d * 86_400_000));
  const ideal = spanMs / target;
  return steps.find((s) => s >= ideal) ?? steps[steps.length - 1]!;
}
