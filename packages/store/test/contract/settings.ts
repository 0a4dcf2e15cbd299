/**
 * Which configuration a contract suite ran on, read from the adapter it was handed, beside the configuration the
 * product opens that adapter with (packages/runtime/src/stores.ts). Each suite prints this line before its cases, so
 * its output says plainly what passed; why a difference does or does not matter is in each suite's header.
 *
 * The settings in question change durability or visibility timing, never the answers a port gives once a write has
 * returned and is visible: SQLite's `synchronous` decides what survives a power cut (no suite can cut power), and a
 * search engine's `refresh` decides when a write becomes searchable.
 */
import { CaseTokenStore, SearchCaseStore, SearchLogStore, SqliteCaseStore, BlockLogStore, SqliteTokenStore } from '../../src/index.js';

/** What the runtime opens each adapter with, in the default configuration. */
export const PRODUCT_SETTINGS = {
  sqliteLog: 'synchronous FULL (store.synchronous), writer thread (store.writer)',
  sqliteCase: "synchronous NORMAL on the correlator's connection (alerts, incidents), FULL (store.synchronous) for people's changes",
  sqliteToken: 'synchronous FULL',
  searchLog: 'refresh=false (store.refresh), refresh_interval 1s: an append returns once durable, searchable within 1 s',
  searchCase: 'refresh=true on every write, the engine-default refresh_interval',
  caseToken: 'on the search-engine case store with refresh=true (scale mode) or the SQLite case store',
} as const;

const SYNCHRONOUS = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

/** The adapters keep their constructor options private; they are read here only to report them. */
const optionsOf = (store: object): Record<string, unknown> => (store as { options?: Record<string, unknown> }).options ?? {};

/** `synchronous` of a SQLite connection as it is, or as the options ask (FULL when not given, as openDatabase does). */
function synchronousOf(options: Record<string, unknown>): string {
  const db = options.db as { pragma(sql: string, o: { simple: true }): unknown } | undefined;
  if (db) return SYNCHRONOUS[Number(db.pragma('synchronous', { simple: true }))] ?? 'unknown';
  return String(options.synchronous ?? 'FULL');
}

/** What an adapter was configured with, and what the product configures it with. */
function describeStore(store: object): { ran: string; product: string } {
  const options = optionsOf(store);
  if (store instanceof BlockLogStore) {
    const sync = SYNCHRONOUS[Number(store.database.pragma('synchronous', { simple: true }))] ?? 'unknown';
    return { ran: `synchronous ${sync}, writer ${String(options.writer ?? 'inline')}`, product: PRODUCT_SETTINGS.sqliteLog };
  }
  if (store instanceof SqliteCaseStore) return { ran: `synchronous ${synchronousOf(options)}`, product: PRODUCT_SETTINGS.sqliteCase };
  if (store instanceof SqliteTokenStore) return { ran: `synchronous ${synchronousOf(options)}`, product: PRODUCT_SETTINGS.sqliteToken };
  if (store instanceof SearchLogStore) {
    return { ran: `refresh=${String(options.refresh ?? 'wait_for')}, refresh_interval ${String(options.refreshInterval ?? '1s')}`, product: PRODUCT_SETTINGS.searchLog };
  }
  if (store instanceof SearchCaseStore) {
    return { ran: `refresh=${String(options.refresh ?? 'wait_for')}, refresh_interval ${String(options.refreshInterval ?? 'engine default')}`, product: PRODUCT_SETTINGS.searchCase };
  }
  if (store instanceof CaseTokenStore) {
    const inner = (store as unknown as { cases: object }).cases;
    return { ran: `a ${inner.constructor.name} with ${describeStore(inner).ran}`, product: PRODUCT_SETTINGS.caseToken };
  }
  return { ran: `${store.constructor.name} (settings unknown to this report)`, product: 'unknown' };
}

/** "ran with …; the product: …" for a store the suite was handed (after `init()` for SQLite log stores). */
export function settingsOf(store: object): string {
  const { ran, product } = describeStore(store);
  return `ran with ${ran}; the product: ${product}`;
}
