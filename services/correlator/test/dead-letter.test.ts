/**
 * Detection never stalls (docs/ARCHITECTURE.md, "Detection never stalls"), on the real embedded pieces: the SQLite log
 * store, `LocalBus` (the outbox cursor), the SQLite case store and the case service. The poison is a real refusal — a
 * trigger on the case table that aborts the insert of the alert built from one event — so the correlator sees exactly
 * what a store refusing a record produces; the outage is the case store's connection really being closed and reopened.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { LocalBus } from '@bulwark/bus';
import { CaseService } from '@bulwark/cases';
import { InMemoryCorrelationState } from '@bulwark/detection';
import { SqliteCaseStore, BlockLogStore, type SerializedEvent } from '@bulwark/store';
import { startCorrelator, type Correlator } from '../src/index.js';
import { auditEvent, refusePoisonAlerts, sleep, T0, writeExecRules } from './poison-fixtures.js';

const event = (id: string, minute: number, user: string, source = 'k8s-audit'): SerializedEvent => auditEvent(id, minute, user, { source });
async function until(what: string, check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await sleep(20);
  }
}

describe('correlator: poison events are dead-lettered, outages are redelivered (LocalBus, SQLite)', () => {
  let dir: string;
  let path: string;
  let logs: BlockLogStore;
  let caseStore: SqliteCaseStore;
  let bus: LocalBus;
  let correlator: Correlator;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-dead-letter-'));
    path = join(dir, 'bulwark.db');
    writeExecRules(dir, '01');
    logs = new BlockLogStore({ path });
    await logs.init();
    caseStore = new SqliteCaseStore({ path, busyTimeoutMs: 200 });
    await caseStore.init();
    // The store refuses the alert of any event whose id starts with `poison` (SQLITE_CONSTRAINT_TRIGGER).
    refusePoisonAlerts(path);
    bus = new LocalBus({ path, pollIntervalMs: 20, onHandlerError: () => {} });
    correlator = await startCorrelator({
      bus,
      cases: new CaseService(caseStore),
      logger: pino({ level: 'silent' }),
      rulesDir: dir,
      state: new InMemoryCorrelationState(),
      events: logs,
      concurrency: 4,
      allowedLatenessMs: 3_600_000,
    });
  });

  after(async () => {
    await correlator?.close();
    await bus?.close();
    await caseStore?.close();
    await logs?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const publish = async (events: SerializedEvent[]) => {
    await logs.appendSerialized(events);
    await bus.publish({ id: 'any', events });
  };
  const alertIds = async () => (await caseStore.query('alerts', { size: 1000 })).items.map((i) => i.record.id);

  it('a batch whose first event breaks alert recording still records the alerts of the events after it', async () => {
    await publish([event('poison-1', 0, 'mallory'), event('a-1', 1, 'alice'), event('a-2', 2, 'alice'), event('a-3', 3, 'alice')]);
    await until('the batch is acknowledged', () => bus.committedSeq('correlator') >= 4);
    const alerts = (await caseStore.query<{ id: string; event_ids: string[]; count: number; provenance?: unknown }>('alerts', { size: 100 })).items.map((i) => i.record);
    const rule = alerts.filter((a) => a.id.startsWith('alr-'));
    assert.deepEqual(rule.flatMap((a) => a.event_ids).sort(), ['a-1', 'a-2', 'a-3'], 'the three exec alerts after the poison (folded by suppression)');
    assert.equal(alerts.filter((a) => a.id.startsWith('cor-')).length, 1, 'the correlation completed by a-3');
    const dead = (await caseStore.query<{ id: string } & Record<string, unknown>>('deadletter', { size: 10 })).items.map((i) => i.record);
    assert.equal(dead.length, 1);
    assert.equal(dead[0]!.event_id, 'poison-1');
    assert.equal(dead[0]!.code, 'SQLITE_CONSTRAINT_TRIGGER');
    assert.equal(dead[0]!.stage, 'record');
    assert.equal(dead[0]!.rule_id, '0b7c1f52-3a43-4f0e-9c43-4d6f4c1a0101');
    assert.match(String(dead[0]!.reason), /refused: poisoned alert/);
    assert.match(String(dead[0]!.event_excerpt), /"poison-1"/);
    assert.equal(correlator.stats.dead_lettered, 1);
    assert.equal(correlator.stats.retried, 1, 'one quick retry of refused data before the dead-letter');
    assert.equal(correlator.stats.failures, 0, 'the batch was never given back to the bus');
  });

  it('alerts carry the provenance of their evidence: source kinds and the time Bulwark received it', async () => {
    await publish([event('b-1', 20, 'bob', 'logs'), event('b-2', 21, 'bob'), event('b-3', 22, 'bob'), event('d-1', 23, 'dave')]);
    await until('the batch is acknowledged', () => bus.committedSeq('correlator') >= 8);
    const alerts = (await caseStore.query<{ id: string; event_ids: string[]; provenance: { sources: string[]; received_at: string; origin: string } }>('alerts', { size: 100 }))
      .items.map((i) => i.record);
    const correlation = alerts.find((a) => a.id.startsWith('cor-') && a.event_ids.includes('b-3'))!;
    assert.deepEqual(correlation.provenance.sources, ['k8s-audit', 'logs'], 'a window holding a log-sourced event is not trusted evidence');
    assert.equal(correlation.provenance.origin, 'rule');
    assert.equal(correlation.provenance.received_at, new Date(T0 + 22 * 60_000 + 500).toISOString(), 'the latest event.ingested');
    const bob = alerts.find((a) => a.id.startsWith('alr-') && a.event_ids.includes('b-1'))!;
    assert.ok(bob.provenance.sources.includes('logs'), `the exec alert of a log-sourced event says so: ${JSON.stringify(bob.provenance)}`);
    const dave = alerts.find((a) => a.id.startsWith('alr-') && a.event_ids.includes('d-1'))!;
    assert.deepEqual(dave.provenance, { origin: 'rule', sources: ['k8s-audit'], received_at: new Date(T0 + 23 * 60_000 + 500).toISOString() });
  });

  it('an outage of the case store redelivers the batch and dead-letters nothing; the alerts arrive once it is back', async () => {
    const before = { ...correlator.stats };
    const committed = bus.committedSeq('correlator');
    await caseStore.close();
    await publish([event('c-1', 40, 'carol'), event('c-2', 41, 'carol'), event('c-3', 42, 'carol')]);
    await until('a failed delivery', () => correlator.stats.failures > before.failures);
    await sleep(300);
    assert.equal(bus.committedSeq('correlator'), committed, 'nothing acknowledged during the outage');
    assert.equal(correlator.stats.dead_lettered, before.dead_lettered, 'an outage dead-letters nothing');
    assert.equal(correlator.stats.last_failure?.code, 'BWK_STORE_UNAVAILABLE');
    await caseStore.init(); // the store is back
    await until('the redelivered batch is acknowledged', () => bus.committedSeq('correlator') >= committed + 3, 15_000);
    const ids = await alertIds();
    const carol = (await caseStore.query<{ id: string; event_ids: string[] }>('alerts', { size: 100 })).items.map((i) => i.record).filter((a) => a.event_ids.some((e) => e.startsWith('c-')));
    assert.deepEqual(carol.filter((a) => a.id.startsWith('alr-')).flatMap((a) => a.event_ids).sort(), ['c-1', 'c-2', 'c-3']);
    assert.equal(carol.filter((a) => a.id.startsWith('cor-')).length, 1);
    assert.equal(new Set(ids).size, ids.length);
    assert.equal((await caseStore.query('deadletter', { size: 10 })).items.length, 1, 'still only the poison');
  });
});
