// services: process
/**
 * Detection end to end, embedded mode: an attack posted to the collector as Kubernetes audit events (exec into a pod →
 * secret read → cluster-admin binding, one user, minutes apart) is stored, read by the in-process correlator through
 * the store-backed bus, and becomes one incident holding the alerts, seen through the API. A webhook retry of the same
 * EventList adds no alert.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCorrelator } from '@bulwark/correlator';
import { startHarness, type Harness } from '../support/harness.js';
import { alertsOf as alertsIn, attack, expectAttackIncident, userIncidents as incidentsOf } from '../support/attack.js';

describe('detection in embedded mode: collector → bus → correlator → incident', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({}, { correlator: { pollIntervalMs: 50 } });
  });
  after(() => h.close());

  const json = async <T>(path: string): Promise<T> => {
    const res = await h.fetch(path, { token: h.tokens.read });
    assert.equal(res.status, 200, `${path} -> ${res.status}`);
    return (await res.json()) as T;
  };
  const userIncidents = () => incidentsOf(json);
  const alertsOf = (id: string) => alertsIn(json, id);
  const post = (body: unknown) =>
    h.fetch('/v1/ingest/k8s-audit', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  /** Resolves once the correlator has acknowledged every stored event. */
  const drained = async (): Promise<void> => {
    const bus = h.embedded!.bus;
    const max = (await json<{ hits: unknown[] }>('/v1/search?q=*&size=1000')).hits.length;
    const deadline = Date.now() + 10_000;
    while (bus.committedSeq('correlator') < max) {
      if (Date.now() > deadline) throw new Error(`correlator stuck at seq ${bus.committedSeq('correlator')} of ${max}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  it('one incident for the user holds the alerts of every rule that fired and the multi-stage breach, at the highest severity', async () => {
    const res = await post(attack);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: 3, created: 3, duplicates: 0, rejected: 0 });
    await expectAttackIncident(json);
  });

  it('a webhook retry of the same EventList adds no alert', async () => {
    const before = await userIncidents();
    const alertsBefore = (await alertsOf(before[0]!.id)).map((a) => a.id).sort();
    const res = await post(attack);
    assert.deepEqual(await res.json(), { accepted: 3, created: 0, duplicates: 3, rejected: 0 });
    await drained();
    await new Promise((r) => setTimeout(r, 200));
    const after = await userIncidents();
    assert.deepEqual(after.map((i) => [i.id, i.alert_count]), before.map((i) => [i.id, i.alert_count]));
    assert.deepEqual((await alertsOf(after[0]!.id)).map((a) => a.id).sort(), alertsBefore);
  });

  it('replaying the whole stream through a second correlator group records nothing new (deterministic alert ids)', async () => {
    const before = await userIncidents();
    const alertsBefore = (await alertsOf(before[0]!.id)).map((a) => a.id).sort();
    const bus = h.embedded!.bus;
    const replay = await startCorrelator({ bus, cases: h.deps.caseService, logger: h.deps.logger, group: 'correlator-replay' });
    try {
      const deadline = Date.now() + 10_000;
      while (bus.committedSeq('correlator-replay') < bus.committedSeq('correlator')) {
        assert.ok(Date.now() < deadline, 'the replay group caught up');
        await new Promise((r) => setTimeout(r, 25));
      }
      assert.equal(replay.stats.events, 3);
      assert.equal(replay.stats.failures, 0);
    } finally {
      await replay.close();
    }
    const after = await userIncidents();
    assert.deepEqual(after.map((i) => [i.id, i.alert_count]), before.map((i) => [i.id, i.alert_count]));
    assert.deepEqual((await alertsOf(after[0]!.id)).map((a) => a.id).sort(), alertsBefore);
  });
});

describe('detection in embedded mode: restarts', () => {
  it('open correlation windows survive a restart: the breach completed after it still fires', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-restart-'));
    const steps = attack.items;
    const postItems = (h: Harness, items: unknown[]) =>
      h.fetch('/v1/ingest/k8s-audit', {
        method: 'POST',
        token: h.tokens.ingest,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ ...attack, items }),
      });
    try {
      // Exec and secret read, then a restart: the multi-stage window is open, its last step not yet seen.
      const first = await startHarness({ BULWARK_DATA_DIR: dir }, { correlator: { pollIntervalMs: 50 } });
      try {
        assert.equal((await postItems(first, steps.slice(0, 2))).status, 200);
        const deadline = Date.now() + 10_000;
        while (first.embedded!.bus.committedSeq('correlator') < 2) {
          assert.ok(Date.now() < deadline, 'the correlator took the first two steps');
          await new Promise((r) => setTimeout(r, 25));
        }
      } finally {
        await first.close();
      }
      const second = await startHarness({ BULWARK_DATA_DIR: dir }, { correlator: { pollIntervalMs: 50 } });
      try {
        assert.equal((await postItems(second, steps.slice(2))).status, 200);
        const get = async <T>(path: string): Promise<T> => (await (await second.fetch(path, { token: second.tokens.read })).json()) as T;
        await expectAttackIncident(get);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('detection in embedded mode: deployment settings', () => {
  it('rules from detection.rules_dir use expand placeholders and logsource rows from the config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-rules-'));
    writeFileSync(
      join(dir, 'admin_login.yml'),
      [
        'title: Break-glass account used',
        'id: 6a1c3f0e-5d2b-4c7e-9f10-2b3c4d5e6f70',
        'logsource: { product: vault, service: audit }',
        'detection:',
        "  sel: { user.name|expand: '%breakglass%' }",
        '  condition: sel',
        'level: high',
        '',
      ].join('\n'),
    );
    const config = join(mkdtempSync(join(tmpdir(), 'bwk-cfg-')), 'bulwark.yaml');
    writeFileSync(
      config,
      `detection:\n  rules_dir: ${dir}\n  placeholders:\n    breakglass: [root-emergency, ops-breakglass]\n  logsources:\n    - product: vault\n      service: audit\n      datasets: [vault.audit]\n`,
    );
    const h = await startHarness({ BULWARK_CONFIG: config }, { correlator: { pollIntervalMs: 50 } });
    try {
      const events = ['ops-breakglass', 'alice'].map((user, i) => ({
        '@timestamp': new Date().toISOString(),
        event: { id: `vault-${i}`, dataset: 'vault.audit' },
        user: { name: user },
        message: `login ${user}`,
      }));
      const res = await h.fetch('/v1/ingest/events', { method: 'POST', token: h.tokens.ingest, body: JSON.stringify(events) });
      assert.equal(res.status, 200);
      const deadline = Date.now() + 10_000;
      let alerts: Array<{ rule: { id: string }; entity: { value: string } }> = [];
      while (Date.now() < deadline) {
        alerts = ((await (await h.fetch('/v1/alerts', { token: h.tokens.read })).json()) as { items: typeof alerts }).items;
        if (alerts.length > 0 && h.embedded!.bus.committedSeq('correlator') >= 2) break;
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.deepEqual(alerts.map((a) => [a.rule.id, a.entity.value]), [['6a1c3f0e-5d2b-4c7e-9f10-2b3c4d5e6f70', 'ops-breakglass']]);
    } finally {
      await h.close();
      rmSync(dir, { recursive: true, force: true });
      rmSync(config, { force: true });
    }
  });
});

describe('npm start correlator thread', () => {
  it('a correlator thread that dies is started again and resumes where it stopped, windows included', async () => {
    // The thread as `npm start` composes it: the collector's stored batches wake it, its alerts reach this process.
    const h = await startHarness({}, { correlator: { thread: true } });
    try {
      const thread = h.thread!;
      const post = (items: unknown[]) =>
        h.fetch('/v1/ingest/k8s-audit', {
          method: 'POST',
          token: h.tokens.ingest,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ ...attack, items }),
        });
      const get = async <T>(path: string): Promise<T> => (await (await h.fetch(path, { token: h.tokens.read })).json()) as T;
      assert.equal((await post(attack.items.slice(0, 2))).status, 200);
      // The exec alert shows the thread took the first steps.
      const deadline = Date.now() + 10_000;
      while ((await get<{ items: unknown[] }>('/v1/alerts')).items.length < 2) {
        assert.ok(Date.now() < deadline, 'the thread recorded the first two alerts');
        await new Promise((r) => setTimeout(r, 50));
      }
      const dead = thread.worker;
      await dead.terminate();
      assert.equal((await post(attack.items.slice(2))).status, 200);
      await expectAttackIncident(get, 20_000);
      assert.equal(thread.restarts, 1);
      assert.notEqual(thread.worker, dead);
    } finally {
      await h.close();
    }
  });
});
