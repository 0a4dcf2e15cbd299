// services: process
/**
 * The embedded store under a crash (docs/ARCHITECTURE.md, "The embedded log store"): the real `npm start` process
 * killed with SIGKILL while senders stream ingest requests. After a restart on the same data directory every batch it
 * acknowledged is there, each event once; batches in flight at the kill are there whole or not at all.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const LINES = 50;

/** Sends batches until the process stops answering; the batches it acknowledged (200 with every line accepted). */
async function sendUntilRefused(p: BulwarkProcess, token: string, word: string, sender: number): Promise<string[]> {
  const acknowledged: string[] = [];
  for (let batch = 0; ; batch++) {
    const tag = `s${sender}b${batch}`;
    const body = Array.from({ length: LINES }, (_, i) => JSON.stringify({ message: `${word} ${tag} line ${i}`, labels: { batch: tag } })).join('\n');
    try {
      const res = await p.fetch('/v1/ingest/events', { method: 'POST', token, headers: { 'content-type': 'application/x-ndjson' }, body });
      if (res.status !== 200) return acknowledged;
      if (((await res.json()) as { accepted: number }).accepted === LINES) acknowledged.push(tag);
    } catch {
      return acknowledged; // reset by the kill: never acknowledged
    }
  }
}

describe('the embedded store killed with SIGKILL during ingest', () => {
  it('keeps every acknowledged batch, each event once, after a restart', async () => {
    const first = await startBulwark({});
    let second: BulwarkProcess | undefined;
    try {
      const { token } = await first.mint('shipper', ['ingest']);
      const word = `kill${randomBytes(4).toString('hex')}`;
      const senders = [0, 1, 2, 3].map((i) => sendUntilRefused(first, token, word, i));
      await sleep(2_000);
      const exited = once(first.child, 'exit');
      first.child.kill('SIGKILL');
      await exited;
      const acknowledged = (await Promise.all(senders)).flat();
      assert.ok(acknowledged.length > 0, 'batches were acknowledged before the kill');

      second = await startBulwark({ dir: first.dir, adminToken: first.admin });
      const total = (await second.get<{ total: number }>(`/v1/histogram?q=${word}&from=now-1h`)).total;
      assert.ok(total >= acknowledged.length * LINES, `${total} stored, ${acknowledged.length * LINES} acknowledged`);
      assert.equal(total % LINES, 0, 'a batch is stored whole or not at all');
      for (const tag of acknowledged) {
        const stored: number = (await second.get<{ total: number }>(`/v1/histogram?q=${encodeURIComponent(`labels.batch:${tag}`)}&from=now-1h`)).total;
        assert.equal(stored, LINES, `batch ${tag}: every event once`);
      }
      // The store still takes and serves events.
      const after = await second.fetch('/v1/ingest/events', { method: 'POST', body: JSON.stringify({ message: `${word} after` }) });
      assert.equal(after.status, 200);
    } finally {
      await second?.stop();
      await first.stop();
    }
  });
});
