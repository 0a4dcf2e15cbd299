/**
 * Time-range arithmetic for the incident timeline (zoom with the wheel or buttons, pan, fit) and the explorer's
 * histogram brush. Ranges are epoch milliseconds. Pure, unit-tested in test/time-zoom.test.ts.
 */

export interface TimeRange {
  from: number;
  to: number;
}

/** Nothing narrower than a second is worth showing; nothing wider than a year is an incident. */
export const MIN_SPAN_MS = 1_000;
export const MAX_SPAN_MS = 366 * 86_400_000;

/**
 * Zooms `range` by `factor` (<1 in, >1 out) keeping the instant `anchor` at the same place on screen (the mouse
 * position for the wheel, the centre for the buttons); the span is clamped to [MIN_SPAN_MS, MAX_SPAN_MS] and, when
 * `bounds` is given, the result stays within it.
 */
export function zoomRange(range: TimeRange, factor: number, anchor = (range.from + range.to) / 2, bounds?: TimeRange): TimeRange {
  const span = range.to - range.from;
  const maxSpan = bounds ? Math.min(MAX_SPAN_MS, bounds.to - bounds.from) : MAX_SPAN_MS;
  const nextSpan = Math.min(Math.max(span * factor, MIN_SPAN_MS), Math.max(maxSpan, MIN_SPAN_MS));
  const a = Math.min(Math.max(anchor, range.from), range.to);
  const ratio = span > 0 ? (a - range.from) / span : 0.5;
  const from = a - ratio * nextSpan;
  return clampRange({ from, to: from + nextSpan }, bounds);
}

/** Moves `range` by `fraction` of its span (negative: earlier), staying within `bounds`. */
export function panRange(range: TimeRange, fraction: number, bounds?: TimeRange): TimeRange {
  const shift = (range.to - range.from) * fraction;
  return clampRange({ from: range.from + shift, to: range.to + shift }, bounds);
}

/** Shifts `range` (keeping its span) so it lies within `bounds`; a range wider than `bounds` becomes `bounds`. */
export function clampRange(range: TimeRange, bounds?: TimeRange): TimeRange {
  if (!bounds) return { from: Math.round(range.from), to: Math.round(range.to) };
  const span = range.to - range.from;
  if (span >= bounds.to - bounds.from) return { ...bounds };
  let { from, to } = range;
  if (from < bounds.from) [from, to] = [bounds.from, bounds.from + span];
  if (to > bounds.to) [from, to] = [bounds.to - span, bounds.to];
  return { from: Math.round(from), to: Math.round(to) };
}

/** The span of `times` (epoch ms) with `padFraction` of it (at least `minPadMs`) added on each side. */
export function fitRange(times: readonly number[], padFraction = 0.05, minPadMs = 5_000): TimeRange | null {
  const finite = times.filter(Number.isFinite);
  if (!finite.length) return null;
  const lo = Math.min(...finite);
  const hi = Math.max(...finite);
  const pad = Math.max((hi - lo) * padFraction, minPadMs);
  return { from: lo - pad, to: hi + pad };
}

/** Position (0..1, may fall outside) of the instant `t` in `range`. */
export function positionOf(t: number, range: TimeRange): number {
  const span = range.to - range.from;
  return span > 0 ? (t - range.from) / span : 0;
}

/** The instant at `x` pixels of a `width`-pixel axis showing `range`. */
export function timeAt(x: number, width: number, range: TimeRange): number {
  return range.from + (width > 0 ? x / width : 0) * (range.to - range.from);
}

/**
 * A mouse brush from pixel `x1` to `x2` on a `width`-pixel axis showing `range`, as from/to ISO strings; null for a
 * click (a brush narrower than `minPixels` is a click, not a selection).
 */
export function brushToRange(x1: number, x2: number, width: number, range: TimeRange, minPixels = 3): { from: string; to: string } | null {
  if (Math.abs(x2 - x1) < minPixels || width <= 0) return null;
  const a = timeAt(Math.max(0, Math.min(x1, x2)), width, range);
  const b = timeAt(Math.min(width, Math.max(x1, x2)), width, range);
  return { from: new Date(Math.floor(a)).toISOString(), to: new Date(Math.ceil(b)).toISOString() };
}

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * The instant a time field means, as the API reads it (services/api params.ts): `now`, `now-15m`, ISO 8601, or epoch
 * milliseconds. Null for what it would refuse.
 */
export function resolveTime(text: string, now = Date.now()): number | null {
  const t = text.trim();
  const rel = /^now(?:([+-])(\d+)(ms|s|m|h|d|w))?$/.exec(t);
  if (rel) return now + (rel[1] ? Number(rel[2]) * UNIT_MS[rel[3]!]! * (rel[1] === '-' ? -1 : 1) : 0);
  if (/^\d{10,16}$/.test(t)) return Number(t);
  if (!/^\d{4}-\d{2}-\d{2}/.test(t)) return null;
  const zoned = /T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(t) ? `${t}Z` : t;
  const ms = Date.parse(zoned);
  return Number.isNaN(ms) ? null : ms;
}

/** A compact label for a span: `850 ms`, `42 s`, `15 min`, `6 h`, `3 d`. */
export function spanLabel(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 172_800_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}
