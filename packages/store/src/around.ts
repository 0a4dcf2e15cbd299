/**
 * `around` for an adapter that has nothing better than its own `get` and `search` (the search engines seek to the
 * anchor's sort position instead, `search/log-store.ts`). The port's cursors are opaque, so the anchor's place in the
 * search order is found by reading: each side is searched from the anchor's own millisecond outwards, with the query
 * widened to `(query) OR event.id:<anchor>` so the anchor shows up among the events it shares its instant with, in the
 * store's tie order (arrival), even when it does not match the query itself. The events at that instant on the far
 * side of the anchor are skipped; the rest are the answer. Nothing is lost or shown twice, however many events share
 * the instant; the cost is reading those ties once per side.
 */
import type { Event } from '@bulwark/schema';
import type { AroundRequest, AroundResult, LogStore, SearchRequest, SortOrder } from './port.js';
import type { QueryNode } from './query/ast.js';
import { checkAroundRequest } from './explore-request.js';

/** Extra events asked for on the first page of each side, so a few ties before the anchor need no second page. */
const SLACK = 50;
const MAX_PAGE = 10_000;

/** The query, or the anchor by id. */
export function orAnchor(query: QueryNode, id: string): QueryNode {
  if (query.type === 'all') return query;
  return { type: 'or', children: [query, { type: 'term', field: 'event.id', value: id, phrase: true, prefix: false }] };
}

/**
 * Up to `count` events on one side of the anchor, nearest first: the search from the anchor's instant towards that side,
 * with the events before the anchor in that order skipped. If the anchor is not met among its instant's events (gone
 * meanwhile), the side starts at the first event past that instant.
 */
async function oneSide(store: Pick<LogStore, 'search'>, query: QueryNode, anchor: Event, sort: SortOrder, count: number): Promise<Event[]> {
  if (count === 0) return [];
  const ts = Date.parse(anchor['@timestamp']);
  const id = anchor.event.id;
  const range: Pick<SearchRequest, 'from' | 'to'> = sort === 'asc' ? { from: new Date(ts) } : { to: new Date(ts + 1) };
  const size = Math.min(MAX_PAGE, count + 1 + SLACK);
  const out: Event[] = [];
  let met = false;
  let cursor: string | null = null;
  do {
    const page = await store.search({ query, size, sort, ...range, ...(cursor ? { cursor } : {}) });
    for (const event of page.hits) {
      if (met) {
        out.push(event);
      } else if (event.event.id === id) {
        met = true;
      } else if (Date.parse(event['@timestamp']) !== ts) {
        met = true;
        out.push(event);
      }
      if (out.length === count) return out;
    }
    cursor = page.cursor;
  } while (cursor);
  return out;
}

/** `around` through `get` and `search`. @throws BulwarkError BWK_BAD_PARAM as the port says. */
export async function aroundBySearch(store: Pick<LogStore, 'get' | 'search'>, req: AroundRequest): Promise<AroundResult> {
  const { before, after } = checkAroundRequest(req);
  const anchor = await store.get(req.id);
  if (!anchor) return { anchor: null, before: [], after: [] };
  const query = orAnchor(req.query, req.id);
  const [older, newer] = await Promise.all([oneSide(store, query, anchor, 'desc', before), oneSide(store, query, anchor, 'asc', after)]);
  return { anchor, before: older.reverse(), after: newer };
}
