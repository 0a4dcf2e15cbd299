/**
 * Retention in the embedded store: whole blocks dropped by age and by size, their ids forgotten (the same event may be
 * stored again), everything newer untouched.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Event } from '@bulwark/schema';
import { BlockLogStore, parseQuery } from '../src/index.js';
import { bytesInUse } from '../src/blocks/retention.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-blocks-retention-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const DAY = 86_400_000;
const NOW = Date.parse('2026-06-30T12:00:00Z');

const day = (daysAgo: number, count: number): Event[] =>
  Array.from({ length: count }, (_, i) => ({
    '@timestamp': new Date(NOW - daysAgo * DAY + i * 1000).toISOString(),
    event: { id: `d${daysAgo}-${i}`, dataset: 'retention.test' },
    // Incompressible, so that the file's size is mostly the events and not the tables' fixed pages.
    message: `day ${daysAgo} event ${i} ${randomBytes(96).toString('hex')}`,
  })) as Event[];

const count = async (store: BlockLogStore) =>
  (await store.histogram({ query: parseQuery(''), from: new Date(NOW - 100 * DAY), to: new Date(NOW + DAY), intervalMs: DAY })).total;

describe('embedded store retention', () => {
  it('drops blocks whose newest event is older than the age limit, and forgets their ids', async () => {
    const store = new BlockLogStore({ path: join(dir, 'age.sqlite'), retention: { maxAgeDays: 7 } });
    await store.init();
    for (const daysAgo of [30, 10, 8, 6, 1]) await store.append(day(daysAgo, 100));
    const pass = store.applyRetention(NOW);
    assert.deepEqual({ blocks: pass?.blocks, events: pass?.events }, { blocks: 3, events: 300 });
    assert.equal(await count(store), 200);
    assert.equal(await store.get('d10-5'), null);
    assert.ok(await store.get('d6-5'));
    assert.equal((await store.append(day(10, 1))).created, 1, 'a dropped id can be stored again');
    assert.equal(store.applyRetention(NOW)?.blocks, 1);
    await store.close();
  });

  it('drops the oldest blocks while the pages in use exceed the size limit', async () => {
    const path = join(dir, 'size.sqlite');
    const unlimited = new BlockLogStore({ path });
    await unlimited.init();
    for (let daysAgo = 20; daysAgo >= 1; daysAgo--) await unlimited.append(day(daysAgo, 1000));
    const full = bytesInUse(unlimited.database);
    await unlimited.close();
    const limit = Math.floor(full * 0.6);
    const store = new BlockLogStore({ path, retention: { maxBytes: limit } });
    await store.init(); // a pass runs at open
    assert.ok(bytesInUse(store.database) <= limit, `${bytesInUse(store.database)} <= ${limit}`);
    const left = await count(store);
    assert.ok(left >= 8000 && left < 16_000, `${left} events left`);
    // The newest days stayed, the oldest went.
    assert.ok(await store.get('d1-0'));
    assert.equal(await store.get('d20-0'), null);
    await store.close();
  });
});
