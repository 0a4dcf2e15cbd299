// services: opensearch redis
/**
 * Scale mode on each real search engine (OpenSearch and Elasticsearch, SEARCH_ENGINES): the collector keeps its promise
 * (nothing acknowledged is lost, nothing duplicated) through an engine outage, across two collector processes, and with
 * documents the engine's mapping refuses. The Redis outage is about the bus, not the engine: it runs on OpenSearch.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { createServer, type AddressInfo } from 'node:net';
import { BullmqBus, BullmqJobQueue } from '@bulwark/bus';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ndjson, scaleBus, startHarness, type Harness } from '../support/harness.js';
import { OPENSEARCH, SEARCH_ENGINES, type SearchEngine } from '../support/search-engines.js';
import { listeningPort } from '../support/process.js';
import { serviceScript } from '../support/npm-script.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function scaleEnv(engine: SearchEngine, prefix: string, url?: string): Record<string, string> {
  const env = engine.storeEnv(prefix, url);
  return { ...env, ...scaleBus(env) };
}

async function allIds(h: Harness, q: string): Promise<string[]> {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const params = new URLSearchParams({ q, size: '1000', ...(cursor ? { cursor } : {}) });
    const res = await h.fetch(`/v1/search?${params}`, { token: h.tokens.read });
    assert.equal(res.status, 200, await res.clone().text());
    const page = (await res.json()) as { hits: Array<{ event: { id: string } }>; cursor: string | null };
    ids.push(...page.hits.map((e) => e.event.id));
    cursor = page.cursor;
  } while (cursor);
  return ids;
}

/**
 * Events become searchable within the engine's refresh interval after they are acknowledged (as in Elasticsearch):
 * polls until `expected` are visible (or 15 s pass), then returns what is there.
 */
async function idsEventually(h: Harness, q: string, expected: number): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const ids = await allIds(h, q);
    if (ids.length >= expected || Date.now() > deadline) return ids;
    await sleep(250);
  }
}

function batchOf(tag: string, b: number, size: number): Array<Record<string, unknown>> {
  return Array.from({ length: size }, (_, i) => ({
    '@timestamp': new Date(Date.UTC(2026, 10, 29, 12, 0, 0) + b * 1000 + i).toISOString(),
    message: `${tag} batch ${b} event ${i}`,
    event: { id: `${tag}-${b}-${i}`, dataset: `${tag}.test` },
  }));
}

for (const engine of SEARCH_ENGINES) describe(`scale mode on ${engine.name}: engine outage`, () => {
  const node = engine.ownNode();
  let h: Harness;
  before(async () => {
    await node.start();
    h = await startHarness(scaleEnv(engine, `outage${randomBytes(3).toString('hex')}`, node.url));
  });
  after(async () => {
    await h?.close();
    await node.destroy();
  });

  it('answers 503/429 with Retry-After while the engine is down; every acknowledged event is searchable exactly once', async () => {
    const BATCHES = 30;
    const acked = new Set<string>();
    const refusals: number[] = [];
    let sent = 0;
    const sendUntilAcked = async (batch: Array<Record<string, unknown>>): Promise<void> => {
      for (let attempt = 0; attempt < 400; attempt++) {
        sent++;
        const res = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, body: ndjson(batch) });
        if (res.status === 200) {
          for (const e of batch) acked.add((e.event as { id: string }).id);
          return;
        }
        assert.ok(res.status === 503 || res.status === 429, `expected 503/429 during the outage, got ${res.status}: ${await res.text()}`);
        assert.ok(Number(res.headers.get('retry-after')) > 0, 'a refusal says when to retry');
        refusals.push(res.status);
        await sleep(250);
      }
      assert.fail('a batch was never acknowledged');
    };

    const loader = (async () => {
      for (let b = 0; b < BATCHES; b++) await sendUntilAcked(batchOf('outage', b, 40));
    })();
    while (acked.size < 400) await sleep(20);
    await node.kill();
    const killedAt = Date.now();
    while (refusals.length < 1) await sleep(20);
    // A shipper waiting for an answer gets the 503 within seconds, not after its own request timeout: the bulk
    // writer's retries (about 3 s of backoff) and nothing else (Elasticsearch's client used to add 5–10 s per call).
    assert.ok(Date.now() - killedAt < 15_000, `first refusal ${Date.now() - killedAt} ms after the engine died`);
    while (refusals.length < 3) await sleep(50);
    const ready = await h.fetch('/readyz', { token: null });
    assert.equal(ready.status, 503, 'readiness reports the engine down');
    await node.start();
    await loader;

    assert.ok(refusals.length >= 3);
    assert.equal(acked.size, BATCHES * 40);
    const ids = await idsEventually(h, 'event.dataset:outage.test', acked.size);
    assert.equal(ids.length, acked.size, `every acknowledged event exactly once (sent ${sent} requests)`);
    assert.equal(new Set(ids).size, ids.length);
    for (const id of acked) assert.ok(ids.includes(id));
  });
});

for (const engine of SEARCH_ENGINES) describe(`scale mode on ${engine.name}: two collector processes`, () => {
  const token = `bwk_${randomBytes(24).toString('base64url')}`;
  const prefix = `twocol${randomBytes(3).toString('hex')}`;
  const dirs: string[] = [];
  const children: ChildProcess[] = [];
  const urls: string[] = [];
  let h: Harness;

  before(async () => {
    for (let i = 0; i < 2; i++) {
      const dir = mkdtempSync(join(tmpdir(), 'bwk-col-'));
      dirs.push(dir);
      const collector = serviceScript('collector');
      const child = spawn(collector.command, collector.args, {
        cwd: root,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...scaleEnv(engine, prefix), BULWARK_DATA_DIR: dir, BULWARK_PORT: '0', BULWARK_HOST: '127.0.0.1', BULWARK_BOOTSTRAP_TOKEN: token },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      children.push(child);
      const { port } = await listeningPort(child);
      urls.push(`http://127.0.0.1:${port}`);
    }
    h = await startHarness(scaleEnv(engine, prefix));
  });
  after(async () => {
    await h?.close();
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('ingest the same retried batches with no duplicates', async () => {
    const batches = Array.from({ length: 6 }, (_, b) => batchOf('twocol', b, 100));
    const posts: Array<Promise<Response>> = [];
    for (const batch of batches) {
      // The same ids on both paths: `_id` on the bulk, `event.id` on the native route.
      const bulk = batch
        .flatMap((doc) => [JSON.stringify({ create: { _index: 'logs-twocol-default', _id: (doc.event as { id: string }).id } }), JSON.stringify(doc)])
        .join('\n') + '\n';
      for (const url of urls) {
        for (let retry = 0; retry < 2; retry++) {
          posts.push(fetch(`${url}/_bulk`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-ndjson' }, body: bulk }));
          posts.push(fetch(`${url}/v1/ingest/events`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: ndjson(batch) }));
        }
      }
    }
    const answers = await Promise.all(posts);
    for (const res of answers) {
      assert.equal(res.status, 200);
      if (res.url.endsWith('/_bulk')) {
        // A create of an id already stored (by this or the other collector) answers 409 per item, never a duplicate.
        const body = (await res.json()) as { items: Array<{ create: { status: number } }> };
        assert.ok(body.items.every((i) => i.create.status === 201 || i.create.status === 409));
      }
    }
    const ids = await idsEventually(h, 'event.dataset:twocol.test', 600);
    await sleep(1500); // anything duplicated would be visible by now
    assert.equal((await allIds(h, 'event.dataset:twocol.test')).length, 600);
    assert.equal(ids.length, 600);
    assert.equal(new Set(ids).size, 600);
  });
});

for (const engine of SEARCH_ENGINES) describe(`scale mode on ${engine.name}: mapping conflicts`, () => {
  let h: Harness;
  const prefix = `dlq${randomBytes(3).toString('hex')}`;
  before(async () => {
    h = await startHarness(scaleEnv(engine, prefix));
  });
  after(async () => h?.close());

  it('lands in the dead-letter index with its reason and is reported in its bulk item', async () => {
    const action = { create: { _index: 'logs-dlq-default' } };
    const res = await h.fetch('/_bulk', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-type': 'application/x-ndjson' },
      body: ndjson([
        action,
        { '@timestamp': '2026-11-29T12:00:00Z', message: 'fine', source: { ip: '10.1.2.3' } },
        action,
        // `http.response` is mapped as an object: a plain value there is a mapping conflict (a malformed number would
        // not be: the store keeps such events and skips the one value).
        { '@timestamp': '2026-11-29T12:00:01Z', message: 'conflict', http: { response: 'eighty' } },
        action,
        { '@timestamp': '2026-11-29T12:00:02Z', message: 'fine too' },
      ]),
    });
    assert.equal(res.status, 200);
    const body = (await res.json()) as { errors: boolean; items: Array<{ create: { status: number; _id: string; error?: { reason: string } } }> };
    assert.equal(body.errors, true);
    assert.deepEqual(body.items.map((i) => i.create.status), [201, 400, 201]);
    assert.match(body.items[1]!.create.error!.reason, /http\.response/);
    const badId = body.items[1]!.create._id;

    const os = engine.url();
    await fetch(`${os}/${prefix}-deadletter/_refresh`, { method: 'POST' });
    const dl = await fetch(`${os}/${prefix}-deadletter/_search`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: { match_all: {} } }),
    });
    const found = (await dl.json()) as { hits: { hits: Array<{ _source: Record<string, unknown> }> } };
    assert.equal(found.hits.hits.length, 1);
    const letter = JSON.stringify(found.hits.hits[0]!._source);
    assert.match(letter, /eighty/);
    assert.match(letter, new RegExp(badId));
    assert.equal((await idsEventually(h, 'event.dataset:dlq', 2)).length, 2);
  });
});

describe('scale mode on OpenSearch: Redis outage', () => {
  let h: Harness;
  let redis: ChildProcess | undefined;
  let port = 0;
  const prefix = `busout${randomBytes(3).toString('hex')}`;
  before(async () => {
    port = await freePort();
    // The bus points at a Redis that is not running yet.
    h = await startHarness({
      ...scaleEnv(OPENSEARCH, prefix),
      BULWARK_REDIS_URL: `redis://127.0.0.1:${port}`,
      BULWARK_BUS_PREFIX: prefix,
    });
  });
  after(async () => {
    await h?.close();
    redis?.kill('SIGKILL');
  });

  it('answers 503 BWK_BUS_UNAVAILABLE with Retry-After while Redis is down; the retry once it is back is published', async () => {
    const batch = batchOf('busout', 0, 20);
    const down = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, body: ndjson(batch) });
    assert.equal(down.status, 503);
    assert.equal(down.headers.get('retry-after'), '5');
    assert.equal(((await down.json()) as { error: { code: string } }).error.code, 'BWK_BUS_UNAVAILABLE');
    // The events are stored all the same (nothing was acknowledged, so the sender retries).
    assert.equal((await idsEventually(h, 'event.dataset:busout.test', 20)).length, 20);
    // Alert intake: the alert is stored, but its notice to the responders cannot be queued: 503, never a 500.
    const now = new Date().toISOString();
    const alert = { id: `busout-alert-${prefix}`, rule: { id: 'r', name: 'rule r', level: 'high', tags: [] }, severity: 'high', group_key: 'g', entity: { kind: 'user', value: 'u' }, first_seen: now, last_seen: now };
    const postAlert = () => h.fetch('/v1/alerts', { method: 'POST', token: h.tokens.alerts, headers: { 'content-type': 'application/json' }, body: JSON.stringify(alert) });
    const alertDown = await postAlert();
    assert.equal(alertDown.status, 503);
    assert.equal(((await alertDown.json()) as { error: { code: string } }).error.code, 'BWK_BUS_UNAVAILABLE');

    redis = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    let retry: Response | undefined;
    for (let attempt = 0; attempt < 100; attempt++) {
      retry = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, body: ndjson(batch) });
      if (retry.status === 200) break;
      await sleep(200);
    }
    assert.deepEqual(await retry!.json(), { accepted: 20, created: 0, duplicates: 20, rejected: 0 });

    // The sender's retry of the alert is a duplicate, and its notice now reaches the responders' queue.
    assert.equal((await postAlert()).status, 200);
    const responders = new BullmqJobQueue<{ kind: string; alertId?: string }>({ url: `redis://127.0.0.1:${port}`, name: 'responder', prefix });
    try {
      let noticed: (id: string | undefined) => void = () => {};
      const notice = new Promise<string | undefined>((resolve) => (noticed = resolve));
      await responders.process(async (job) => noticed(job.alertId));
      assert.equal(await notice, alert.id);
    } finally {
      await responders.close();
    }

    // The correlator's group receives the batch, with every event.
    const consumer = new BullmqBus({ url: `redis://127.0.0.1:${port}`, groups: ['correlator'], prefix });
    try {
      let received: (ids: string[]) => void = () => {};
      const batchSeen = new Promise<string[]>((resolve) => (received = resolve));
      await consumer.subscribe('correlator', async (b) => received(b.events.map((e) => e.id)));
      const got = await batchSeen;
      assert.deepEqual(got.sort(), batch.map((e) => (e.event as { id: string }).id).sort());
    } finally {
      await consumer.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer().once('error', reject).listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
