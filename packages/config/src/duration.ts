/** Durations in configuration and playbooks: `500ms`, `30s`, `10m`, `1h`, `2d` (or a number of ms), as milliseconds. */
import { z } from 'zod';

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

export const DurationSchema = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const m = typeof v === 'number' ? [String(v), String(v), 'ms'] : /^(\d+)(ms|s|m|h|d)?$/.exec(v.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2] ?? 'ms']! : Number.NaN;
  if (!Number.isSafeInteger(ms) || ms < 0) {
    ctx.addIssue({ code: 'custom', message: 'a duration such as 500ms, 30s, 10m, 1h or 2d' });
    return z.NEVER;
  }
  return ms;
});
