/** Recording alerts on the SQLite CaseStore: idempotency, suppression, grouping by entity, severity max. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AlertSchema, BulwarkError, type Alert } from '@bulwark/schema';
import { alertOf, incidentAlertIds, openFixture, type Fixture } from './helpers.js';

describe('recordAlert', () => {
  let f: Fixture;
  before(async () => {
    f = await openFixture({ suppressionWindowMs: 5 * 60_000, incidentWindowMs: 30 * 60_000 });
  });
  after(async () => f.close());

  it('is idempotent: the same id twice (or concurrently) stores one alert and one incident membership', async () => {
    const first = await f.cases.recordAlert(alertOf('a-1', { pod: 'idem' }));
    assert.equal(first.outcome, 'created');
    assert.ok(first.incident_id);
    const results = await Promise.all([1, 2, 3].map(() => f.cases.recordAlert(alertOf('a-1', { pod: 'idem' }))));
    assert.deepEqual(results.map((r) => r.outcome), ['duplicate', 'duplicate', 'duplicate']);
    const alerts = await f.store.query<Alert>('alerts', { filter: { 'entity.value': 'idem' }, size: 10 });
    assert.equal(alerts.items.length, 1);
    assert.equal(alerts.items[0]!.record.count, 1);
    const incident = await f.cases.getIncident(first.incident_id!);
    assert.equal(incident.record.alert_count, 1);
    assert.deepEqual(await incidentAlertIds(f, first.incident_id!), ['a-1']);
    assert.deepEqual(incident.record.timeline.map((t) => [t.kind, t.ref]), [['alert', 'a-1']]);
  });

  it('suppresses the same rule and group key within the window: one alert, count and last_seen updated', async () => {
    await f.cases.recordAlert(alertOf('s-1', { pod: 'supp', minute: 0 }));
    const second = await f.cases.recordAlert(alertOf('s-2', { pod: 'supp', minute: 3 }));
    assert.equal(second.outcome, 'suppressed');
    assert.equal(second.alert.id, 's-1');
    assert.equal(second.alert.count, 2);
    assert.equal(second.alert.last_seen, alertOf('x', { minute: 3 }).last_seen);
    assert.deepEqual(second.alert.event_ids, ['ev-s-1', 'ev-s-2']);
    // A replay of the suppressed alert is recognised, not counted again.
    const replay = await f.cases.recordAlert(alertOf('s-2', { pod: 'supp', minute: 3 }));
    assert.equal(replay.outcome, 'duplicate');
    assert.equal(replay.alert.count, 2);
    assert.equal(await f.cases.getAlert('s-2'), null);
    // Beyond the window (5 min after last_seen at minute 3), a new alert is stored.
    const late = await f.cases.recordAlert(alertOf('s-3', { pod: 'supp', minute: 9 }));
    assert.equal(late.outcome, 'created');
    // A different group key is never suppressed.
    const other = await f.cases.recordAlert(alertOf('s-4', { pod: 'supp', minute: 9, group: 'other' }));
    assert.equal(other.outcome, 'created');
    const incident = await f.cases.getIncident(late.incident_id!);
    assert.equal(incident.record.alert_count, 3, 's-1, s-3 and s-4: the suppressed s-2 is not an alert of its own');
    assert.equal(incident.record.last_seen, alertOf('x', { minute: 9 }).last_seen);
  });

  it('groups alerts by entity within the incident window; severity is the maximum', async () => {
    const a = await f.cases.recordAlert(alertOf('g-1', { pod: 'grp', rule: 'r1', minute: 0, severity: 'low' }));
    const b = await f.cases.recordAlert(alertOf('g-2', { pod: 'grp', rule: 'r2', minute: 10, severity: 'critical' }));
    const c = await f.cases.recordAlert(alertOf('g-3', { pod: 'grp', rule: 'r3', minute: 20, severity: 'medium' }));
    assert.equal(a.incident_id, b.incident_id);
    assert.equal(a.incident_id, c.incident_id);
    const incident = (await f.cases.getIncident(a.incident_id!)).record;
    assert.equal(incident.severity, 'critical');
    assert.equal(incident.alert_count, 3);
    assert.deepEqual(incident.timeline.filter((t) => t.kind === 'alert').map((t) => t.ref), ['g-1', 'g-2', 'g-3']);
    const stored = await f.cases.getAlert('g-2');
    assert.equal(stored!.record.incident_id, a.incident_id);
    // Another entity gets its own incident; the same entity far outside the window too.
    const elsewhere = await f.cases.recordAlert(alertOf('g-4', { pod: 'other-pod', rule: 'r1', minute: 0 }));
    assert.notEqual(elsewhere.incident_id, a.incident_id);
    const later = await f.cases.recordAlert(alertOf('g-5', { pod: 'grp', rule: 'r1', minute: 200 }));
    assert.notEqual(later.incident_id, a.incident_id);
  });

  it('concurrent alerts about one new entity create one incident', async () => {
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) => f.cases.recordAlert(alertOf(`c-${i}`, { pod: 'race', rule: `rule-${i}`, minute: i }))),
    );
    const ids = new Set(results.map((r) => r.incident_id));
    assert.equal(ids.size, 1);
    const incident = (await f.cases.getIncident([...ids][0]!)).record;
    assert.equal(incident.alert_count, 8);
    assert.equal(new Set(await incidentAlertIds(f, incident.id)).size, 8);
  });

  it('a resolved incident does not take new alerts: a new one is opened', async () => {
    const first = await f.cases.recordAlert(alertOf('r-1', { pod: 'closed', minute: 0 }));
    const inc = await f.cases.getIncident(first.incident_id!);
    await f.cases.setStatus({ id: inc.record.id, expectedVersion: inc.version, actor: 'alice' }, 'resolved', 'false positive');
    const next = await f.cases.recordAlert(alertOf('r-2', { pod: 'closed', rule: 'other', minute: 1 }));
    assert.notEqual(next.incident_id, first.incident_id);
    assert.equal((await f.cases.getIncident(next.incident_id!)).record.status, 'open');
  });

  it('rejects a bad alert with a 400 naming the field', async () => {
    await assert.rejects(
      f.cases.recordAlert({ ...alertOf('bad'), severity: 'severe' as never }),
      (err: BulwarkError) => err.status === 400 && err.details?.field === 'severity',
    );
    await assert.rejects(
      f.cases.recordAlert({ ...alertOf('bad'), entity: { kind: 'workload' } as never }),
      (err: BulwarkError) => err.status === 400 && err.details?.field === 'entity.value',
    );
    assert.equal(await f.cases.getAlert('bad'), null);
    const audit = await f.store.query('audit', { filter: { target_id: 'bad' }, size: 1 });
    assert.equal(audit.items.length, 0);
  });

  it('appends an audit record for each recorded alert, beside the claim of its suppression episode', async () => {
    const page = await f.store.query<{ id: string; action: string; target_id: string; actor: string }>('audit', {
      filter: { target_id: 'a-1' },
      size: 10,
    });
    assert.deepEqual(page.items.map((i) => i.record.action).sort(), ['alert.record', 'alert.suppression_claim']);
    assert.ok(page.items.every((i) => i.record.actor === 'correlator'));
  });
});

describe('recordAlert after a crash', () => {
  it('a replay finishes grouping an alert stored before the crash', async () => {
    const f = await openFixture();
    try {
      // The first attempt stored the alert, then stopped before grouping it.
      await f.store.create('alerts', AlertSchema.parse(alertOf('crash-1', { pod: 'crash' })));
      const replay = await f.cases.recordAlert(alertOf('crash-1', { pod: 'crash' }));
      assert.equal(replay.outcome, 'duplicate');
      assert.ok(replay.incident_id);
      const incident = await f.cases.getIncident(replay.incident_id!);
      assert.deepEqual(await incidentAlertIds(f, replay.incident_id!), ['crash-1']);
      assert.equal(incident.record.alert_count, 1);
      assert.equal((await f.cases.getAlert('crash-1'))!.record.incident_id, replay.incident_id);
    } finally {
      await f.close();
    }
  });

  it('concurrent first sightings of one rule and group key: one alert holds them all', async () => {
    const f = await openFixture();
    try {
      const results = await Promise.all(Array.from({ length: 5 }, (_, i) => f.cases.recordAlert(alertOf(`first-${i}`, { pod: 'first', minute: i }))));
      assert.deepEqual(results.map((r) => r.outcome).sort(), ['created', 'suppressed', 'suppressed', 'suppressed', 'suppressed']);
      const page = await f.store.query<Alert>('alerts', { filter: { 'entity.value': 'first' }, size: 10 });
      assert.equal(page.items.length, 1);
      assert.equal(page.items[0]!.record.count, 5);
    } finally {
      await f.close();
    }
  });

  it('concurrent repeats of one rule and group key: each counted once', async () => {
    const f = await openFixture();
    try {
      await f.cases.recordAlert(alertOf('rep-0', { pod: 'rep', minute: 0 }));
      const repeats = Array.from({ length: 6 }, (_, i) => alertOf(`rep-${i + 1}`, { pod: 'rep', minute: 1 }));
      await Promise.all([...repeats, ...repeats].map((a) => f.cases.recordAlert(a)));
      const stored = await f.cases.getAlert('rep-0');
      assert.equal(stored!.record.count, 7);
      assert.equal(stored!.record.suppressed_ids.length, 6);
    } finally {
      await f.close();
    }
  });
});
