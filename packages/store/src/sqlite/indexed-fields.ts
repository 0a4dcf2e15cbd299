/**
 * What schema v5 of the row layout indexed by value (table `event_keys`), kept only because a released migration
 * (sqlite/schema.ts) must stay as it ran: the block layout (v6, blocks/) reads none of it, and opening a v5 file moves
 * its events into blocks and drops `event_keys` (blocks/legacy.ts).
 */
export const INDEXED_FIELDS = ['kubernetes.pod.name', 'kubernetes.pod.uid', 'container.id', 'user.name', 'source.ip', 'host.name'] as const;

/** The migration filling `event_keys` for the events stored before it, the same keys `eventKeys` gives. */
export function backfillKeysSql(): string {
  return INDEXED_FIELDS.map(
    (field, f) =>
      `INSERT OR IGNORE INTO event_keys (field, value, seq) SELECT ${f}, CASE WHEN j.type = 'text' THEN j.value ELSE char(0) END, e.seq ` +
      `FROM events e, json_each(e.doc, '$${field.split('.').map((k) => `."${k}"`).join('')}') j ` +
      `WHERE typeof(j.key) <> 'text' AND j.type IN ('text', 'integer', 'real', 'true', 'false');`,
  ).join('\n');
}
