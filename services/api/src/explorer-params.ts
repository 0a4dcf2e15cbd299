/** Query-string parameters of the explorer routes (fields, context, export, pivot), validated once with zod. */
import { z } from 'zod';
import { DEFAULT_TOP_SIZE, MAX_AROUND, MAX_TOP_SIZE } from '@bulwark/store';
import { parseTime } from './params.js';
import { CONTEXT_BY } from './context.js';

const single = <T extends z.ZodType>(schema: T) => z.preprocess((v) => (Array.isArray(v) ? v[v.length - 1] : v), schema);
const time = z.string().transform((v, ctx) => {
  const d = parseTime(v);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: 'must be ISO 8601, epoch milliseconds, or now[-+]<n><unit>' });
    return z.NEVER;
  }
  return d;
});
const count = (min: number, max: number, fallback: number) => single(z.coerce.number().int().min(min).max(max).default(fallback));
/** A field name of the query language: letters, digits, `_ @ / -`, dots, and escaped dots inside a key. */
const fieldName = z.string().min(1).max(512).regex(/^(?:[A-Za-z0-9_@/-]|\\\.)+(?:\.(?:[A-Za-z0-9_@/-]|\\\.)+)*$/, 'must be a field name such as kubernetes.pod.name');

const matching = {
  q: single(z.string().max(10_000).default('')),
  from: single(time.optional()),
  to: single(time.optional()),
};

/** Largest sample the sidebar reads: every event is parsed and flattened, so it bounds the request's CPU. */
export const MAX_FIELDS_SAMPLE = 10_000;

export const FieldsParams = z.object({ ...matching, sample: count(1, MAX_FIELDS_SAMPLE, 1000), top: count(0, 50, 5) });

/** Counted by the store over every match (`LogStore.topValues`), within the port's limits. */
export const TopValuesParams = z.object({
  ...matching,
  field: single(fieldName),
  size: count(1, MAX_TOP_SIZE, DEFAULT_TOP_SIZE),
});

export const ContextParams = z.object({
  before: count(0, MAX_AROUND, 10),
  after: count(0, MAX_AROUND, 10),
  by: single(z.enum(CONTEXT_BY).optional()),
});

export const DEFAULT_CSV_FIELDS = ['@timestamp', 'event.dataset', 'message'];

export const ExportParams = z.object({
  ...matching,
  format: single(z.enum(['ndjson', 'csv']).default('ndjson')),
  fields: single(
    z
      .string()
      .max(10_000)
      .transform((v) => v.split(',').map((f) => f.trim()).filter(Boolean))
      .pipe(z.array(fieldName).min(1, 'name at least one field').max(200))
      .optional(),
  ),
});

export const PivotParams = z.object({ field: single(fieldName), value: single(z.string().min(1).max(1024)) });
