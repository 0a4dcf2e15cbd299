// services: redis
/**
 * First-seen rules (`new_terms`) in the correlator: after learning the stored history of its window, a rule alerts
 * once for a user × verb × resource it has not seen and never for one it has — across a restart (embedded mode: the
 * bus, the events and the learned combinations in one SQLite file) and across two correlator processes sharing the
 * scale-mode state in the real Redis (each batch handled by either; one alert per new combination whatever the order).
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Queue } from 'bullmq';
import { BullmqBus, LocalBus, queueNameOf, RedisCorrelationState } from '@bulwark/bus';
import { CaseService } from '@bulwark/cases';
import { BlockLogStore, SqliteCaseStore, SqliteCorrelationState, type SerializedEvent } from '@bulwark/store';
import { startCorrelator, type Correlator } from '../src/index.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) throw new Error('REDIS_URL is not set: run test/services/up redis && source test/.services.env');

const RULE_ID = '3c1d5e0a-6f7b-4c2d-9e8f-0a1b2c3d4e5f';
const RULE = `title: First time a user does this to a secret
id: ${RULE_ID}
logsource: { product: kubernetes, service: audit }
detection:
  selection: { objectRef.resource: secrets }
  condition: selection
new_terms:
  fields: [user.username, verb, objectRef.resource]
  history_window: 14d
level: low
`;

function audit(id: string, user: string, verb: string, agoMs: number): SerializedEvent {
  const at = Date.now() - agoMs;
  const doc = {
    '@timestamp': new Date(at).toISOString(),
    event: { id, dataset: 'kubernetes.audit', kind: 'event', ingested: new Date(at + 100).toISOString() },
    kubernetes: { audit: { verb, user: { username: user }, objectRef: { resource: 'secrets', namespace: 'shop' } } },
    bulwark: { provenance: { source: 'k8s-audit' } },
  };
  return { id, ts: at, dataset: 'kubernetes.audit', doc: JSON.stringify(doc), message: null };
}

const DAY = 86_400_000;
const logger = pino({ level: 'silent' });
const waitFor = async (what: string, probe: () => Promise<boolean>) => {
  const deadline = Date.now() + 20_000;
  while (!(await probe())) {
    assert.ok(Date.now() < deadline, what);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('first-seen rules: embedded mode, across a restart', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-newterms-'));
  const path = join(dir, 'bulwark.db');
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('learns the window, alerts once per new user × verb × resource, and a restart remembers', async () => {
    writeFileSync(join(dir, 'first_seen.yml'), RULE);
    const store = new BlockLogStore({ path });
    await store.init();
    const caseStore = new SqliteCaseStore({ path });
    await caseStore.init();
    const cases = new CaseService(caseStore, { suppressionWindowMs: 0 });
    // History: alice has read secrets and bob listed them within the last two weeks.
    await store.appendSerialized([audit(`h1-${dir}`, 'alice', 'get', 3 * DAY), audit(`h2-${dir}`, 'bob', 'list', 2 * DAY)]);
    const alerts = async () => (await caseStore.query<{ id: string; event_ids: string[] }>('alerts', { filter: { 'rule.id': RULE_ID }, size: 100 })).items.map((a) => a.record.event_ids[0]);
    const start = async (): Promise<{ correlator: Correlator; bus: LocalBus; state: SqliteCorrelationState; seen: () => Promise<number> }> => {
      const bus = new LocalBus({ path, pollIntervalMs: 20 });
      const state = new SqliteCorrelationState(path);
      const correlator = await startCorrelator({ bus, cases, logger, rulesDir: dir, state, events: store });
      return { correlator, bus, state, seen: async () => correlator.stats.events };
    };
    let run = await start();
    await store.appendSerialized([audit('e1', 'alice', 'get', 1000), audit('e2', 'carol', 'get', 900), audit('e3', 'carol', 'get', 800), audit('e4', 'carol', 'delete', 700)]);
    await waitFor('six events evaluated', async () => (await run.seen()) >= 6);
    assert.deepEqual((await alerts()).sort(), ['e2', 'e4'], 'carol get and carol delete are new; alice get was learned; carol get again is not');
    await run.correlator.close();
    await run.bus.close();
    await run.state.close();

    run = await start();
    await store.appendSerialized([audit('e5', 'carol', 'get', 600), audit('e6', 'dave', 'get', 500), audit('e7', 'bob', 'list', 400)]);
    await waitFor('three more events evaluated', async () => (await run.seen()) >= 3);
    assert.deepEqual((await alerts()).sort(), ['e2', 'e4', 'e6'], 'after the restart only dave is new');
    await run.correlator.close();
    await run.bus.close();
    await run.state.close();
    await caseStore.close();
    await store.close();
  });
});

describe('first-seen rules: two correlator processes on BullMQ and Redis', () => {
  const tag = randomBytes(4).toString('hex');
  const group = `correlator-nt-${tag}`;
  const prefix = `bwk-nt-${tag}`;
  const dir = mkdtempSync(join(tmpdir(), 'bwk-newterms-redis-'));
  after(async () => {
    const queue = new Queue(queueNameOf(group), { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('one alert per new combination, whichever process handles which batch', async () => {
    writeFileSync(join(dir, 'first_seen.yml'), RULE);
    const caseStore = new SqliteCaseStore({ path: join(dir, 'cases.db') });
    await caseStore.init();
    const cases = new CaseService(caseStore, { suppressionWindowMs: 0 });
    const processes = await Promise.all([0, 1].map(async () => {
      const bus = new BullmqBus({ url: REDIS_URL, groups: [group], prefix });
      const state = new RedisCorrelationState(REDIS_URL, { prefix: `${prefix}:correlation:` });
      const correlator = await startCorrelator({ bus, group, cases, logger, rulesDir: dir, state, concurrency: 2 });
      return { bus, state, correlator };
    }));
    // Every event its own batch, published at once: the two processes race for the same new combinations.
    const events = [['x1', 'erin', 'get'], ['x2', 'erin', 'get'], ['x3', 'erin', 'get'], ['x4', 'frank', 'list'], ['x5', 'frank', 'list'], ['x6', 'erin', 'list']] as const;
    await Promise.all(events.map(([id, user, verb], i) => processes[i % 2]!.bus.publish({ id: `b-${tag}-${id}`, events: [audit(`${id}-${tag}`, user, verb, 1000 - i)] })));
    await waitFor('all six evaluated', async () => processes.reduce((n, p) => n + p.correlator.stats.events, 0) >= 6);
    const alerts = (await caseStore.query<{ id: string; event_ids: string[] }>('alerts', { filter: { 'rule.id': RULE_ID }, size: 100 })).items.map((a) => a.record.event_ids[0]!);
    const byTerm = new Map<string, number>();
    for (const id of alerts) {
      const [, user, verb] = events.find(([e]) => id === `${e}-${tag}`)!;
      byTerm.set(`${user} ${verb}`, (byTerm.get(`${user} ${verb}`) ?? 0) + 1);
    }
    assert.deepEqual(Object.fromEntries([...byTerm].sort()), { 'erin get': 1, 'erin list': 1, 'frank list': 1 }, JSON.stringify(alerts));
    for (const p of processes) {
      await p.correlator.close();
      await p.bus.close();
      await p.state.close();
    }
    await caseStore.close();
  });
});
