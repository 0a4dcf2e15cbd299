/**
 * Telling a poison event from an outage (docs/ARCHITECTURE.md, "Detection never stalls"). When evaluating one event
 * throws, the correlator must choose between setting that event aside (dead-letter) so the rest of the stream is
 * evaluated, and giving the whole batch back to the bus for redelivery. Getting it wrong either way is a detection
 * failure: dead-lettering during an outage would throw away events that were fine, and redelivering a poison event
 * forever stalls the stream.
 *
 * - `infrastructure`: the store, Redis or the network failed, or a write kept conflicting — nothing about the event.
 *   The batch is redelivered at once and no event is dead-lettered.
 * - `invalid`: the data was refused deterministically (a validation error, a record the store refused, JSON that does
 *   not parse, a date out of range). Retrying cannot help; one quick retry, then the event is dead-lettered.
 * - `unknown`: anything else. Retried with back-off a few times; if it keeps failing it is dead-lettered — unless it
 *   hits every event of the batch (then it is not about any one event: treated as infrastructure, see correlator.ts).
 */
import { BulwarkError, type ErrorCode } from '@bulwark/schema';

export type FailureKind = 'infrastructure' | 'invalid' | 'unknown';

/** Where in an event's evaluation a failure happened (kept in the dead-letter record). */
export type EvaluationStage = 'parse' | 'match' | 'alert' | 'record' | 'correlate';

/** A failure while evaluating one event, with the stage and the rule involved when known. */
export class EvaluationError extends Error {
  constructor(
    readonly stage: EvaluationStage,
    readonly ruleId: string | undefined,
    override readonly cause: unknown,
  ) {
    super(`${stage}${ruleId ? ` (rule ${ruleId})` : ''}: ${messageOf(cause)}`);
    this.name = 'EvaluationError';
  }
}

/** BulwarkError codes that say "the service behind me is not answering", not "your data is wrong". */
const INFRASTRUCTURE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>(['BWK_STORE_UNAVAILABLE', 'BWK_CONFLICT', 'BWK_INTERNAL']);
/** Network and system errors (Node's `code` on socket and file errors). */
const SYSTEM_CODES = /^(E(CONN(REFUSED|RESET|ABORTED)|TIMEDOUT|PIPE|HOSTUNREACH|NETUNREACH|NOTFOUND|AI_AGAIN|ADDRINUSE|NOMEM|MFILE|NFILE|IO|NOSPC|ACCES|ROFS)|UND_ERR_.*)$/;
/** SQLite errors that are about the database, not the record (see the store's toStoreError). */
const SQLITE_UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|FULL|CANTOPEN|READONLY|PROTOCOL|CORRUPT|NOTADB|NOMEM|INTERRUPT|ABORT)/;
/** ioredis: a lost or unwritable connection, or a command that ran out of reconnection attempts. */
const REDIS_DOWN = /Connection is closed|Stream isn't writeable|max retries per request|Reached the max retries|ECONNREFUSED|READONLY|LOADING|CLUSTERDOWN|TRYAGAIN/i;

/** Classifies a failure by the errors in its cause chain (an EvaluationError, a BulwarkError's cause, …). */
export function classifyFailure(error: unknown): FailureKind {
  let unknown = false;
  for (const err of causeChain(error)) {
    const kind = classifyOne(err);
    if (kind === 'infrastructure') return kind;
    if (kind === 'invalid') return unknown ? 'unknown' : 'invalid';
    if (kind === 'unknown') unknown = true;
  }
  return 'unknown';
}

function classifyOne(err: unknown): FailureKind | 'see-cause' {
  if (err instanceof EvaluationError) return 'see-cause';
  if (err instanceof BulwarkError) {
    if (INFRASTRUCTURE_CODES.has(err.code) || err.status >= 500 || err.status === 429) return 'infrastructure';
    return 'invalid';
  }
  if (err === null || typeof err !== 'object') return 'unknown';
  const e = err as { name?: unknown; code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  const message = typeof e.message === 'string' ? e.message : '';
  if (SYSTEM_CODES.test(code) || code.startsWith('SQLITE_') && SQLITE_UNAVAILABLE.test(code)) return 'infrastructure';
  if (e.name === 'MaxRetriesPerRequestError' || (e.name === 'ReplyError' || e.name === 'Error') && REDIS_DOWN.test(message)) return 'infrastructure';
  if (/database connection is not open|correlation state for .* kept changing/.test(message)) return 'infrastructure';
  if (code.startsWith('SQLITE_')) return 'invalid'; // a constraint or a trigger refused the record
  if (e.name === 'ZodError' || err instanceof SyntaxError || err instanceof RangeError) return 'invalid';
  // `fetch failed` and friends carry the network error as their cause.
  return (err as { cause?: unknown }).cause !== undefined ? 'see-cause' : 'unknown';
}

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8 && !chain.includes(current)) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** The innermost error's code for the dead-letter record: a catalogue code, a SQLite code, or the error's name. */
export function failureCode(error: unknown): string {
  const chain = causeChain(error).filter((e) => !(e instanceof EvaluationError));
  for (const err of chain) {
    if (err instanceof BulwarkError) return err.code;
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && code !== '') return code.slice(0, 64);
  }
  const name = (chain[0] as { name?: unknown } | undefined)?.name;
  return typeof name === 'string' && name !== '' ? name.slice(0, 64) : 'Error';
}

export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return typeof error === 'string' ? error : JSON.stringify(error) ?? String(error);
}

/** Attempts an event gets before it is dead-lettered, by failure kind, and the back-off before each retry. */
export const MAX_ATTEMPTS: Record<Exclude<FailureKind, 'infrastructure'>, number> = { invalid: 2, unknown: 3 };

export function retryDelayMs(kind: FailureKind, attempt: number): number {
  return kind === 'invalid' ? 0 : 50 * 4 ** (attempt - 1);
}
