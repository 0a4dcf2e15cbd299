/**
 * Names the BullMQ adapter gives things in Redis. Kept apart so tests and operators' scripts (inspecting or
 * draining a group's queue) derive the same names as the bus.
 */

/** The queue that carries one consumer group's copy of every batch. */
export function queueNameOf(group: string): string {
  return `bus-${group}`;
}

/**
 * A batch id as a BullMQ job id. BullMQ refuses custom ids that look like integers or contain `:`, and batch ids may
 * be either (a first event seq, a `host:seq` pair); a fixed prefix plus URI-encoding (`:` → `%3A`, `%` → `%25`) maps
 * every batch id to a distinct legal job id, so deduplication by id still holds.
 */
export function jobIdOf(batchId: string): string {
  if (batchId === '') throw new TypeError('a bus batch id must not be empty');
  return `b-${encodeURIComponent(batchId)}`;
}
