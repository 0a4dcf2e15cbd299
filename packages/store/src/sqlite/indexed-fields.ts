/**
 * The event fields the embedded store indexes by value (schema v5, table `event_keys`): the entity fields an
 * investigator filters on with one rare value — "this pod", "this user", "this address" — which the explorer's context
 * and pivots query. Other fields are read from each event's JSON document in turn (SEARCH.md, "How the SQLite store
 * runs a query"): fast for common values, as a page fills after a few hundred events, but about 1 s per 40,000
 * events read for a rare one (bench/RESULTS.md, "explorer").
 *
 * The keys are taken here, in JavaScript, from the event being serialised: expression indexes on `json_extract`
 * were measured first and cost 35% of the insert rate for one field and about 55% for these six (SQLite parses the
 * document once per index); a key row costs one B-tree insert. A field's number is its position in the list: append
 * only, and a new field needs a migration that fills its keys for the events already stored.
 */
export const INDEXED_FIELDS = ['kubernetes.pod.name', 'kubernetes.pod.uid', 'container.id', 'user.name', 'source.ip', 'host.name'] as const;

/**
 * The key of a number or boolean: one marker for all, which every lookup also asks for. These fields hold text, so
 * such values are rare; the exact test after the lookup decides, as it must for `5` = `5.0`.
 */
export const NON_TEXT_KEY = '\u0000';

const NUMBERS = new Map<string, number>(INDEXED_FIELDS.map((field, i) => [field, i]));
const PATHS = INDEXED_FIELDS.map((field) => field.split('.'));

/** The field's number in `event_keys`, or undefined when it is not indexed. */
export const indexedFieldNumber = (field: string): number | undefined => NUMBERS.get(field);

/**
 * `[field number, key]` for every scalar at an indexed field of the event: the value itself, or each scalar element
 * of an array there (what `json_each` on the field's path yields, which the query then tests exactly).
 */
export function eventKeys(event: unknown): Array<[number, string]> {
  const keys: Array<[number, string]> = [];
  for (let f = 0; f < PATHS.length; f++) {
    let at: unknown = event;
    for (const key of PATHS[f]!) {
      at = at !== null && typeof at === 'object' && !Array.isArray(at) ? (at as Record<string, unknown>)[key] : undefined;
      if (at === undefined) break;
    }
    if (at === undefined || at === null) continue;
    for (const value of Array.isArray(at) ? at : [at]) {
      if (typeof value === 'string') keys.push([f, value]);
      else if (typeof value === 'number' || typeof value === 'boolean') keys.push([f, NON_TEXT_KEY]);
    }
  }
  return keys;
}

/** The migration filling `event_keys` for the events stored before it, the same keys `eventKeys` gives. */
export function backfillKeysSql(): string {
  return INDEXED_FIELDS.map(
    (field, f) =>
      `INSERT OR IGNORE INTO event_keys (field, value, seq) SELECT ${f}, CASE WHEN j.type = 'text' THEN j.value ELSE char(0) END, e.seq ` +
      `FROM events e, json_each(e.doc, '$${field.split('.').map((k) => `."${k}"`).join('')}') j ` +
      `WHERE typeof(j.key) <> 'text' AND j.type IN ('text', 'integer', 'real', 'true', 'false');`,
  ).join('\n');
}
