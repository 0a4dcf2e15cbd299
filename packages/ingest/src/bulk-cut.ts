/**
 * Where a `_bulk` body may be cut so that its parts, decoded apart (on two decode threads at once), give the items the
 * whole body gives, in order: only before a line that `decodeBulk` reads as an action line. A request is decoded on one
 * thread; with the two requests in flight a shipper (and the benchmark) keeps, one thread sat idle while the other
 * request was being committed and answered. Cut in two, a large request keeps every core busy instead.
 *
 * Which lines are actions follows `decodeBulk` exactly: blank lines are skipped; after an action line comes its source
 * line (the next non-blank one), except after a `delete` action, which has none — and an action line that fails to
 * parse still takes a source line unless it names `delete` alone. A body that is not valid UTF-8 is never cut (its lines
 * are decoded one by one, with rules of their own for a byte-order mark).
 */
import { isUtf8 } from 'node:buffer';
import { isBlank } from './text.js';

/**
 * Bodies smaller than this are decoded whole, and no part is smaller than half of it: each part becomes blocks of its
 * own, and parts of 500 events (a 1 MB request cut in two) made blocks half the size — 13% more bytes per event on the
 * mixed benchmark load and twice the blocks for every needle search to probe. Shippers that send large batches (Vector,
 * Logstash: up to 10 MB) still have them decoded on every thread.
 */
export const MIN_CUT_BYTES = 4 * 1024 * 1024;

const NEWLINE = 0x0a;
const CR = 0x0d;
const OPEN_BRACE = 0x7b;

/** Whether an action line is followed by a source line, as `decodeBulk` decides it (see the module comment). */
function takesSource(line: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return true; // invalid JSON (or too deep to parse): an action that failed, with a source line to skip
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return true;
  const keys = Object.keys(value);
  return !(keys.length === 1 && keys[0] === 'delete');
}

/**
 * Byte offsets at which to cut `body` into at most `parts` pieces of about equal size, each starting with an action line
 * (the first piece at 0, not listed); empty when the body should be decoded whole.
 */
export function bulkCuts(body: Buffer, parts: number, minBytes = MIN_CUT_BYTES): number[] {
  parts = Math.min(parts, Math.floor(body.length / Math.max(1, minBytes / 2)));
  if (parts < 2 || body.length < minBytes || !isUtf8(body)) return [];
  const cuts: number[] = [];
  let target = Math.ceil(body.length / parts);
  let expectAction = true;
  let seenAction = false;
  // The last action line's bytes, and whether it took a source: shippers repeat one action line, parsed once here.
  let lastStart = -1;
  let lastEnd = -1;
  let lastTakes = true;
  for (let start = 0; start < body.length; ) {
    let end = body.indexOf(NEWLINE, start);
    if (end === -1) end = body.length;
    const next = end + 1;
    let stop = end;
    if (stop > start && body[stop - 1] === CR) stop--;
    // A line opening with `{` is not blank; others are decoded to ask (whitespace, or a byte-order mark on line one).
    const blank = stop === start || (body[start] !== OPEN_BRACE && isBlank(body.toString('utf8', start, stop)));
    if (!blank) {
      if (!expectAction) {
        expectAction = true; // the source line of the action before
      } else {
        if (seenAction && start >= target) {
          cuts.push(start);
          if (cuts.length === parts - 1) return cuts;
          target = start + Math.ceil((body.length - start) / (parts - cuts.length));
        }
        seenAction = true;
        const same = lastStart >= 0 && stop - start === lastEnd - lastStart && body.compare(body, lastStart, lastEnd, start, stop) === 0;
        if (!same) {
          // The decoder reads the body without its byte-order mark.
          const from = start === 0 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : start;
          lastTakes = takesSource(body.toString('utf8', from, stop));
          lastStart = start;
          lastEnd = stop;
        }
        expectAction = !lastTakes;
      }
    }
    start = next;
  }
  return cuts;
}
