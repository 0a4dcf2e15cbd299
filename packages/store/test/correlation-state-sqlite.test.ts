/**
 * SqliteCorrelationState: detection's shared state contract (`@bulwark/detection/testing`) (as is, and flushed and reopened from the file after every
 * write, so the persisted form keeps versions, TTLs and JSON exactly), plus restart behaviour: flushed windows come
 * back, unflushed ones do not (the bus redelivers their batch), expiry and versions survive, and the table lives
 * beside other tables of the embedded database file.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import type { CorrelationState, WindowState } from '@bulwark/detection';
import {
  CONTRACT_BODY as BODY, CONTRACT_OPTIONS as OPTIONS, CONTRACT_STREAM as STREAM, correlationStateContract, engineFor, run, summary,
} from '@bulwark/detection/testing';
import { SqliteCorrelationState } from '../src/index.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-corr-sqlite-'));
after(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
const newFile = () => join(dir, `bulwark-${++files}.db`);

correlationStateContract('SqliteCorrelationState', async () => {
  let now = 1_000;
  const state = new SqliteCorrelationState(newFile(), { now: () => now });
  return { state, ttlMs: 500, elapse: async (ms) => void (now += ms), size: async () => state.size, close: async () => state.close() };
});

correlationStateContract('SqliteCorrelationState, flushed and reopened after every write', async () => {
  let now = 1_000;
  const path = newFile();
  let current = new SqliteCorrelationState(path, { now: () => now });
  const state: CorrelationState = {
    read: (key) => current.read(key),
    write: async (key, window, version, ttl) => {
      const ok = await current.write(key, window, version, ttl);
      current.flush();
      current.close();
      current = new SqliteCorrelationState(path, { now: () => now });
      return ok;
    },
  };
  return { state, ttlMs: 500, elapse: async (ms) => void (now += ms), size: async () => current.size, close: async () => current.close() };
});

const window = (n: number): WindowState => ({ entries: [{ t: n, id: `e${n}`, rules: [0] }], watermark: n });

describe('SqliteCorrelationState across restarts', () => {
  it('flushed windows come back after close and reopen, with their versions; unflushed writes do not', async () => {
    const path = newFile();
    const first = new SqliteCorrelationState(path);
    assert.equal(await first.write('a', window(1), 0, 60_000), true);
    assert.equal(await first.write('b', window(2), 0, 60_000), true);
    assert.equal(first.pending, 2);
    assert.equal(first.flush(), 2);
    assert.equal(first.pending, 0);
    const a = (await first.read('a'))!;
    assert.equal(await first.write('a', window(3), a.version, 60_000), true, 'after the flush: lost on restart');
    assert.equal(await first.write('c', window(4), 0, 60_000), true, 'never flushed');
    first.close();

    const second = new SqliteCorrelationState(path);
    assert.deepEqual(await second.read('a'), a);
    assert.deepEqual((await second.read('b'))?.state, window(2));
    assert.equal(await second.read('c'), undefined);
    assert.equal(second.size, 2);
    const next = (await second.write('c', window(5), 0, 60_000), (await second.read('c'))!.version);
    assert.ok(next > a.version, 'versions continue after the flushed counter');
    second.close();
  });

  it('a deletion is flushed as a row removal', async () => {
    const path = newFile();
    const first = new SqliteCorrelationState(path);
    await first.write('a', window(1), 0, 60_000);
    first.flush();
    assert.equal(await first.write('a', undefined, (await first.read('a'))!.version, 60_000), true);
    assert.equal(first.flush(), 1);
    first.close();
    const second = new SqliteCorrelationState(path);
    assert.equal(second.size, 0);
    second.close();
  });

  it('TTLs are absolute: a window expires while the process is down; its version is never reused (no ABA)', async () => {
    let now = 10_000;
    const path = newFile();
    const first = new SqliteCorrelationState(path, { now: () => now });
    await first.write('short', window(1), 0, 1_000);
    await first.write('long', window(2), 0, 5_000);
    const old = (await first.read('short'))!.version;
    first.flush();
    first.close();
    now += 2_000;
    const second = new SqliteCorrelationState(path, { now: () => now });
    assert.equal(await second.read('short'), undefined);
    assert.ok(await second.read('long'));
    assert.equal(await second.write('short', window(3), old, 1_000), false);
    assert.equal(await second.write('short', window(3), 0, 1_000), true);
    assert.ok((await second.read('short'))!.version > old);
    second.close();
    const rows = new Database(path, { readonly: true });
    assert.deepEqual(rows.prepare('SELECT key FROM correlation_state ORDER BY key').all(), [{ key: 'long' }], 'expired rows deleted at open');
    rows.close();
  });

  it('expired keys are swept at a flush and their rows deleted', async () => {
    let now = 0;
    const path = newFile();
    const state = new SqliteCorrelationState(path, { now: () => now, sweepIntervalMs: 1_000 });
    await state.write('k', window(1), 0, 500);
    state.flush();
    now = 2_000;
    assert.equal(state.flush(), 1);
    const rows = new Database(path, { readonly: true });
    assert.equal((rows.prepare('SELECT count(*) AS n FROM correlation_state').get() as { n: number }).n, 0);
    rows.close();
    state.close();
  });

  it('an engine restarted on the same file continues the windows: same matches as one run', async () => {
    const whole = summary(await run(engineFor(['fail'], BODY, OPTIONS), STREAM));
    const path = newFile();
    const first = new SqliteCorrelationState(path);
    const firstHalf = await run(engineFor(['fail'], BODY, { ...OPTIONS, state: first }), STREAM.slice(0, 17));
    first.flush();
    // Events after the flush whose batch was never acknowledged: lost with the process, redelivered below.
    await run(engineFor(['fail'], BODY, { ...OPTIONS, state: first }), STREAM.slice(17, 25));
    first.close();
    const second = new SqliteCorrelationState(path);
    const secondHalf = await run(engineFor(['fail'], BODY, { ...OPTIONS, state: second }), STREAM.slice(17));
    second.close();
    assert.deepEqual(summary([...firstHalf, ...secondHalf]), whole);
  });

  it('shares the embedded database file: other tables untouched, a custom table name, WAL', async () => {
    const path = newFile();
    const store = new Database(path);
    store.pragma('journal_mode = WAL');
    store.exec("CREATE TABLE events (id TEXT PRIMARY KEY); INSERT INTO events VALUES ('e1')");
    const state = new SqliteCorrelationState(path, { table: 'corr_windows' });
    await state.write('k', window(1), 0, 60_000);
    state.flush();
    assert.deepEqual(store.prepare('SELECT id FROM events').all(), [{ id: 'e1' }]);
    assert.equal((store.prepare('SELECT count(*) AS n FROM corr_windows').get() as { n: number }).n, 1);
    assert.equal(store.pragma('journal_mode', { simple: true }), 'wal');
    state.close();
    store.close();
    assert.throws(() => new SqliteCorrelationState(path, { table: 'x; DROP TABLE events' }), /plain SQL identifier/);
  });

  it('only the latest opener may flush: a stale process fails instead of overwriting newer windows', async () => {
    const path = newFile();
    const stale = new SqliteCorrelationState(path);
    await stale.write('k', window(1), 0, 60_000);
    const fresh = new SqliteCorrelationState(path);
    assert.throws(() => stale.flush(), /opened by another process/);
    await fresh.write('k', window(2), 0, 60_000);
    assert.equal(fresh.flush(), 1);
    stale.close();
    fresh.close();
  });
});
