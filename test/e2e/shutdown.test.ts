// services: process
/**
 * Graceful shutdown of the real `npm start` process: SIGTERM during a stream of ingest requests loses nothing that was
 * acknowledged and exits 0 within `server.shutdown_timeout`; a hung dependency (its own Redis, paused) makes it exit 1
 * within the bound, naming what was still running. Readiness: `/readyz` names the bus when Redis is down (while
 * `/healthz` stays 200) and answers 503 while the process drains. Logs never carry the secrets the process was used with.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { startOwnRedis } from '../support/own-redis.js';
import { until } from '../support/until.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Sends batches until the process stops answering; counts the events it acknowledged (200 `accepted`). */
async function sendUntilRefused(p: BulwarkProcess, token: string, word: string, sender: number): Promise<number> {
  let acknowledged = 0;
  for (let batch = 0; ; batch++) {
    const body = Array.from({ length: 50 }, (_, i) => JSON.stringify({ message: `${word} sender ${sender} batch ${batch} line ${i}` })).join('\n');
    let res: Response;
    try {
      res = await p.fetch('/v1/ingest/events', { method: 'POST', token, headers: { 'content-type': 'application/x-ndjson' }, body });
    } catch {
      return acknowledged; // refused or reset: never acknowledged
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      return acknowledged;
    }
    acknowledged += ((await res.json()) as { accepted: number }).accepted;
  }
}

async function exitOf(p: BulwarkProcess): Promise<{ code: number | null; ms: number }> {
  const started = Date.now();
  const [code] = (await once(p.child, 'exit')) as [number | null];
  return { code, ms: Date.now() - started };
}

async function readyz(p: BulwarkProcess): Promise<{ status: number; body: { status: string; checks: Record<string, string> } }> {
  const res = await p.fetch('/readyz', { token: null });
  return { status: res.status, body: (await res.json()) as { status: string; checks: Record<string, string> } };
}

describe('shutdown', () => {
  it('SIGTERM during a stream of ingest requests: exit 0 within the bound, and every acknowledged event is there after a restart', async () => {
    const first = await startBulwark({ env: { BULWARK_SHUTDOWN_TIMEOUT: '20s' } });
    let second: BulwarkProcess | undefined;
    try {
      const { token } = await first.mint('shipper', ['ingest']);
      const word = `drain${randomBytes(4).toString('hex')}`;
      const senders = [0, 1, 2, 3].map((i) => sendUntilRefused(first, token, word, i));
      await sleep(1_500);
      const exit = exitOf(first);
      first.child.kill('SIGTERM');
      const acknowledged = (await Promise.all(senders)).reduce((a, b) => a + b, 0);
      const { code, ms } = await exit;
      assert.equal(code, 0, `clean exit; output:\n${first.output().slice(-2000)}`);
      assert.ok(ms < 20_000, `stopped within the bound (${ms} ms)`);
      assert.ok(acknowledged > 0, 'requests were acknowledged before the signal');
      assert.match(first.output(), /bulwark all-in-one stopped/);

      second = await startBulwark({ dir: first.dir, adminToken: first.admin });
      // Counted by the histogram, which has no page limit (a fast machine acknowledges more than a search page holds).
      const stored = await second.get<{ total: number }>(`/v1/histogram?q=${word}&from=now-1h`);
      assert.equal(stored.total, acknowledged, 'the store holds exactly the acknowledged events');
    } finally {
      await second?.stop();
      await first.stop();
    }
  });

  it('a hung dependency (Redis paused) makes it exit 1 within the bound, naming what was still running', async () => {
    const redis = await startOwnRedis();
    const p = await startBulwark({ env: { BULWARK_REDIS_URL: redis.url, BULWARK_BUS_PREFIX: `t${randomBytes(4).toString('hex')}`, BULWARK_SHUTDOWN_TIMEOUT: '2s' } });
    try {
      assert.equal((await readyz(p)).status, 200);
      redis.pause();
      // Stored, then waiting on a bus that answers nothing (the publish bound is longer than the shutdown bound).
      const pending = p.fetch('/v1/ingest/events', { method: 'POST', body: JSON.stringify({ message: 'stuck' }) }).catch(() => null);
      await sleep(300);
      const exit = exitOf(p);
      p.child.kill('SIGTERM');
      const { code, ms } = await exit;
      await pending;
      assert.equal(code, 1, `exit 1 past the bound; output:\n${p.output().slice(-2000)}`);
      assert.ok(ms < 2_000 + 1_500, `ended soon after the 2 s bound (${ms} ms)`);
      assert.match(p.output(), /did not shut down within 2000 ms; still running: .*(request|releasing)/);
    } finally {
      await p.stop();
      await redis.stop();
    }
  });

  it('/readyz names the bus while Redis is down (liveness unaffected), recovers, and answers 503 while draining', async () => {
    const redis = await startOwnRedis();
    const p = await startBulwark({ env: { BULWARK_REDIS_URL: redis.url, BULWARK_BUS_PREFIX: `t${randomBytes(4).toString('hex')}`, BULWARK_SHUTDOWN_DELAY: '3s' } });
    let again: Awaited<ReturnType<typeof startOwnRedis>> | undefined;
    try {
      const up = await readyz(p);
      assert.equal(up.status, 200);
      assert.deepEqual(up.body.checks, { store: 'ok', cases: 'ok', responder_queue: 'ok', bus: 'ok', correlator: 'ok' });

      await redis.stop();
      const down = await until('readiness to report Redis down', async () => {
        const r = await readyz(p);
        return r.status === 503 ? r : null;
      }, 10_000);
      assert.equal(down.body.status, 'unavailable');
      assert.equal(down.body.checks.bus, 'unavailable', 'the bus is named');
      assert.equal(down.body.checks.store, 'ok');
      assert.equal((await p.fetch('/healthz', { token: null })).status, 200, 'liveness does not depend on Redis');

      again = await startOwnRedis(redis.port);
      await until('readiness to recover with Redis', async () => ((await readyz(p)).status === 200 ? true : null), 20_000);

      const exit = exitOf(p);
      p.child.kill('SIGTERM');
      await sleep(300);
      const draining = await readyz(p);
      assert.equal(draining.status, 503, 'not ready while shutting down, still answering');
      assert.equal(draining.body.status, 'shutting_down');
      assert.equal((await exit).code, 0);
    } finally {
      await p.stop();
      await again?.stop();
      await redis.stop();
    }
  });

  it('logs, in json and pretty format, never carry the secrets the process was used with', async () => {
    for (const format of ['json', 'pretty']) {
      const p = await startBulwark({ env: { BULWARK_LOG_FORMAT: format, BULWARK_LOG_LEVEL: 'trace' } });
      try {
        const { token } = await p.mint('shipper', ['ingest']);
        const wrong = `bwk_${randomBytes(24).toString('hex')}`;
        assert.equal((await p.fetch('/v1/ingest/events', { method: 'POST', token, body: JSON.stringify({ message: 'hello' }) })).status, 200);
        assert.equal((await p.fetch('/v1/search?q=hello', { token: wrong })).status, 401);
        assert.equal((await p.fetch('/v1/search?q=hello', { token })).status, 403);
        await p.fetch('/v1/ingest/events', { method: 'POST', token, body: '{"broken' });
        const exit = exitOf(p);
        p.child.kill('SIGTERM');
        assert.equal((await exit).code, 0);
        const output = p.output();
        if (format === 'json') for (const line of output.trim().split('\n')) JSON.parse(line);
        else assert.match(output, /INFO.*: bulwark all-in-one listening/);
        for (const secret of [p.admin, token, wrong]) assert.ok(!output.includes(secret), `${format}: a secret reached the log`);
      } finally {
        await p.stop();
      }
    }
  });
});
