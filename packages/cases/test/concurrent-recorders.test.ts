// services: opensearch elasticsearch
/**
 * Suppression and grouping that hold across processes (docs/ARCHITECTURE.md, "Alerts and incidents": both decisions
 * are atomic across processes): two CaseService instances, each on its own
 * connection to one store — a SQLite file, and OpenSearch and Elasticsearch when their test services run — record one alert storm
 * between them at the same time, as two correlators taking turns at the bus's batches would. What they store must be
 * what one sequential recorder stores: one alert per episode of each rule and group key (its count and its folded
 * ids exactly the episode's repeats) and one incident per burst of each entity. Which alert of an episode recorded at
 * the same instant by both ends up holding it is a race by nature, so episodes are compared by their members. Fed the
 * same storm again, whole, by both at once, nothing changes: every replay is recognised.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Alert, AlertInput, Incident } from '@bulwark/schema';
import { CASE_COLLECTIONS, caseIndexName, SearchCaseStore, SqliteCaseStore, type CaseStore } from '@bulwark/store';
import { CaseService } from '../src/index.js';
import { claimId } from '../src/suppression.js';
import { suppressionKey } from '../src/alerts.js';
import { alertOf, at } from './helpers.js';

const WINDOWS = { suppressionWindowMs: 5 * 60_000, incidentWindowMs: 30 * 60_000, now: () => at(24 * 60) };

/**
 * Phases an hour or more apart, each a burst: every entity gets `rules` rules, each repeated `repeats` times a minute
 * apart. Within a phase every alert of a key is within the suppression window of every other, and every alert of an
 * entity within the incident window, so any order within a phase stores the same episodes and incidents.
 */
function storm(phases: number, pods: number, rules: number, repeats: number): AlertInput[][] {
  return Array.from({ length: phases }, (_, p) =>
    Array.from({ length: pods * rules * repeats }, (_, n) => {
      const pod = n % pods;
      const rule = Math.floor(n / pods) % rules;
      const repeat = Math.floor(n / (pods * rules));
      return alertOf(`st-${p}-${pod}-${rule}-${repeat}`, { pod: `pod-${pod}`, rule: `rule-${rule}`, minute: p * 90 + repeat });
    }),
  );
}

/** What a recorder stored, independent of which member holds an episode: episodes by members, incidents by episodes. */
async function outcome(store: CaseStore) {
  const alerts: Alert[] = [];
  for (let cursor: string | undefined, first = true; first || cursor; first = false) {
    const page = await store.query<Alert>('alerts', { size: 1000, ...(cursor ? { cursor } : {}) });
    alerts.push(...page.items.map((i) => i.record));
    cursor = page.cursor ?? undefined;
  }
  const members = (a: Alert) => [a.id, ...a.suppressed_ids].sort().join(',');
  const episodes = alerts.map((a) => `${members(a)} x${a.count}`).sort();
  const byIncident = new Map<string, string[]>();
  for (const a of alerts) byIncident.set(a.incident_id!, [...(byIncident.get(a.incident_id!) ?? []), members(a)]);
  const incidents = [];
  for (const [id, list] of byIncident) {
    const incident = (await store.get<Incident>('incidents', id))!.record;
    assert.equal(incident.alert_count, list.length, `incident ${id} counts each of its alerts once`);
    incidents.push(list.sort().join(' | '));
  }
  return { alerts: alerts.length, episodes, incidents: incidents.sort(), counted: alerts.every((a) => a.incident_counted !== false) };
}

async function recordAll(cases: CaseService, alerts: readonly AlertInput[]): Promise<void> {
  await Promise.all(alerts.map((a) => cases.recordAlert(a)));
}

async function sequentialOutcome(phases: AlertInput[][]) {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-seq-'));
  const store = new SqliteCaseStore({ path: join(dir, 'cases.db') });
  await store.init();
  try {
    const cases = new CaseService(store, WINDOWS);
    for (const alert of phases.flat()) await cases.recordAlert(alert);
    return await outcome(store);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Two recorders on two connections: each phase split between them, recorded at once; then all of it again by both. */
async function concurrentOutcome(open: () => CaseStore, phases: AlertInput[][]) {
  const [one, two] = [open(), open()];
  await Promise.all([one.init(), two.init()]);
  try {
    const a = new CaseService(one, WINDOWS);
    const b = new CaseService(two, WINDOWS);
    for (const phase of phases) {
      // Repeats alternate between the recorders, so both see every rule and pod: the first sightings of each race.
      const repeat = (alert: AlertInput) => Number(alert.id.split('-').pop());
      await Promise.all([recordAll(a, phase.filter((x) => repeat(x) % 2 === 0)), recordAll(b, phase.filter((x) => repeat(x) % 2 === 1))]);
    }
    const first = await outcome(one);
    await Promise.all([recordAll(a, phases.flat()), recordAll(b, phases.flat())]);
    return { first, replayed: await outcome(two) };
  } finally {
    await one.close();
    await two.close();
  }
}

type Outcome = Awaited<ReturnType<typeof outcome>>;

/** The storm's own shape (one alert per rule, pod and phase holding its repeats; one incident per pod and phase), then equality. */
function assertSameAsSequential(got: Outcome, want: Outcome, shape: { alerts: number; incidents: number; repeats: number }) {
  assert.equal(want.alerts, shape.alerts);
  assert.equal(want.incidents.length, shape.incidents);
  assert.ok(want.episodes.every((e) => e.endsWith(` x${shape.repeats}`)));
  assert.deepEqual(got, want);
}

describe('two recorders on one store', () => {
  it('SQLite file: the alert set, counts and incident membership of one sequential recorder', async () => {
    const phases = storm(3, 4, 2, 4);
    const shape = { alerts: 3 * 4 * 2, incidents: 3 * 4, repeats: 4 };
    const want = await sequentialOutcome(phases);
    const dir = mkdtempSync(join(tmpdir(), 'bwk-two-'));
    try {
      const got = await concurrentOutcome(() => new SqliteCaseStore({ path: join(dir, 'cases.db') }), phases);
      assertSameAsSequential(got.first, want, shape);
      assertSameAsSequential(got.replayed, want, shape);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  // On each search engine the test services run (both under `npm test`).
  const engines = [
    { kind: 'opensearch' as const, name: 'OpenSearch', url: process.env.OPENSEARCH_URL, variable: 'OPENSEARCH_URL' },
    { kind: 'elasticsearch' as const, name: 'Elasticsearch', url: process.env.ELASTICSEARCH_URL, variable: 'ELASTICSEARCH_URL' },
  ];
  for (const { kind, name, url, variable } of engines) {
    it(`${name}: the alert set, counts and incident membership of one sequential recorder`, async () => {
      // The file declares both engines: a missing one fails the run, saying how to get it (never a silent skip).
      assert.ok(url, `${variable} is not set: run test/services/up ${kind} (npm test does) and source test/.services.env`);
      const phases = storm(2, 3, 2, 3);
      const shape = { alerts: 2 * 3 * 2, incidents: 2 * 3, repeats: 3 };
      const want = await sequentialOutcome(phases);
      const prefix = `bwk-cases-${randomBytes(4).toString('hex')}`;
      try {
        const got = await concurrentOutcome(() => new SearchCaseStore({ engine: { kind, url: url! }, prefix, replicas: 0, refreshInterval: '100ms' }), phases);
        assertSameAsSequential(got.first, want, shape);
        assertSameAsSequential(got.replayed, want, shape);
      } finally {
        const indices = CASE_COLLECTIONS.map((c) => caseIndexName(prefix, c)).join(',');
        await fetch(`${url}/${indices}?ignore_unavailable=true`, { method: 'DELETE' });
      }
    });
  }
});

describe('two recorders opening an incident for one entity at once', () => {
  it('open one, also for alerts either side of any time boundary', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-inc-'));
    const [one, two] = [new SqliteCaseStore({ path: join(dir, 'cases.db') }), new SqliteCaseStore({ path: join(dir, 'cases.db') })];
    await Promise.all([one.init(), two.init()]);
    try {
      const a = new CaseService(one, WINDOWS);
      const b = new CaseService(two, WINDOWS);
      // Minutes 29 and 31 straddle a 30-minute boundary (an incident id derived from a time bucket would differ).
      const results = await Promise.all(Array.from({ length: 10 }, (_, n) => [
        a.recordAlert(alertOf(`edge-a-${n}`, { pod: `edge-${n}`, rule: 'r-a', minute: 29 })),
        b.recordAlert(alertOf(`edge-b-${n}`, { pod: `edge-${n}`, rule: 'r-b', minute: 31 })),
      ]).flat());
      for (let n = 0; n < 10; n++) {
        const [x, y] = [results[2 * n]!, results[2 * n + 1]!];
        assert.equal(x.incident_id, y.incident_id, `edge-${n}: one incident`);
        assert.equal((await one.get<Incident>('incidents', x.incident_id!))!.record.alert_count, 2);
      }
    } finally {
      await one.close();
      await two.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a suppression claim whose claimer died', () => {
  it('is taken over after the timeout by the next alert, and the claimer\'s replay folds into it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-claim-'));
    const store = new SqliteCaseStore({ path: join(dir, 'cases.db') });
    await store.init();
    try {
      const cases = new CaseService(store, { ...WINDOWS, suppressionClaimTimeoutMs: 300 });
      const ghost = alertOf('ghost', { pod: 'claim', minute: 0 });
      const key = suppressionKey('k8s-exec', 'prod/claim');
      // The claimer appended its claim, then died before creating the alert.
      await store.append('audit', {
        id: claimId(key, 0), at: at(24 * 60), actor: 'correlator', action: 'alert.suppression_claim', collection: 'alerts', target_id: 'ghost',
        before: null, after: { generation: 0, suppression_key: key }, suppression_key: key, generation: 0, received_at: at(0),
      });
      const started = Date.now();
      const next = await cases.recordAlert(alertOf('after-ghost', { pod: 'claim', minute: 1 }));
      assert.equal(next.outcome, 'created');
      assert.ok(Date.now() - started >= 250, 'it waited for the claimer before taking over');
      assert.equal((await store.get<{ id: string; target_id: string }>('audit', claimId(key, 1)))?.record.target_id, 'after-ghost');
      const replay = await cases.recordAlert(ghost);
      assert.equal(replay.outcome, 'suppressed');
      assert.equal(replay.alert.id, 'after-ghost');
      assert.equal(replay.alert.count, 2);
      assert.equal(await cases.getAlert('ghost'), null);
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('is finished by the claimer\'s own replay (the claim names its alert)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-claim-'));
    const store = new SqliteCaseStore({ path: join(dir, 'cases.db') });
    await store.init();
    try {
      const cases = new CaseService(store, WINDOWS);
      const key = suppressionKey('k8s-exec', 'prod/own');
      await store.append('audit', {
        id: claimId(key, 0), at: at(24 * 60), actor: 'correlator', action: 'alert.suppression_claim', collection: 'alerts', target_id: 'mine',
        before: null, after: { generation: 0, suppression_key: key }, suppression_key: key, generation: 0, received_at: at(0),
      });
      const replay = await cases.recordAlert(alertOf('mine', { pod: 'own', minute: 0 }));
      assert.equal(replay.outcome, 'created');
      assert.equal((await store.get('audit', claimId(key, 1))), null, 'no second claim');
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
