/** Shared test helpers: schema conformance, a pinned clock, and field access by dotted path. */
import assert from 'node:assert/strict';
import { BulwarkError, EventSchema, type ErrorCode, type Event } from '@bulwark/schema';
import { assertSafeRecord } from '../src/index.js';

export const NOW = new Date('2024-05-01T12:00:00.000Z');
export const NOW_ISO = NOW.toISOString();

/** Every event must pass the schema the store and the API rely on. */
export function assertValidEvents(events: readonly Event[]): void {
  for (const event of events) {
    const result = EventSchema.safeParse(event);
    assert.ok(result.success, `event ${event.event?.id} fails EventSchema: ${result.success ? '' : JSON.stringify(result.error.issues)}`);
  }
}

/** `get(event, 'kubernetes.pod.name')`; a literal key with dots can be reached with an array path. */
export function get(value: unknown, path: string | readonly string[]): unknown {
  let node = value;
  for (const seg of typeof path === 'string' ? path.split('.') : path) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[seg];
  }
  return node;
}

/** Asserts that `fn` throws a BulwarkError with `code`, and returns it for further checks. */
export function assertThrowsCode(fn: () => unknown, code: ErrorCode): BulwarkError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof BulwarkError, `expected a BulwarkError, got ${String(err)}`);
    assert.equal(err.code, code, err.message);
    return err;
  }
  assert.fail(`expected ${code} to be thrown`);
}

export function ndjson(...lines: unknown[]): Buffer {
  return Buffer.from(lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n');
}

/** A 64-hex container id like the runtimes generate. */
export const CONTAINER_ID = '3f5c1d2e9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d';

/** The first problem `assertSafeRecord` finds in `record` as [code, field] (fields under `prefix`), or undefined. */
export function safetyProblemOf(record: unknown, maxDepth: number, prefix = ''): [string, string | undefined] | undefined {
  try {
    assertSafeRecord(record, maxDepth, prefix);
    return undefined;
  } catch (err) {
    const p = err as { code: string; field?: string };
    return [p.code, p.field];
  }
}
