/**
 * Indexed filters for the SQLite CaseStore. Records are kept whole as JSON, so a filter read through `json_each`
 * visits every record of the collection; the case service filters several times per recorded alert (its replay
 * check, its suppressor, the incident of an entity), which made an alert storm quadratic. Declared fields are
 * therefore also kept in a side table, `case_index (collection, field, value, id)`, one row per string value (each
 * element of an array field), and a filter on such a field reads the rows of that value instead of the collection.
 *
 * The side table is maintained by triggers on `case_records`, generated from {@link CASE_INDEXED_FIELDS}, so it can
 * never drift from the records — not even under raw SQL — and every adapter write stays one statement. An update
 * touches the index only for fields whose value changed, and then only by the difference (values gone are deleted,
 * new ones inserted). The values are extracted with the same `json_each` the unindexed filter uses, so an indexed
 * and an unindexed filter match exactly the same records. When the declared fields change, `ensureCaseIndex`
 * (run by `init`, in the migration transaction) replaces the triggers and rebuilds the table from the records.
 */
import { createHash } from 'node:crypto';
import { BulwarkError } from '@bulwark/schema';
import type { CaseCollection } from '../case-port.js';
import type { SqliteDatabase } from './schema.js';

/**
 * Per collection, the fields whose string values are indexed, most selective first: when a query filters on several,
 * the first one listed drives the lookup and the others are checked on the records it yields. Fields that hold one
 * of a few values (`status`) come last, as they narrow little.
 */
export const CASE_INDEXED_FIELDS: Readonly<Record<CaseCollection, readonly string[]>> = {
  alerts: ['suppressed_ids', 'suppression_key', 'incident_id', 'group_key', 'rule.id', 'entity.value', 'source', 'status'],
  incidents: ['entity_key', 'merged_into', 'assignee', 'tags', 'status'],
  runs: ['trigger.incident_id', 'playbook', 'status'],
  audit: ['target_id', 'incident_id', 'alert_id', 'run_id'],
  tokens: ['name'],
  deadletter: ['event_id', 'rule_id', 'batch_id', 'code'],
  searches: ['owner'],
  sources: ['token_id', 'route'],
};

/** The migration that adds the side table (appended to the case migrations). */
export const CASE_INDEX_TABLE = `
  CREATE TABLE case_index (
    collection TEXT NOT NULL,
    field      TEXT NOT NULL,
    value      TEXT NOT NULL,
    id         TEXT NOT NULL,
    PRIMARY KEY (collection, field, value, id)
  ) STRICT, WITHOUT ROWID;
  CREATE INDEX case_index_by_record ON case_index (collection, id, field);
`;

/** `rule.id` → `$."rule"."id"`; safe to embed only because field paths are restricted (no quotes) by `checkQuery`. */
export function jsonPath(field: string): string {
  return '$' + field.split('.').map((segment) => `."${segment}"`).join('');
}

/** Identifiers and literals below embed only the constant names above; this guards a future careless entry. */
function literal(value: string): string {
  if (!/^[A-Za-z0-9_@.-]+$/.test(value)) throw new BulwarkError('BWK_INTERNAL', `not an indexable name: ${value}`, { value });
  return `'${value}'`;
}

/** Adds the string values of `field` in the new record; `only` limits it to one collection (for rekeyed rows). */
function insertValues(field: string, only?: string): string {
  const collection = only === undefined ? '' : `NEW.collection = ${literal(only)} AND `;
  return (
    `INSERT OR IGNORE INTO case_index (collection, field, value, id) ` +
    `SELECT NEW.collection, ${literal(field)}, atom, NEW.id FROM json_each(NEW.doc, '${jsonPath(field)}') WHERE ${collection}type = 'text';`
  );
}

/** The trigger statements for the declared fields; their hash tells `ensureCaseIndex` when to rebuild. */
export function caseIndexTriggers(): string[] {
  const triggers: string[] = [
    `CREATE TRIGGER case_ix_delete AFTER DELETE ON case_records BEGIN
       DELETE FROM case_index WHERE collection = OLD.collection AND id = OLD.id;
     END;`,
    // A raw UPDATE could move a record to another id or collection; its rows are then rebuilt from scratch.
    `CREATE TRIGGER case_ix_rekey AFTER UPDATE OF collection, id ON case_records
     WHEN OLD.collection IS NOT NEW.collection OR OLD.id IS NOT NEW.id BEGIN
       DELETE FROM case_index WHERE collection = OLD.collection AND id = OLD.id;
       ${Object.entries(CASE_INDEXED_FIELDS)
         .flatMap(([collection, fields]) => fields.map((f) => insertValues(f, collection)))
         .join('\n       ')}
     END;`,
  ];
  for (const [collection, fields] of Object.entries(CASE_INDEXED_FIELDS)) {
    triggers.push(
      `CREATE TRIGGER case_ix_insert_${collection} AFTER INSERT ON case_records WHEN NEW.collection = ${literal(collection)} BEGIN
         ${fields.map((f) => insertValues(f)).join('\n         ')}
       END;`,
    );
    fields.forEach((field, n) => {
      const path = `'${jsonPath(field)}'`;
      triggers.push(
        `CREATE TRIGGER case_ix_update_${collection}_${n} AFTER UPDATE OF doc ON case_records
         WHEN NEW.collection = ${literal(collection)} AND OLD.collection = NEW.collection AND OLD.id = NEW.id
           AND json_extract(OLD.doc, ${path}) IS NOT json_extract(NEW.doc, ${path}) BEGIN
           DELETE FROM case_index WHERE collection = NEW.collection AND id = NEW.id AND field = ${literal(field)}
             AND value NOT IN (SELECT atom FROM json_each(NEW.doc, ${path}) WHERE type = 'text');
           ${insertValues(field)}
         END;`,
      );
    });
  }
  return triggers;
}

/** A number identifying the trigger set (case_schema stores integers). */
export function caseIndexLayout(): number {
  return parseInt(createHash('sha256').update(caseIndexTriggers().join('\n')).digest('hex').slice(0, 12), 16);
}

/**
 * Inside the migration transaction: when the stored layout differs from this code's, replace the triggers and
 * rebuild the side table from the records. A no-op (one read) on every other start.
 */
export function ensureCaseIndex(db: SqliteDatabase): void {
  const layout = caseIndexLayout();
  const stored = db.prepare("SELECT value FROM case_schema WHERE key = 'index_layout'").pluck().get() as number | undefined;
  if (stored === layout) return;
  const old = db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'case\\_ix\\_%' ESCAPE '\\'").pluck().all() as string[];
  for (const name of old) db.exec(`DROP TRIGGER "${name}"`);
  db.exec('DELETE FROM case_index');
  for (const [collection, fields] of Object.entries(CASE_INDEXED_FIELDS)) {
    for (const field of fields) {
      db.prepare(
        `INSERT OR IGNORE INTO case_index (collection, field, value, id)
         SELECT r.collection, ?, j.atom, r.id FROM case_records r, json_each(r.doc, '${jsonPath(field)}') j
         WHERE r.collection = ? AND j.type = 'text'`,
      ).run(field, collection);
    }
  }
  for (const sql of caseIndexTriggers()) db.exec(sql);
  db.prepare("INSERT INTO case_schema (key, value) VALUES ('index_layout', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(layout);
}

/**
 * The filter entry a query should drive its lookup with: the first declared field of the collection that the query
 * filters on with strings (the side table holds string values only; a number or boolean filter reads the record).
 */
export function drivingFilter(
  collection: CaseCollection,
  filter: ReadonlyArray<readonly [string, unknown]>,
): { field: string; values: string[] } | null {
  for (const field of CASE_INDEXED_FIELDS[collection]) {
    const entry = filter.find(([f]) => f === field);
    if (!entry) continue;
    const value = entry[1];
    if (typeof value === 'string') return { field, values: [value] };
    if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return { field, values: value as string[] };
  }
  return null;
}
