/**
 * The composition root's store choice: the embedded store opened from configuration carries the retention limits the
 * configuration names (docs/ARCHITECTURE.md, "The embedded log store").
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadConfig } from '@bulwark/config';
import { BlockLogStore, parseQuery } from '@bulwark/store';
import { openLogStore } from '../src/stores.js';

const dir = mkdtempSync(join(tmpdir(), 'bulwark-runtime-stores-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('openLogStore (embedded)', () => {
  it('applies BULWARK_RETENTION_DAYS: blocks older than the limit are dropped and the pass is told', async () => {
    const notices: string[] = [];
    const config = loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_RETENTION_DAYS: '2', BULWARK_RETENTION_MAX_BYTES: '1000000000', BULWARK_SQLITE_WRITER: 'inline' });
    const store = await openLogStore(config, (line) => notices.push(line));
    try {
      assert.ok(store instanceof BlockLogStore);
      const day = 86_400_000;
      const event = (id: string, ago: number) =>
        ({ '@timestamp': new Date(Date.now() - ago).toISOString(), event: { id, dataset: 'retention.test' }, message: id }) as never;
      await store.append([event('old', 5 * day)]);
      await store.append([event('new', 60_000)]);
      const pass = store.applyRetention();
      assert.equal(pass?.blocks, 1);
      assert.deepEqual(notices, ['retention dropped the oldest event blocks']);
      const hits = await store.search({ query: parseQuery('retention.test'), size: 10 });
      assert.deepEqual(hits.hits.map((e) => e.event.id), ['new']);
    } finally {
      await store.close();
    }
  });
});
