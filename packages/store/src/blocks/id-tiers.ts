/**
 * The merged keys of the event-id set, in tiers of growing size (docs/ARCHITECTURE.md, "The embedded log store").
 *
 * Why tiers: keys are hashes, so a merge of a quarter of a million sorted keys into one B-tree of N keys rewrites
 * nearly every leaf page of it: measured on this engine, 70 ms at 250,000 stored keys, 650 ms at 8 million, 1.2 s at
 * 16 million — a stall of the writer and ~1 KB written per event, both growing with the store without bound. Here the
 * writer's pending keys merge into the first tier only, and a tier that outgrows its cap is moved into the next, ×8
 * larger, in ranges of keys (one transaction each, between appends), as log-structured stores merge their runs: a
 * merge or a move step touches a bounded slice of one tier whatever the size of the store, and every key is written
 * once per tier it passes through.
 *
 * A key is in exactly one tier at every commit (a move step copies a range and deletes it in one transaction), and
 * lookups ask every tier, so a move interrupted anywhere (a crash, another connection) leaves a correct set; the move
 * simply starts over from the smallest key when the tier is next over its cap. Each tier's key count is kept in
 * `store_state` beside the keys, in the same transactions, so deciding to move costs no count over a big table.
 *
 * Dropping a block (retention, compaction) leaves its keys where they are, stale: deleting them one by one touched a
 * random page of a big tier per event (measured 14 µs per dropped event at 8M keys, more than the writer's whole
 * append), and a stale key is only a hint that its block, gone, no longer confirms. Moves copy only keys whose block
 * still exists, and once stale keys are as many as live ones every tier is swept of them in steps like a move's, so
 * they cost at most as much disk as the live keys and a bounded rewrite per dropped event.
 */
import type Database from 'better-sqlite3';
import type { SqliteDatabase } from '../sqlite/schema.js';

/** The tiers' tables, first (newest keys) to last. */
export const ID_TIERS = ['event_ids', 'event_ids_2', 'event_ids_3', 'event_ids_4'] as const;

/** Keys a tier may hold before it is moved into the next (the last is unbounded): each eight times the one before. */
export const TIER_CAPS: readonly number[] = [2_000_000, 16_000_000, 128_000_000, Infinity];

/** Keys moved per step (one transaction): a slice of the next tier of at most ~8× as many keys is rewritten. */
export const MOVE_STEP = 250_000;

type Statement<P extends unknown[] = unknown[], R = unknown> = Database.Statement<P, R>;

/** The `store_state` row counting a tier's keys. */
const tierCountName = (tier: number): string => `id_keys_${tier + 1}`;

/**
 * Every tier's key/block pairs for a batch of keys given as a JSON array, a statement per tier that holds any key: the
 * array is parsed once per statement (~0.3 ms for 1,000 keys), so empty tiers (all but the first, below 2M stored
 * events) are asked nothing. Emptiness is read from the table, not the kept counts: a wrong count must never hide a key.
 */
export function keysInTiers(db: SqliteDatabase): (keys: string) => Array<{ key: number; block: number }> {
  const tiers = ID_TIERS.map((table) => ({
    any: db.prepare<[], number>(`SELECT EXISTS (SELECT 1 FROM ${table})`).pluck(),
    select: db.prepare<[string], { key: number; block: number }>(`SELECT key, block FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`),
  }));
  return (keys) => {
    const found: Array<{ key: number; block: number }> = [];
    for (const { any, select } of tiers) if (any.get()) for (const row of select.iterate(keys)) found.push(row);
    return found;
  };
}

/** The blocks every tier names for one key. */
export function blocksOfKey(db: SqliteDatabase): Statement<[{ key: number }], { block: number }> {
  return db.prepare(ID_TIERS.map((table) => `SELECT block FROM ${table} WHERE key = @key`).join(' UNION ALL '));
}

/**
 * Share of the writer's time move steps may take (after a step of t ms, none for t × (1/share − 1) ms): a deep tier's
 * move is hundreds of steps, which must not take turns with every append. The first tier still drains ~4× faster than
 * a busy collector fills it (a step of 250,000 keys takes ~0.1–0.3 s).
 */
export const MOVE_SHARE = 0.2;

/** Tier sizes other than the defaults (tests, to move keys between tiers within a test). */
export interface TierOptions {
  caps?: readonly number[];
  step?: number;
  /** `MOVE_SHARE`; 1 lets every call take a step. */
  share?: number;
}

/** The `store_state` row counting stale keys: keys of dropped blocks still in some tier. */
const STALE_COUNT = 'id_keys_stale';

/**
 * Counts `n` more keys stale (negative: fewer, never below 0), inside the caller's transaction: all a deleter of
 * blocks needs of the tiers.
 */
export function staleCounter(db: SqliteDatabase): (n: number) => void {
  const add = db.prepare(`UPDATE store_state SET value = max(0, value + ?) WHERE name = '${STALE_COUNT}'`);
  return (n) => {
    if (n !== 0) add.run(n);
  };
}

/** One tier's statements over a range of keys [from, end). */
interface TierSteps {
  /** The first key past a step's range from `from`; none when the rest of the tier fits in one step. */
  rangeEnd: Statement<[number, number], number>;
  /** The range's keys whose block still exists, into the next tier (none for the last tier). */
  copy: Statement<[number, number]> | null;
  drop: Statement<[number, number]>;
  /** The range's keys whose block is gone. */
  purge: Statement<[number, number]>;
}

/** Keys are non-negative and below 2^53: a range ending here takes the rest of a tier. */
const END_OF_KEYS = Number.MAX_SAFE_INTEGER + 1;

/** The tiers of one connection: counts, stale keys, and moving an over-full tier into the next. */
export class IdTiers {
  private readonly readCount: Statement<[string], number>;
  private readonly addCount: Statement<[number, string]>;
  private readonly addStale: (n: number) => void;
  private readonly steps: TierSteps[];
  private readonly moveStep: Database.Transaction<() => boolean>;
  /**
   * Per tier, the smallest key not moved yet while its move is under way, else -1 (this connection's: lost on reopen,
   * and the move then starts over).
   */
  private readonly cursors: number[];
  /** While stale keys are swept: the tier, the smallest key not swept yet, the stale count at the start, keys purged. */
  private sweep: { tier: number; from: number; counted: number; purged: number } | null = null;
  /** No move step before this time (`MOVE_SHARE`). */
  private restUntil = 0;
  private readonly caps: readonly number[];
  private readonly step: number;
  private readonly share: number;

  constructor(db: SqliteDatabase, options: TierOptions = {}) {
    this.caps = options.caps ?? TIER_CAPS;
    this.step = options.step ?? MOVE_STEP;
    this.share = options.share ?? MOVE_SHARE;
    this.cursors = ID_TIERS.map(() => -1);
    this.readCount = db.prepare<[string], number>('SELECT value FROM store_state WHERE name = ?').pluck();
    this.addCount = db.prepare('UPDATE store_state SET value = value + ? WHERE name = ?');
    this.addStale = staleCounter(db);
    const live = 'block IN (SELECT id FROM blocks)';
    this.steps = ID_TIERS.map((table, tier) => ({
      rangeEnd: db.prepare<[number, number], number>(`SELECT key FROM ${table} WHERE key >= ? ORDER BY key LIMIT 1 OFFSET ?`).pluck(),
      copy:
        tier + 1 < ID_TIERS.length
          ? db.prepare(`INSERT OR IGNORE INTO ${ID_TIERS[tier + 1]} (key, block) SELECT key, block FROM ${table} WHERE key >= ? AND key < ? AND ${live} ORDER BY key`)
          : null,
      drop: db.prepare(`DELETE FROM ${table} WHERE key >= ? AND key < ?`),
      purge: db.prepare(`DELETE FROM ${table} WHERE key >= ? AND key < ? AND NOT ${live}`),
    }));
    this.moveStep = db.transaction(() => this.moveInTransaction());
  }

  /** Keys per tier, as committed. */
  counts(): number[] {
    return ID_TIERS.map((_, tier) => this.readCount.get(tierCountName(tier)) ?? 0);
  }

  /** Count `n` keys added to (negative: removed from) `tier`; inside the caller's transaction. */
  added(tier: number, n: number): void {
    if (n !== 0) this.addCount.run(n, tierCountName(tier));
  }

  /** Stale keys: those of dropped blocks, left in their tiers. */
  stale(): number {
    return this.readCount.get(STALE_COUNT) ?? 0;
  }

  /** A dropped block's `n` keys are stale now (retention, compaction); inside the caller's transaction. */
  forgotten(n: number): void {
    this.addStale(n);
  }

  /**
   * One move step when a tier is over its cap or its move is under way, the shallowest such tier first (the first tier
   * is where every merge lands, so it is kept small before a deep move goes on); else a step of sweeping stale keys
   * when due. Its own IMMEDIATE transaction: call outside any. Whether it took a step.
   */
  moveIfDue(): boolean {
    // Decided first without the write lock: between appends there is usually nothing to do.
    if (performance.now() < this.restUntil || !this.due(this.counts())) return false;
    const started = performance.now();
    try {
      return this.moveStep.immediate();
    } catch (err) {
      this.reset(); // the step rolled back: the next call decides afresh
      throw err;
    } finally {
      this.restUntil = performance.now() + (performance.now() - started) * (1 / this.share - 1);
    }
  }

  /** The tier a move step should take: the shallowest over its cap or with its move under way; -1 for none. */
  private tierToMove(counts: readonly number[]): number {
    return this.cursors.findIndex((cursor, i) => i + 1 < ID_TIERS.length && (cursor >= 0 || counts[i]! > this.caps[i]!));
  }

  /** Whether a step is due: a move (`tierToMove`), a sweep under way, or one to begin (stale keys as many as live). */
  private due(counts: readonly number[]): boolean {
    if (this.sweep || this.tierToMove(counts) >= 0) return true;
    const stale = this.stale();
    return stale > 0 && stale >= counts.reduce((a, b) => a + b, 0) - stale;
  }

  private moveInTransaction(): boolean {
    const counts = this.counts();
    const tier = this.tierToMove(counts);
    if (tier >= 0) {
      const from = Math.max(0, this.cursors[tier]!);
      const { rangeEnd, copy, drop } = this.steps[tier]!;
      const end = rangeEnd.get(from, this.step) ?? END_OF_KEYS;
      const copied = copy!.run(from, end).changes;
      const dropped = drop.run(from, end).changes;
      this.added(tier + 1, copied);
      this.added(tier, -dropped);
      this.forgotten(copied - dropped); // the stale keys left behind
      if (this.sweep) this.sweep.purged += dropped - copied; // so the sweep's end does not count them twice
      this.cursors[tier] = end === END_OF_KEYS ? -1 : end;
      return true;
    }
    return this.sweepStep(counts);
  }

  /** One step of sweeping stale keys out of every tier, begun once they are as many as the live keys (`due`). */
  private sweepStep(counts: readonly number[]): boolean {
    if (!this.sweep) {
      if (!this.due(counts)) return false;
      this.sweep = { tier: 0, from: 0, counted: this.stale(), purged: 0 };
    }
    const sweep = this.sweep;
    const { rangeEnd, purge } = this.steps[sweep.tier]!;
    const end = rangeEnd.get(sweep.from, this.step) ?? END_OF_KEYS;
    const purged = purge.run(sweep.from, end).changes;
    this.added(sweep.tier, -purged);
    this.forgotten(-purged);
    sweep.purged += purged;
    if (end !== END_OF_KEYS) sweep.from = end;
    else if (sweep.tier + 1 < ID_TIERS.length) {
      sweep.tier += 1;
      sweep.from = 0;
    } else {
      // Counted but never found (a block's rows counted whole though two of its ids share a key): a count that no sweep
      // can lower would start a sweep on every call.
      this.forgotten(-Math.max(0, sweep.counted - sweep.purged));
      this.sweep = null;
    }
    return true;
  }

  /** Forget unfinished moves (after a rolled-back transaction: the next call decides afresh). */
  reset(): void {
    this.cursors.fill(-1);
    this.sweep = null;
    this.restUntil = 0;
  }
}
