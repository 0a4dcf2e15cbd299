// services: process
/**
 * Durability of the block store (docs/ARCHITECTURE.md, "The embedded log store"): a process killed with SIGKILL while
 * appending, mid-block, leaves a store that opens, passes SQLite's integrity check and the store's own consistency
 * checks, and holds every event it acknowledged.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { after, describe, it } from 'node:test';
import { BlockLogStore, parseQuery } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Run the child until it has acknowledged at least `acks` batches, then SIGKILL it; the highest acked id number. */
async function appendThenKill(path: string, acks: number, extraMs: number): Promise<number> {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', join(import.meta.dirname, 'blocks-crash-child.ts'), path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let acked = -1;
  let seen = 0;
  const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the child exited early (${code})`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      const m = /^acked (\d+)$/.exec(line);
      if (!m) return;
      acked = Number(m[1]);
      if (++seen === acks) setTimeout(resolve, extraMs);
    });
  });
  child.kill('SIGKILL');
  await done;
  return acked;
}

describe('a store killed while appending', () => {
  it('opens consistent and holds every acknowledged event (three kills at different moments)', async () => {
    const path = join(dir, 'crash.sqlite');
    let acked = -1;
    for (const [acks, extraMs] of [[3, 0], [4, 7], [2, 23]] as const) acked = Math.max(acked, await appendThenKill(path, acks, extraMs));
    const store = new BlockLogStore({ path });
    await store.init();
    const db = store.database;
    assert.equal(db.pragma('integrity_check', { simple: true }), 'ok');
    const rows = db.prepare('SELECT coalesce(sum(rows), 0) FROM blocks').pluck().get() as number;
    // Blocks up to the merge mark have one `event_ids` key per event; newer blocks' keys are read back from the blocks.
    const merged = db
      .prepare("SELECT coalesce(sum(rows), 0) FROM blocks WHERE id <= (SELECT value FROM store_state WHERE name = 'keys_merged_upto')")
      .pluck()
      .get() as number;
    assert.equal(db.prepare('SELECT count(*) FROM event_ids').pluck().get(), merged, 'one id key per event of a merged block');
    const missingColumns = db
      .prepare('SELECT count(*) FROM blocks b WHERE (SELECT count(*) FROM block_columns c WHERE c.block = b.id) = 0 OR NOT EXISTS (SELECT 1 FROM block_filters f WHERE f.block = b.id)')
      .pluck()
      .get();
    assert.equal(missingColumns, 0, 'every block has its columns and its filter');
    // Every acknowledged event is there, exactly once (each child run restarts its numbering: ids repeat as duplicates).
    const T0 = Date.parse('2026-02-01T00:00:00Z');
    const ackedRange = await store.histogram({ query: parseQuery(''), from: new Date(T0), to: new Date(T0 + acked + 1), intervalMs: 86_400_000 });
    assert.equal(ackedRange.total, acked + 1, 'crash-0 … the last acknowledged, each once');
    assert.ok(await store.get(`crash-${acked}`));
    const h = await store.histogram({ query: parseQuery(''), from: new Date('2026-02-01T00:00:00Z'), to: new Date('2026-02-02T00:00:00Z'), intervalMs: 86_400_000 });
    assert.equal(h.total, rows);
    assert.ok(rows >= acked + 1, `${rows} stored, ${acked + 1} acknowledged`);
    await store.close();
  });
});
