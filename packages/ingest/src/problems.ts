/**
 * How decoders signal the failure of one record: they throw a `RecordProblem` deep inside the mapping code and the
 * per-record loop turns it into a `RecordError`. Anything else a crafted input provokes (a RangeError from deep
 * recursion, a bug) is converted too, so a decoder never throws anything but `BulwarkError`.
 */
import { BulwarkError, type ErrorCode, type RecordError } from '@bulwark/schema';

export class RecordProblem extends Error {
  readonly code: ErrorCode;
  readonly field: string | undefined;

  constructor(code: ErrorCode, message: string, field?: string) {
    super(message);
    this.name = 'RecordProblem';
    this.code = code;
    this.field = field;
  }
}

/** A BAD_FIELD problem for `field`; the message names the field and what was wrong with it. */
export function badField(field: string, problem: string): RecordProblem {
  return new RecordProblem('BWK_INGEST_BAD_FIELD', `${field} ${problem}`, field);
}

/** Describes a JSON value's type the way a sender thinks of it (`array`, `null`, not `object`). */
export function jsonType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

/** `items[3].` + `auditID` → `items[3].auditID`; an empty field names the record itself (`items[3]`). */
function joinField(prefix: string, field: string | undefined): string | undefined {
  if (field) return prefix + field;
  const self = prefix.replace(/\.$/, '');
  return self === '' ? undefined : self;
}

/** Converts whatever one record's decoding threw into the record's error; `fieldPrefix` locates the record. */
export function toRecordError(index: number, err: unknown, fieldPrefix = ''): RecordError {
  if (err instanceof RecordProblem) {
    const field = joinField(fieldPrefix, err.field);
    return field === undefined ? { index, code: err.code, message: err.message } : { index, code: err.code, message: err.message, field };
  }
  if (err instanceof BulwarkError) return { index, code: err.code, message: err.message };
  if (isStackOverflow(err)) return { index, code: 'BWK_INGEST_TOO_DEEP', message: 'the record nests too deeply to process' };
  return { index, code: 'BWK_INTERNAL', message: `unexpected error while decoding: ${(err as Error)?.message ?? String(err)}` };
}

/**
 * Runs a whole-body decoder so that only `BulwarkError` escapes: problems of the body as a whole become the
 * catalogue code they deserve, a stack overflow from a crafted body becomes TOO_DEEP, anything else BWK_INTERNAL.
 */
export function guardBody<T>(decode: () => T): T {
  try {
    return decode();
  } catch (err) {
    if (err instanceof BulwarkError) throw err;
    if (err instanceof RecordProblem) throw new BulwarkError(err.code, err.message, err.field ? { field: err.field } : undefined);
    if (isStackOverflow(err)) throw new BulwarkError('BWK_INGEST_TOO_DEEP', 'the body nests too deeply to process');
    throw new BulwarkError('BWK_INTERNAL', `unexpected error while decoding: ${(err as Error)?.message ?? String(err)}`);
  }
}
