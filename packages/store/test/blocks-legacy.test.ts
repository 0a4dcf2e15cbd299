/**
 * A store written by the row layout (schema v5: `events`, `events_fts`, `event_keys`) opens with the block store:
 * its events are moved into blocks keeping their arrival numbers (so a bus group's cursor stays right), the old
 * tables are dropped, and everything is found as before.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BlockLogStore, BlockOutbox, SCHEMA_VERSION, migrate, openDatabase, parseQuery, schemaVersion } from '../src/index.js';
import { FIXTURE } from './contract/fixtures.js';
import { searchAll } from './contract/logstore-contract.js';
import { BlockWriter } from '../src/blocks/writer.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-legacy-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A v5 file as the row layout wrote it: one row per event, its message in the full-text index. */
function writeRowLayout(path: string, events: readonly Event[], firstSeq: number): void {
  const db = openDatabase({ path });
  migrate(db, 5);
  const insert = db.prepare('INSERT INTO events (seq, id, ts, dataset, doc) VALUES (?, ?, ?, ?, ?)');
  const text = db.prepare('INSERT INTO events_fts (rowid, message) VALUES (?, ?)');
  events.forEach((event, i) => {
    const seq = firstSeq + i * 2; // gaps, as deleted rows leave
    insert.run(seq, event.event.id, Date.parse(event['@timestamp']), event.event.dataset ?? null, JSON.stringify(event));
    if (event.message) text.run(seq, event.message);
  });
  db.exec('CREATE TABLE IF NOT EXISTS bus_offsets ("group" TEXT PRIMARY KEY, seq INTEGER NOT NULL) STRICT');
  db.prepare('INSERT INTO bus_offsets ("group", seq) VALUES (?, ?)').run('correlator', firstSeq + 6);
  db.close();
}

describe('opening a store of the row layout', () => {
  it('moves every event into blocks with its arrival number, drops the old tables, and searches as before', async () => {
    const path = join(dir, 'v5.sqlite');
    const many = Array.from({ length: 5000 }, (_, i) => ({
      '@timestamp': new Date(Date.parse('2024-05-02T00:00:00Z') + i).toISOString(),
      event: { id: `old-${i}`, dataset: i % 2 ? 'container.logs' : 'kubernetes.audit' },
      message: `old event ${i}`,
    })) as Event[];
    writeRowLayout(path, [...FIXTURE, ...many], 100);
    const store = new BlockLogStore({ path });
    await store.init();
    const db = store.database;
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
    for (const old of ['events', 'events_fts', 'event_keys']) assert.ok(!tables.includes(old), `${old} dropped`);
    for (const event of FIXTURE) assert.deepEqual(await store.get(event.event.id), event);
    assert.deepEqual((await searchAll(store, { query: parseQuery('Forbidden'), size: 10 })).map((e) => e.event.id), ['e2']);
    assert.equal((await searchAll(store, { query: parseQuery('message:old'), size: 1000 })).length, 5000);
    // Arrival numbers kept: the bus reads on after its old cursor (seq 106 = the 4th event) in the old order.
    const outbox = new BlockOutbox(db);
    const read = outbox.read(106, 3);
    assert.deepEqual(read?.rows.map((r) => [r.seq, r.id]), [[108, 'e5']]);
    assert.equal(read?.to, 109);
    const lastOld = 100 + (FIXTURE.length + 5000 - 1) * 2;
    assert.equal(outbox.lastCommitted(), lastOld);
    // A new event takes the next number after every old one.
    await store.append([{ ...FIXTURE[0]!, event: { id: 'new-1', dataset: 'kubernetes.audit' } } as Event]);
    assert.deepEqual(outbox.read(lastOld, 10)?.rows.map((r) => [r.seq, r.id]), [[lastOld + 1, 'new-1']]);
    assert.equal((await store.append(FIXTURE)).duplicates, FIXTURE.length, 'moved ids are still known');
    await store.close();
    // Opening again is a no-op.
    const again = new BlockLogStore({ path });
    await again.init();
    assert.equal((await searchAll(again, { query: parseQuery(''), size: 10_000 })).length, FIXTURE.length + 5000 + 1);
    await again.close();
  });

  it('carries on after a crash part-way (events left in the old table are moved at the next open)', async () => {
    const path = join(dir, 'v5-partial.sqlite');
    writeRowLayout(path, FIXTURE, 1);
    // What a move that committed its first chunk and then died leaves: e1..e4 in blocks, e5..e8 still in `events`.
    const db = openDatabase({ path });
    migrate(db);
    const writer = new BlockWriter(db);
    db.transaction(() => {
      const firstFour = FIXTURE.slice(0, 4).map((event, i) => ({ id: event.event.id, ts: Date.parse(event['@timestamp']), seq: 1 + i * 2, doc: event as never }));
      for (const row of firstFour) writer.insertNumbered(row.doc['event']['dataset'], [row]);
      db.prepare('DELETE FROM events WHERE seq <= 7').run();
    }).immediate();
    db.close();
    const store = new BlockLogStore({ path });
    await store.init();
    const all = await searchAll(store, { query: parseQuery(''), size: 100, sort: 'asc' });
    assert.deepEqual(all, FIXTURE);
    assert.deepEqual(new BlockOutbox(store.database).read(0, 100)?.rows.map((r) => r.seq), [1, 3, 5, 7, 9, 11, 13, 15]);
    await store.close();
  });
});
