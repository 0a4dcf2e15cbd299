// services: redis
/**
 * The scale-mode shape of the dead-letter and of concurrent batches (docs/ARCHITECTURE.md, "Detection never
 * stalls"): BullMQ on the real Redis, the
 * window state in Redis, one correlator handling four batches at once. The poison is a real refusal by the case store
 * (a trigger aborting the insert of the alert built from one event).
 *
 * Before the fix, correlation alerts produced by concurrent batches went through one shared queue, and two handlers
 * flushing it at once could each record the head and each remove one entry — dropping an alert nobody recorded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { Queue } from 'bullmq';
import { BullmqBus, queueNameOf } from '@bulwark/bus';
import { CaseService } from '@bulwark/cases';
import { RedisCorrelationState } from '@bulwark/bus';
import { SqliteCaseStore, type SerializedEvent } from '@bulwark/store';
import { startCorrelator, type Correlator } from '../src/index.js';
import { auditEvent, refusePoisonAlerts, sleep, writeExecRules } from './poison-fixtures.js';

const REDIS_URL = process.env.REDIS_URL;
if (!REDIS_URL) throw new Error('REDIS_URL is not set: run test/services/up redis && source test/.services.env');

const USERS = 8;

// Received a minute apart, as the collector stamps it: suppression and grouping go by receive time.
const event = (id: string, minute: number, user: string): SerializedEvent => auditEvent(id, minute, user, { receivedAfterMs: 100, userField: false });

describe('correlator on BullMQ: concurrency 4, a poison event first in a batch', () => {
  const run = randomBytes(4).toString('hex');
  const group = `correlator-${run}`;
  const prefix = `bwk-dl-${run}`;
  let dir: string;
  let caseStore: SqliteCaseStore;
  let bus: BullmqBus;
  let state: RedisCorrelationState;
  let correlator: Correlator;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-dl-bullmq-'));
    writeExecRules(dir, '02');
    const path = join(dir, 'cases.db');
    caseStore = new SqliteCaseStore({ path });
    await caseStore.init();
    refusePoisonAlerts(path);
    bus = new BullmqBus({ url: REDIS_URL, groups: [group], prefix, onHandlerError: () => {} });
    state = new RedisCorrelationState(REDIS_URL, { prefix: `${prefix}:correlation:` });
    correlator = await startCorrelator({
      bus,
      group,
      // No suppression: every alert stands alone, so the expected set is exact whatever order batches finish in.
      cases: new CaseService(caseStore, { suppressionWindowMs: 0 }),
      logger: pino({ level: 'silent' }),
      rulesDir: dir,
      state,
      concurrency: 4,
      allowedLatenessMs: 3_600_000,
    });
  });

  after(async () => {
    await correlator?.close();
    await bus?.close();
    await state?.close();
    const queue = new Queue(queueNameOf(group), { connection: { url: REDIS_URL, maxRetriesPerRequest: null }, prefix });
    await queue.obliterate({ force: true });
    await queue.close();
    await caseStore?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('records every alert of every batch exactly once and dead-letters only the poison', async () => {
    // One batch per user (a user's events stay in order), six execs each: six rule alerts and two correlations.
    const batches = Array.from({ length: USERS }, (_, u) => ({
      id: `batch-${run}-${u}`,
      events: [
        ...(u === 0 ? [event(`poison-${run}`, 0, 'mallory')] : []),
        ...Array.from({ length: 6 }, (_, i) => event(`e-${u}-${i}`, i, `user-${u}`)),
      ],
    }));
    await Promise.all(batches.map((b) => bus.publish(b)));
    const deadline = Date.now() + 30_000;
    while (correlator.stats.batches < USERS) {
      assert.ok(Date.now() < deadline, `every batch acknowledged: ${JSON.stringify(correlator.stats)}`);
      await sleep(50);
    }
    const alerts = (await caseStore.query<{ id: string; event_ids: string[]; group_key: string }>('alerts', { size: 1000 })).items.map((i) => i.record);
    const rule = alerts.filter((a) => a.id.startsWith('alr-'));
    assert.deepEqual(
      rule.flatMap((a) => a.event_ids).sort(),
      batches.flatMap((b) => b.events.map((e) => e.id)).filter((id) => !id.startsWith('poison')).sort(),
      'one rule alert per event after (and beside) the poison',
    );
    const correlations = alerts.filter((a) => a.id.startsWith('cor-'));
    for (let u = 0; u < USERS; u++) {
      assert.equal(correlations.filter((a) => a.group_key === JSON.stringify([`user-${u}`])).length, 2, `two correlations for user-${u}`);
    }
    assert.equal(correlations.length, 2 * USERS);
    const dead = (await caseStore.query<{ id: string; event_id: string; code: string; batch_id: string }>('deadletter', { size: 10 })).items.map((i) => i.record);
    assert.deepEqual(dead.map((d) => [d.event_id, d.code, d.batch_id]), [[`poison-${run}`, 'SQLITE_CONSTRAINT_TRIGGER', `batch-${run}-0`]]);
    assert.equal(correlator.stats.failures, 0, 'no batch was given back to the bus');
    assert.equal(correlator.stats.dead_lettered, 1);
    assert.equal(correlator.stats.events, USERS * 6 + 1);
  });
});
