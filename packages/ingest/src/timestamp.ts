/**
 * Timestamps into the one form events carry: ISO 8601 UTC with millisecond precision (`toISOString()`), which the
 * store indexes and sorts as text. Inputs are RFC 3339 strings with any number of fractional digits (Docker, CRI,
 * Falco and Vector write nanoseconds), epoch numbers, and Loki's nanosecond strings.
 *
 * Parsing is strict on purpose: `Date.parse` accepts "May 1" or "2024" and guesses a local time zone, which would
 * silently misplace events on the timeline.
 */

/** Years 0001–9999: what `toISOString()` renders in the plain `YYYY-MM-DD` form the schema accepts. */
const MIN_MS = -62135596800000;
const MAX_MS = 253402300799999;

// RFC 3339 §5.6 date-time, plus the relaxations Elasticsearch's strict_date_optional_time allows: a space for `T`,
// no seconds, no time at all, no zone (read as UTC), a comma before the fraction, and `+hhmm` / `+hh` offsets.
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?(?:\s*([Zz]|[+-]\d{2}(?::?\d{2})?))?$/;

/** Milliseconds since the epoch, or undefined when out of the renderable range. */
export function isoFromMillis(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return undefined;
  return new Date(Math.floor(ms)).toISOString();
}

function offsetMinutes(zone: string | undefined): number {
  if (!zone || zone === 'Z' || zone === 'z') return 0;
  const sign = zone[0] === '-' ? -1 : 1;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
  if (hours > 23 || minutes > 59) return Number.NaN;
  return sign * (hours * 60 + minutes);
}

const CANONICAL_RE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function twoDigits(s: string, at: number): number {
  return (s.charCodeAt(at) - 48) * 10 + (s.charCodeAt(at + 1) - 48);
}

/**
 * True when `s` is already exactly what `toISOString()` would render (the common case: Filebeat, Logstash and our
 * own generic events send it), checked field by field so the hot path skips Date parsing and formatting.
 */
function isCanonicalIso(s: string): boolean {
  if (s.length !== 24 || !CANONICAL_RE.test(s)) return false;
  const year = Number(s.slice(0, 4));
  const month = twoDigits(s, 5);
  const day = twoDigits(s, 8);
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const leap = month === 2 && year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > DAYS_IN_MONTH[month - 1]! + (leap ? 1 : 0)) return false;
  return twoDigits(s, 11) < 24 && twoDigits(s, 14) < 60 && twoDigits(s, 17) < 60;
}

/** Parses an RFC 3339 / ISO 8601 date-time to epoch milliseconds (fraction truncated), or undefined. */
export function parseIsoMillis(text: string): number | undefined {
  const m = ISO_RE.exec(text);
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const [hour, minute, second] = [Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0)];
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) return undefined;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  if (date.getUTCDate() !== day) return undefined; // 31 April, 29 February 2023
  // A leap second (:60) is folded into :59.999 so it stays in its minute.
  date.setUTCHours(hour, minute, Math.min(second, 59), second === 60 ? 999 : millis);
  const base = date.getTime();
  const offset = offsetMinutes(m[8]);
  if (Number.isNaN(offset)) return undefined;
  return base - offset * 60_000;
}

/** How to read a bare number: a protocol either says its unit or leaves it to the magnitude. */
export type EpochUnit = 's' | 'ms' | 'auto';

/**
 * Epoch number to milliseconds. `auto` guesses from magnitude, which is unambiguous for any date between 1973 and
 * 5138: below 1e11 seconds, below 1e14 milliseconds, below 1e17 microseconds, else nanoseconds.
 */
function epochToMillis(value: number, unit: EpochUnit): number {
  if (unit === 's') return value * 1000;
  if (unit === 'ms') return value;
  const abs = Math.abs(value);
  if (abs < 1e11) return value * 1000;
  if (abs < 1e14) return value;
  if (abs < 1e17) return value / 1000;
  return value / 1e6;
}

/**
 * Any accepted timestamp form to ISO milliseconds UTC, or undefined when it is none of them. Digit-only strings are
 * numbers (Elasticsearch's `epoch_millis` accepts them quoted).
 */
export function toIsoTimestamp(value: unknown, unit: EpochUnit = 'ms'): string | undefined {
  if (typeof value === 'number') return isoFromMillis(epochToMillis(value, unit));
  if (typeof value !== 'string') return undefined;
  if (isCanonicalIso(value)) return value;
  if (/^-?\d+(\.\d+)?$/.test(value)) return isoFromMillis(epochToMillis(Number(value), unit));
  const ms = parseIsoMillis(value);
  return ms === undefined ? undefined : isoFromMillis(ms);
}

/**
 * Loki's timestamps: a decimal string of nanoseconds since the epoch (JSON push), too large for a double to hold
 * exactly, so the digits are cut rather than converted.
 */
export function isoFromNanosString(text: string): string | undefined {
  if (!/^\d{1,20}$/.test(text)) return undefined;
  return isoFromMillis(text.length > 6 ? Number(text.slice(0, -6)) : 0);
}

/** Seconds + nanos (google.protobuf.Timestamp) to ISO milliseconds UTC. */
export function isoFromSecondsNanos(seconds: number, nanos: number): string | undefined {
  if (!Number.isFinite(seconds) || !Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) return undefined;
  return isoFromMillis(seconds * 1000 + Math.floor(nanos / 1e6));
}
