/**
 * Finding matching rows across blocks in `(@timestamp, arrival)` order without reading more blocks than a page needs:
 * blocks come from the catalog newest-last-event first (or oldest-first-event first), and the walk stops as soon as
 * no further block can hold a row that beats the page's last one (docs/ARCHITECTURE.md, "The embedded log store").
 */
import type { SortOrder } from '../port.js';
import type { BlockRow } from './catalog.js';
import { usesFilter, type Compiled } from './compile.js';
import { matches, mayMatch, verdict } from './evaluate.js';
import type { BlockReader } from './reader.js';
import type { BlockView } from './view.js';

/** A matching row. */
export interface Hit {
  ts: number;
  seq: number;
  view: BlockView;
  row: number;
}

export interface ScanRequest {
  query: Compiled;
  /** Inclusive, epoch ms. */
  from: number;
  /** Exclusive, epoch ms. */
  to: number;
  order: SortOrder;
  /** Only rows strictly after this position in `order` (a cursor, or the anchor of "around"). */
  after?: { ts: number; seq: number };
  limit: number;
}

const before = (a: Hit, b: { ts: number; seq: number }) => a.ts < b.ts || (a.ts === b.ts && a.seq < b.seq);

/** The first `limit` matching rows in order. */
export function scan(reader: BlockReader, req: ScanRequest): Hit[] {
  const desc = req.order === 'desc';
  // In scan order, is x strictly earlier than y?
  const earlier = desc ? (x: Hit, y: Hit) => before(y, x) : (x: Hit, y: Hit) => before(x, y);
  const after = req.after;
  const inRange = after
    ? desc
      ? (ts: number, seq: number) => ts < after.ts || (ts === after.ts && seq < after.seq)
      : (ts: number, seq: number) => ts > after.ts || (ts === after.ts && seq > after.seq)
    : () => true;
  const filtered = usesFilter(req.query);
  let hits: Hit[] = [];
  let worst: Hit | null = null; // the last hit kept once `hits` is full
  // Rows past the position cannot be in blocks entirely beyond it: narrow the catalog range too.
  const from = after && !desc ? Math.max(req.from, after.ts) : req.from;
  const to = after && desc ? Math.min(req.to, after.ts + 1) : req.to;
  for (const block of reader.blocks(from, to, req.order)) {
    if (worst && (desc ? block.max_ts < worst.ts : block.min_ts > worst.ts)) break;
    const rows = matchingRows(reader, req.query, block, filtered);
    if (!rows) continue;
    const { view, mask } = rows;
    const ts = view.ts();
    const seqs = view.seqs();
    for (let r = 0; r < view.rows; r++) {
      if (mask && !mask[r]) continue;
      const t = ts[r]!;
      if (t < req.from || t >= req.to || !inRange(t, seqs[r]!)) continue;
      const hit = { ts: t, seq: seqs[r]!, view, row: r };
      if (worst && !earlier(hit, worst)) continue;
      hits.push(hit);
      if (hits.length >= req.limit * 2 + 64) {
        hits = trim(hits, earlier, req.limit);
        worst = hits[hits.length - 1]!;
      }
    }
    if (hits.length >= req.limit) {
      hits = trim(hits, earlier, req.limit);
      worst = hits[hits.length - 1]!;
    }
  }
  return trim(hits, earlier, req.limit);
}

function trim(hits: Hit[], earlier: (x: Hit, y: Hit) => boolean, limit: number): Hit[] {
  hits.sort((x, y) => (earlier(x, y) ? -1 : earlier(y, x) ? 1 : 0));
  if (hits.length > limit) hits.length = limit;
  return hits;
}

/**
 * The block's matching rows: null when the catalog or the filter rules the block out; `mask` null when every row
 * matches (then no column is read).
 */
export function matchingRows(
  reader: BlockReader,
  query: Compiled,
  block: BlockRow,
  filtered: boolean,
): { view: BlockView; mask: Uint8Array | null } | null {
  const directory = reader.directory(block);
  const v = verdict(query, block, directory);
  if (v === 'none') return null;
  if (v === 'all') return { view: reader.view(block), mask: null };
  const bloom = filtered ? reader.filter(block.id) : null;
  if (bloom && !mayMatch(query, bloom, directory)) return null;
  const view = reader.view(block);
  return { view, mask: matches(query, view, bloom) };
}
