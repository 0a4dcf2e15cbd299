/**
 * Timestamps in queries and events: ISO 8601 text or epoch milliseconds, to epoch milliseconds. Shared by the parser
 * (to reject a bad `@timestamp` bound with its position), the SQLite adapter (the `ts` column) and ingest into the
 * store. We do not use `Date.parse` alone because it reads a date-time without an offset as local time, which would
 * make the same query mean different instants on different servers; here a missing offset means UTC, as in
 * Elasticsearch.
 */

// YYYY-MM-DD, optional [T ]hh:mm[:ss[.fraction]], optional Z or ±hh[:mm]. (ISO 8601 extended format, RFC 3339.)
const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

/**
 * The form shippers and our decoders send almost always (`2024-05-01T10:00:00.123456Z`). For it `Date.parse` is
 * exact (UTC, fraction truncated to ms, as below) and three times faster than the general path, which matters at
 * ingest rates; it only has to be kept away from days past the month's end and hour 24, which it would roll over
 * instead of refusing.
 */
const CANONICAL_RE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

function digits2(value: string, at: number): number {
  return (value.charCodeAt(at) - 48) * 10 + (value.charCodeAt(at + 1) - 48);
}

/** Days in a month of the proleptic Gregorian calendar (`month` 1–12). */
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

function isSafeForDateParse(value: string): boolean {
  const year = digits2(value, 0) * 100 + digits2(value, 2);
  const month = digits2(value, 5);
  const day = digits2(value, 8);
  const hour = digits2(value, 11);
  // Years 0000–0999 and months out of range take the general path (which refuses the latter).
  return year >= 1000 && month >= 1 && month <= 12 && day >= 1 && day <= daysInMonth(year, month) && hour <= 23;
}

/**
 * Epoch milliseconds for an ISO 8601 date or date-time (fractions beyond milliseconds are truncated), or for a finite
 * number taken as epoch milliseconds; `null` when the value is neither.
 */
export function parseTimestamp(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) ? Math.trunc(value) : null;
  if (CANONICAL_RE.test(value) && isSafeForDateParse(value)) {
    const ms = Date.parse(value);
    if (!Number.isNaN(ms)) return ms; // month 00/13, minute or second 60: refused below too
  }
  const m = ISO_RE.exec(value);
  if (!m) return null;
  const [, ys, mos, ds, hs, mis, ss, frac, , sign, ohs, oms] = m;
  const year = Number(ys);
  const month = Number(mos);
  const day = Number(ds);
  const hour = hs === undefined ? 0 : Number(hs);
  const minute = mis === undefined ? 0 : Number(mis);
  const second = ss === undefined ? 0 : Number(ss);
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59) return null;
  // setUTCFullYear, unlike Date.UTC, does not read years 0–99 as 1900–1999.
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  // 2024-02-30 rolls over into March; a date that does not round-trip does not exist.
  if (date.getUTCDate() !== day || date.getUTCMonth() !== month - 1) return null;
  const utc = date.getTime();
  if (sign === undefined) return utc;
  const offsetMinutes = Number(ohs) * 60 + (oms === undefined ? 0 : Number(oms));
  if (Number(ohs) > 23 || (oms !== undefined && Number(oms) > 59)) return null;
  return sign === '+' ? utc - offsetMinutes * 60_000 : utc + offsetMinutes * 60_000;
}
