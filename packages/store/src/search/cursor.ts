/**
 * The page cursor of the search-engine store: where the last page ended, as the sort values `search_after` needs —
 * `(@timestamp, bulwark_seq, event.id)` — plus, while the pagination is running, the point-in-time id that keeps it
 * on one consistent snapshot. Same shape and rules as the SQLite cursor (`sqlite/rows.ts`): base64url JSON with a
 * checksum over the position, the PIT id, the query and the sort, so an edited cursor or one replayed against another
 * query or sort is refused with `BWK_BAD_PARAM {param:'cursor'}` instead of paging wrongly.
 *
 * Why the id: `bulwark_seq` is an arrival number assigned per process (see `log-store.ts`); two collectors can assign
 * the same one, so the id makes the sort key unique and `search_after` exact. Why the PIT id may be missing: the
 * cursor stays valid without it (keyset position alone), which is what happens after the PIT expired or when the
 * PIT id is too long to carry (many backing indices; see {@link MAX_CURSOR_LENGTH}).
 */
import { createHash } from 'node:crypto';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { BulwarkError } from '@bulwark/schema';

export interface PagePosition {
  /** `@timestamp`, epoch milliseconds. */
  ts: number;
  /** `bulwark_seq`. */
  seq: number;
  /** `event.id`. */
  id: string;
}

export interface SearchCursor extends PagePosition {
  /** Point-in-time id, while one is open for this pagination. */
  pit?: string;
}

/**
 * Cursors travel in URLs (proxies commonly cap a request line at 8 KiB); a cursor whose PIT id would make it longer is
 * issued without one. PIT ids grow with the number of shards searched (~170 characters per shard); packed (below)
 * that is ~45, so a PIT fits for up to about 150 shards.
 */
export const MAX_CURSOR_LENGTH = 7000;

/** `<base64url JSON {t,s,i,c}>` or, with a PIT, `<that>.<packed PIT id>`. */
export function encodeSearchCursor(cursor: SearchCursor, fingerprint: string): string {
  const body = { t: cursor.ts, s: cursor.seq, i: cursor.id, c: checksum(cursor, fingerprint) };
  const head = Buffer.from(JSON.stringify(body)).toString('base64url');
  return cursor.pit ? `${head}.${packPit(cursor.pit)}` : head;
}

/** @throws BulwarkError `BWK_BAD_PARAM` `{param:'cursor'}` when the cursor is not one we issued for this search. */
export function decodeSearchCursor(text: string, fingerprint: string): SearchCursor {
  const bad = (why: string) =>
    new BulwarkError('BWK_BAD_PARAM', `invalid cursor: ${why}; start again without a cursor`, { param: 'cursor' });
  if (text.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)?$/.test(text)) {
    throw bad('not a cursor this store issued');
  }
  const [head, packed] = text.split('.');
  let body: unknown;
  let pit: string | undefined;
  try {
    body = JSON.parse(Buffer.from(head!, 'base64url').toString('utf8'));
    pit = packed === undefined ? undefined : unpackPit(packed);
  } catch {
    throw bad('not a cursor this store issued');
  }
  const { t, s, i, c } = (body ?? {}) as { t?: unknown; s?: unknown; i?: unknown; c?: unknown };
  if (!Number.isSafeInteger(t) || !Number.isSafeInteger(s) || typeof i !== 'string' || typeof c !== 'string' || pit === '') {
    throw bad('not a cursor this store issued');
  }
  const cursor: SearchCursor = { ts: t as number, seq: s as number, id: i, ...(pit ? { pit } : {}) };
  if (c !== checksum(cursor, fingerprint)) throw bad('it was altered or belongs to a different query or sort');
  return cursor;
}

/**
 * A PIT id, compressed: engines issue base64 (URL-safe on both) of a binary blob full of repeated index names and
 * node ids, so we deflate the decoded bytes (4x smaller) when re-encoding them gives back the exact id, else the text.
 */
function packPit(pit: string): string {
  const bytes = Buffer.from(pit, 'base64');
  const padded = (b64: string) => b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const mode = padded(bytes.toString('base64url')) === pit ? 'u' : bytes.toString('base64') === pit ? 's' : 't';
  const raw = mode === 't' ? Buffer.from(pit, 'utf8') : bytes;
  return mode + deflateRawSync(raw).toString('base64url');
}

function unpackPit(packed: string): string {
  const raw = inflateRawSync(Buffer.from(packed.slice(1), 'base64url'), { maxOutputLength: 1 << 20 });
  const mode = packed.charAt(0);
  if (mode === 't') return raw.toString('utf8');
  if (mode === 's') return raw.toString('base64');
  if (mode === 'u') {
    const b64 = raw.toString('base64url');
    return b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  }
  throw new Error('unknown PIT packing');
}

function checksum(cursor: SearchCursor, fingerprint: string): string {
  return createHash('sha256')
    .update(JSON.stringify([cursor.ts, cursor.seq, cursor.id, cursor.pit ?? null, fingerprint]))
    .digest('base64url')
    .slice(0, 16);
}
