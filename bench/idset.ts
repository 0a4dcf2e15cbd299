/**
 * `npm run bench:idset`: what keeping the event-id set costs the embedded store's writer as the store grows, with the
 * merged keys in one B-tree (as before the tiers: every tier's cap infinite, so all keys stay in `event_ids`) and in
 * tiers (blocks/id-tiers.ts), in the same run on the same keys. Each round adds the keys of 250 blocks of 1,000 events
 * (random 47-bit keys, as event-id hashes are) and does the writer's id work for them: the merge of the pending keys,
 * then the move steps it leaves due (all of them, so the figure is the whole cost, not deferred; each step is one
 * pause of the writer, and the longest pause is reported beside the total). Blocks are catalog
 * rows only; no columns are written, so the figure is the id set's alone. Then retention drops the older half of the
 * blocks: with one B-tree each dropped key deleted (as before the tiers), in tiers the keys left stale and swept later.
 * Figures are printed (for bench/RESULTS.md).
 *
 * Options: --keys=N (default 16000000) --report=N (print every N keys, default 2000000)
 */
import { mkdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { migrate, openDatabase } from '../packages/store/src/index.js';
import { FieldNames } from '../packages/store/src/blocks/catalog.js';
import { IdIndex, MERGE_AT_KEYS } from '../packages/store/src/blocks/id-index.js';
import { IdTiers, type TierOptions } from '../packages/store/src/blocks/id-tiers.js';
import { BlockReader } from '../packages/store/src/blocks/reader.js';
import { blockDeleter } from '../packages/store/src/blocks/retention.js';
import type { SqliteDatabase } from '../packages/store/src/sqlite/schema.js';
import { benchArgs, prng, root } from './lib.js';
import { machine } from './npm-start.js';

const args = benchArgs();
const KEYS = Number(args.get('keys') ?? 16_000_000);
const REPORT = Number(args.get('report') ?? 2_000_000);
const BLOCK_ROWS = 1000;
const tmp = join(root, 'bench/.tmp/idset');

interface Window {
  keys: number;
  ms: number;
  worstMs: number;
}

/** Retention dropping the older half of the blocks: µs per dropped event, while dropping and in later steps. */
interface Dropping {
  dropUs: number;
  laterUs: number;
}

function run(name: string, tiers: TierOptions, eagerDelete: boolean): { windows: Window[]; dropping: Dropping } {
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const path = join(tmp, `${name}.sqlite`);
  const db = openDatabase({ path });
  migrate(db);
  const index = new IdIndex(db, new FieldNames(db), MERGE_AT_KEYS, tiers);
  const counts = new IdTiers(db);
  const insertBlock = db.prepare(
    "INSERT INTO blocks (stream, rows, min_ts, max_ts, min_seq, max_seq, bytes, schema, ts, seqs) VALUES ('bench', ?, 0, 0, ?, ?, 0, '[]', x'', x'')",
  );
  const r = prng(7);
  const windows: Window[] = [];
  const allKeys = new Float64Array(KEYS);
  let window: Window = { keys: 0, ms: 0, worstMs: 0 };
  let seq = 1;
  for (let stored = 0; stored < KEYS; ) {
    const blocks = db.transaction(() => {
      const made: Array<[number, Float64Array]> = [];
      for (let b = 0; b < MERGE_AT_KEYS / BLOCK_ROWS; b++) {
        const id = Number(insertBlock.run(BLOCK_ROWS, seq, seq + BLOCK_ROWS - 1).lastInsertRowid);
        seq += BLOCK_ROWS;
        const keys = new Float64Array(BLOCK_ROWS);
        for (let i = 0; i < BLOCK_ROWS; i++) keys[i] = Math.floor(r() * 2 ** 23) * 2 ** 24 + Math.floor(r() * 2 ** 24);
        allKeys.set(keys, (id - 1) * BLOCK_ROWS);
        made.push([id, keys]);
      }
      return made;
    })();
    for (const [id, keys] of blocks) index.add(id, keys);
    // The merge, then every move step it leaves due; each call is one pause of the writer between appends.
    for (;;) {
      const t0 = performance.now();
      const worked = index.mergeIfDue();
      const ms = performance.now() - t0;
      window.ms += ms;
      if (!worked) break;
      window.worstMs = Math.max(window.worstMs, ms);
    }
    stored += MERGE_AT_KEYS;
    window.keys += MERGE_AT_KEYS;
    if (stored % REPORT === 0) {
      windows.push(window);
      process.stdout.write(`  ${name}: ${stored.toLocaleString('en-US')} keys, ${(window.ms / (window.keys / MERGE_AT_KEYS)).toFixed(0)} ms per 250k, tiers ${counts.counts().join('/')}\n`);
      window = { keys: 0, ms: 0, worstMs: 0 };
    }
  }
  const bytes = statSync(path).size;
  const dropping = dropOlderHalf(db, index, allKeys, eagerDelete);
  db.close();
  process.stdout.write(`  ${name}: file ${(bytes / KEYS).toFixed(1)} B per key; dropping half: ${dropping.dropUs.toFixed(2)} + ${dropping.laterUs.toFixed(2)} µs per event\n`);
  return { windows, dropping };
}

/**
 * Retention of the older half of the blocks, 16 blocks per transaction as retention drops them. Eager: each dropped
 * key deleted from `event_ids` (as retention did before the tiers); else the store's own deleter (keys left stale),
 * then the writer's later steps (moves, the sweep) until none is due.
 */
function dropOlderHalf(db: SqliteDatabase, index: IdIndex, keys: Float64Array, eager: boolean): Dropping {
  const blocks = KEYS / BLOCK_ROWS / 2;
  const deleteKey = db.prepare('DELETE FROM event_ids WHERE key = ? AND block = ?');
  const deleteBlock = blockDeleter(db, new BlockReader(db));
  const t0 = performance.now();
  for (let first = 1; first <= blocks; first += 16) {
    db.transaction(() => {
      for (let id = first; id < first + 16 && id <= blocks; id++) {
        if (eager) for (let i = 0; i < BLOCK_ROWS; i++) deleteKey.run(keys[(id - 1) * BLOCK_ROWS + i]!, id);
        deleteBlock({ id, rows: BLOCK_ROWS });
      }
    }).immediate();
  }
  const t1 = performance.now();
  while (index.mergeIfDue());
  const t2 = performance.now();
  const dropped = blocks * BLOCK_ROWS;
  return { dropUs: ((t1 - t0) * 1000) / dropped, laterUs: ((t2 - t1) * 1000) / dropped };
}

console.log(`bench:idset: ${KEYS.toLocaleString('en-US')} keys, merged ${MERGE_AT_KEYS.toLocaleString('en-US')} at a time`);
const single = run('one-tree', { caps: [Infinity, Infinity, Infinity, Infinity] }, true);
const tiered = run('tiers', { share: 1 }, false);
rmSync(tmp, { recursive: true, force: true });

console.log(`\n${machine()}, ${new Date().toISOString().slice(0, 10)}\n`);
console.log('| keys stored | one B-tree: ms per 250k keys (longest pause) | tiers: ms per 250k keys (longest pause) | µs per event, one B-tree / tiers |');
console.log('|---:|---:|---:|---:|');
single.windows.forEach((s, i) => {
  const t = tiered.windows[i]!;
  const per = (w: Window) => w.ms / (w.keys / MERGE_AT_KEYS);
  const upto = (i + 1) * REPORT;
  console.log(
    `| ${upto.toLocaleString('en-US')} | ${per(s).toFixed(0)} (${s.worstMs.toFixed(0)}) | ${per(t).toFixed(0)} (${t.worstMs.toFixed(0)}) | ${((per(s) * 1000) / MERGE_AT_KEYS).toFixed(2)} / ${((per(t) * 1000) / MERGE_AT_KEYS).toFixed(2)} |`,
  );
});
console.log(
  `\nRetention dropping the older half (${(KEYS / 2).toLocaleString('en-US')} events), µs per dropped event: one B-tree, each key deleted: ${single.dropping.dropUs.toFixed(2)}; ` +
    `tiers, keys left stale: ${tiered.dropping.dropUs.toFixed(2)} while dropping + ${tiered.dropping.laterUs.toFixed(2)} in later steps (moves, the sweep).`,
);
