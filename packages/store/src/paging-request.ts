/** Validation every LogStore adapter applies to a search request before translating it. */
import { BulwarkError } from '@bulwark/schema';
import type { SearchRequest, SortOrder } from './port.js';

/** Largest page a search returns. */
export const MAX_PAGE_SIZE = 10_000;

/** @throws BulwarkError BWK_BAD_PARAM naming `size` or `sort`. */
export function checkSearchRequest(req: SearchRequest): { size: number; sort: SortOrder } {
  const size = req.size;
  if (!Number.isInteger(size) || size < 1 || size > MAX_PAGE_SIZE) {
    throw new BulwarkError('BWK_BAD_PARAM', `size must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${size}`, { param: 'size' });
  }
  const sort: SortOrder = req.sort ?? 'desc';
  if (sort !== 'asc' && sort !== 'desc') {
    throw new BulwarkError('BWK_BAD_PARAM', `sort must be 'asc' or 'desc', got '${String(sort)}'`, { param: 'sort' });
  }
  return { size, sort };
}
