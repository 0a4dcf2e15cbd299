/**
 * What keeps recording cheap under an alert storm, and exact across crashes: documents stay bounded however many
 * alerts are recorded, and a replay after a crash between any two of the writes of grouping or suppression records
 * nothing twice (the counts stay exact), also once the bounded recent lists no longer hold the alert.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AlertSchema, type Alert, type Incident } from '@bulwark/schema';
import { MAX_SUPPRESSED_IDS } from '../src/index.js';
import { MAX_RECENT_ALERT_IDS } from '../src/grouping.js';
import { suppressionAuditId, suppressionKey } from '../src/alerts.js';
import { alertOf, incidentAlertIds, openFixture } from './helpers.js';

/** An alert as the service stores it before grouping (the first write of a recording that then crashed). */
const storedAlert = (input: ReturnType<typeof alertOf>, extra: Partial<Alert> = {}): Alert => {
  const parsed = AlertSchema.parse(input);
  return { ...parsed, suppression_key: suppressionKey(parsed.rule.id, parsed.group_key), ...extra };
};

describe('recording under a storm', () => {
  it('keeps incident and alert documents bounded, while counts, lists and timelines stay exact', async () => {
    const f = await openFixture();
    try {
      const n = MAX_RECENT_ALERT_IDS + 30;
      for (let i = 0; i < n; i++) await f.cases.recordAlert(alertOf(`b-${i}`, { pod: 'big', rule: `r-${i}` }));
      const repeats = MAX_SUPPRESSED_IDS + 20;
      for (let i = 0; i < repeats; i++) await f.cases.recordAlert(alertOf(`rep-${i}`, { pod: 'big', rule: 'r-0' }));
      const id = (await f.cases.getAlert('b-0'))!.record.incident_id!;
      const stored = (await f.store.get<Incident>('incidents', id))!.record;
      assert.equal(stored.alert_count, n);
      assert.equal(stored.recent_alert_ids!.length, MAX_RECENT_ALERT_IDS);
      assert.equal(stored.timeline.length, 0, 'alert entries are not stored');
      const shown = (await f.cases.getIncident(id)).record;
      assert.equal(shown.timeline.filter((t) => t.kind === 'alert').length, n);
      assert.equal((await incidentAlertIds(f, id)).length, n);
      const folded = (await f.cases.getAlert('b-0'))!.record;
      assert.equal(folded.count, 1 + repeats);
      assert.equal(folded.suppressed_ids.length, MAX_SUPPRESSED_IDS);
      // The first repeats left the bounded list long ago; their replays are still recognised.
      const replay = await f.cases.recordAlert(alertOf('rep-0', { pod: 'big', rule: 'r-0' }));
      assert.equal(replay.outcome, 'duplicate');
      assert.equal(replay.alert.id, 'b-0');
      assert.equal((await f.cases.getAlert('b-0'))!.record.count, 1 + repeats);
      const suppress = await f.store.get<{ id: string; action: string; target_id: string }>('audit', suppressionAuditId('rep-0'));
      assert.equal(suppress?.record.action, 'alert.suppress');
      assert.equal(suppress?.record.target_id, 'b-0');
    } finally {
      await f.close();
    }
  });
});

describe('recording after a crash', () => {
  it('between claiming an incident and counting the alert in it: the replay counts it once', async () => {
    const f = await openFixture();
    try {
      const first = await f.cases.recordAlert(alertOf('cl-1', { pod: 'claim', rule: 'a' }));
      // The second alert's create (claiming the incident) committed, then the process died.
      await f.store.create('alerts', storedAlert(alertOf('cl-2', { pod: 'claim', rule: 'b' }), { incident_id: first.incident_id, incident_counted: false }));
      for (let i = 0; i < 2; i++) {
        const replay = await f.cases.recordAlert(alertOf('cl-2', { pod: 'claim', rule: 'b' }));
        assert.equal(replay.outcome, 'duplicate');
        assert.equal(replay.incident_id, first.incident_id);
      }
      assert.equal((await f.cases.getIncident(first.incident_id!)).record.alert_count, 2);
      assert.equal((await f.cases.getAlert('cl-2'))!.record.incident_counted, true);
    } finally {
      await f.close();
    }
  });

  it('between counting and confirming, with the alert gone from the recent list: the replay recounts exactly', async () => {
    const f = await openFixture();
    try {
      const first = await f.cases.recordAlert(alertOf('cc-0', { pod: 'count', rule: 'r-0' }));
      // Counted (alert_count and recent list updated) but never confirmed on the alert.
      await f.store.create('alerts', storedAlert(alertOf('cc-x', { pod: 'count', rule: 'x' }), { incident_id: first.incident_id, incident_counted: false }));
      const inc = (await f.store.get<Incident>('incidents', first.incident_id!))!;
      await f.store.update('incidents', inc.record.id, { ...inc.record, alert_count: 2, recent_alert_ids: ['cc-0', 'cc-x'] }, { expectedVersion: inc.version });
      for (let i = 1; i <= MAX_RECENT_ALERT_IDS + 5; i++) await f.cases.recordAlert(alertOf(`cc-${i}`, { pod: 'count', rule: `r-${i}` }));
      const before = (await f.store.get<Incident>('incidents', first.incident_id!))!.record;
      assert.ok(!before.recent_alert_ids!.includes('cc-x'));
      const replay = await f.cases.recordAlert(alertOf('cc-x', { pod: 'count', rule: 'x' }));
      assert.equal(replay.outcome, 'duplicate');
      const total = MAX_RECENT_ALERT_IDS + 7;
      assert.equal((await f.cases.getIncident(first.incident_id!)).record.alert_count, total);
      assert.equal((await incidentAlertIds(f, first.incident_id!)).length, total);
    } finally {
      await f.close();
    }
  });

  it('between folding a repeat and its audit record: the replay is a duplicate and the record is written', async () => {
    const f = await openFixture();
    try {
      await f.cases.recordAlert(alertOf('fo-1', { pod: 'fold' }));
      const target = (await f.cases.getAlert('fo-1'))!;
      await f.store.update('alerts', 'fo-1', { ...target.record, count: 2, suppressed_ids: ['fo-2'] }, { expectedVersion: target.version });
      const replay = await f.cases.recordAlert(alertOf('fo-2', { pod: 'fold', minute: 1 }));
      assert.equal(replay.outcome, 'duplicate');
      assert.equal((await f.cases.getAlert('fo-1'))!.record.count, 2);
      assert.equal((await f.store.get<{ id: string; target_id: string }>('audit', suppressionAuditId('fo-2')))?.record.target_id, 'fo-1');
    } finally {
      await f.close();
    }
  });

  it('a merge interrupted before the alerts moved: the target lists and counts them, and a replay stays with it', async () => {
    const f = await openFixture();
    try {
      const a = await f.cases.recordAlert(alertOf('mv-a', { pod: 'mv-a' }));
      const b = await f.cases.recordAlert(alertOf('mv-b', { pod: 'mv-b' }));
      const target = await f.cases.getIncident(a.incident_id!);
      await f.cases.merge({ id: target.record.id, expectedVersion: target.version, actor: 'carol' }, b.incident_id!);
      // Undo the move, as if the process had died before it.
      const moved = (await f.cases.getAlert('mv-b'))!;
      await f.store.update('alerts', 'mv-b', { ...moved.record, incident_id: b.incident_id }, { expectedVersion: moved.version });
      assert.deepEqual((await incidentAlertIds(f, a.incident_id!)).sort(), ['mv-a', 'mv-b']);
      const shown = (await f.cases.getIncident(a.incident_id!)).record;
      assert.equal(shown.alert_count, 2);
      assert.deepEqual(shown.timeline.filter((t) => t.kind === 'alert').map((t) => t.ref).sort(), ['mv-a', 'mv-b']);
    } finally {
      await f.close();
    }
  });
});
