/** Validation of the explorer's requests (top values, around) before any block is read. */
import { BulwarkError } from '@bulwark/schema';
import type { AroundRequest, TopValuesRequest } from '../port.js';
import { checkField } from './compile.js';

export const MAX_TOP_FIELDS = 50;
export const MAX_TOP_SIZE = 100;
export const MAX_AROUND = 1000;

export function checkTopValues(req: TopValuesRequest): { fields: Array<{ field: string; keys: string[] }>; size: number } {
  if (!Array.isArray(req.fields) || req.fields.length < 1 || req.fields.length > MAX_TOP_FIELDS) {
    throw new BulwarkError('BWK_BAD_PARAM', `fields must name 1 to ${MAX_TOP_FIELDS} fields`, { param: 'fields' });
  }
  const size = req.size ?? 10;
  if (!Number.isInteger(size) || size < 1 || size > MAX_TOP_SIZE) {
    throw new BulwarkError('BWK_BAD_PARAM', `size must be an integer from 1 to ${MAX_TOP_SIZE}, got ${size}`, { param: 'size' });
  }
  const fields = req.fields.map((field) => {
    try {
      return { field, keys: checkField(field) };
    } catch {
      throw new BulwarkError('BWK_BAD_PARAM', `invalid field name '${field}'`, { param: 'fields', field });
    }
  });
  return { fields, size };
}

export function checkAround(req: AroundRequest): void {
  for (const param of ['before', 'after'] as const) {
    const n = req[param];
    if (!Number.isInteger(n) || n < 0 || n > MAX_AROUND) {
      throw new BulwarkError('BWK_BAD_PARAM', `${param} must be an integer from 0 to ${MAX_AROUND}, got ${n}`, { param });
    }
  }
  if (typeof req.id !== 'string' || req.id === '') throw new BulwarkError('BWK_BAD_PARAM', 'id must be a non-empty event id', { param: 'id' });
}
