/**
 * The dead-letter (docs/ARCHITECTURE.md, "Detection never stalls"): events the correlator could not evaluate after its bounded retries, set aside
 * in the case store's `deadletter` collection with the reason, so the rest of their batch is evaluated and an
 * operator can see — `GET /v1/dead-letter` — what detection did not look at, and why.
 *
 * Record ids are deterministic (event id + a hash of the reason): a batch redelivered after the dead-letter write
 * writes nothing twice, and the same event failing for another reason later gets a record of its own. The record
 * keeps a bounded excerpt of the event, never the whole (possibly huge, possibly hostile) document.
 */
import { createHash } from 'node:crypto';
import type { CaseStore } from '@bulwark/store';
import { EvaluationError, failureCode, messageOf, type EvaluationStage, type FailureKind } from './failures.js';

/** Characters of the event's JSON kept in the record, and of the failure's message. */
export const EXCERPT_CHARS = 2048;
export const REASON_CHARS = 1024;

export interface DeadLetterRecord {
  id: string;
  event_id: string;
  batch_id: string;
  /** The rule (or correlation) being evaluated or recorded when it failed, when known. */
  rule_id?: string;
  stage: EvaluationStage | 'unknown';
  /** A catalogue code (`BWK_…`), a driver code (`SQLITE_CONSTRAINT_TRIGGER`) or the error's name. */
  code: string;
  kind: Exclude<FailureKind, 'infrastructure'>;
  reason: string;
  attempts: number;
  /** When it was dead-lettered (ISO 8601). */
  at: string;
  dataset: string;
  /** The first characters of the stored event's JSON. */
  event_excerpt: string;
  event_truncated: boolean;
}

export interface FailedEvent {
  event: { id: string; dataset: string | null; doc: string };
  error: unknown;
  kind: Exclude<FailureKind, 'infrastructure'>;
  attempts: number;
}

/** Cuts a string to `max` characters without leaving half a surrogate pair at the end. */
function cut(text: string, max: number): string {
  if (text.length <= max) return text;
  const end = /[\uD800-\uDBFF]/.test(text[max - 1]!) ? max - 1 : max;
  return text.slice(0, end);
}

export function deadLetterRecord(failed: FailedEvent, batchId: string, now: Date): DeadLetterRecord {
  const { event, error } = failed;
  const stage = error instanceof EvaluationError ? error.stage : 'unknown';
  const ruleId = error instanceof EvaluationError ? error.ruleId : undefined;
  const code = failureCode(error);
  const reason = cut(messageOf(error), REASON_CHARS);
  const reasonHash = createHash('sha256').update(`${stage}\u0000${ruleId ?? ''}\u0000${code}\u0000${reason}`).digest('hex').slice(0, 16);
  const id = `dl-${createHash('sha256').update(`${event.id}\u0000${reasonHash}`).digest('hex').slice(0, 40)}`;
  return {
    id,
    event_id: event.id,
    batch_id: cut(batchId, 256),
    ...(ruleId !== undefined ? { rule_id: cut(ruleId, 256) } : {}),
    stage,
    code,
    kind: failed.kind,
    reason,
    attempts: failed.attempts,
    at: now.toISOString(),
    dataset: cut(event.dataset ?? '', 256),
    event_excerpt: cut(event.doc, EXCERPT_CHARS),
    event_truncated: event.doc.length > EXCERPT_CHARS,
  };
}

/** Writes the records (idempotent on their ids); throws when the store cannot take them, so the batch is redelivered. */
export async function writeDeadLetters(store: CaseStore, failed: readonly FailedEvent[], batchId: string, now = new Date()): Promise<DeadLetterRecord[]> {
  const records = failed.map((f) => deadLetterRecord(f, batchId, now));
  for (const record of records) await store.create('deadletter', record, { ifAbsent: true });
  return records;
}
