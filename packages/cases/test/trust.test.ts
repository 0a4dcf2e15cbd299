/**
 * What the case service takes from an alert's producer and what it decides itself (docs/ARCHITECTURE.md, "Provenance"
 * and "Alerts and incidents"): oversized
 * fields are cut and listed rather than refused; grouping and suppression go by receive times, so stated times in the
 * future hold nothing open; external alerts are recorded as external and cannot pass for Bulwark's own.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Alert, AlertInput, BulwarkError } from '@bulwark/schema';
import type { ExternalIntake } from '../src/index.js';
import { alertOf, at, openFixture, type Fixture } from './helpers.js';

const intake: ExternalIntake = { token: { id: 'tok-1', name: 'monitoring' }, route: '/v1/alerts', source: 'external', reservedRuleIds: new Set(['k8s-exec']) };

/** An alert as another tool posts it: no provenance, its own rule, stated at minute `minute`. */
function external(id: string, pod: string, minute: number, extra: Partial<AlertInput> = {}): AlertInput {
  const { provenance: _p, ...rest } = alertOf(id, { pod, rule: 'ext-rule', minute });
  return { ...rest, source: 'api', ...extra };
}

const badField = (field: string) => (err: BulwarkError) => err.status === 400 && err.details?.field === field;

describe('oversized alerts are recorded cut, and say so', () => {
  let f: Fixture;
  before(async () => {
    f = await openFixture();
  });
  after(async () => f.close());

  it('a 100 KB annotation, 5000 event ids, 300 labels and a dotted label name: recorded, with provenance.truncated', async () => {
    const labels = Object.fromEntries(Array.from({ length: 300 }, (_, i) => [`l${i}`, 'v']));
    const input = {
      ...alertOf('big-1', { pod: 'big' }),
      annotations: { description: 'x'.repeat(100_000), 'odd.key': 'kept' },
      event_ids: Array.from({ length: 5000 }, (_, i) => `ev-${i}`),
      labels: { 'a.b': 'dotted', ...labels },
    };
    const result = await f.cases.recordAlert(input);
    assert.equal(result.outcome, 'created');
    const stored = (await f.cases.getAlert('big-1'))!.record;
    assert.equal(stored.annotations!.description!.length, 8192);
    assert.equal(stored.annotations!['odd_key'], 'kept');
    assert.equal(stored.event_ids.length, 1000);
    assert.equal(stored.event_ids.at(-1), 'ev-4999', 'the latest event ids are kept');
    assert.equal(Object.keys(stored.labels).length, 256);
    assert.equal(stored.labels['a_b'], 'dotted');
    assert.deepEqual([...stored.provenance!.truncated!].sort(), ['annotations.description', 'annotations.odd.key', 'event_ids', 'labels', 'labels.a.b'].sort());
    assert.equal(stored.provenance!.origin, 'rule', 'the producer\'s provenance is kept');
    assert.deepEqual(stored.provenance!.sources, ['k8s-audit']);
  });

  it('what is not a size is still refused naming the field; so is an alert without an id', async () => {
    await assert.rejects(f.cases.recordAlert({ ...alertOf('bad-sev'), severity: 'severe' as never }), badField('severity'));
    await assert.rejects(f.cases.recordAlert({ ...alertOf('x'), id: undefined as never }), badField('id'));
    await assert.rejects(f.cases.recordAlert('not an alert' as never), (e: BulwarkError) => e.status === 400);
    await assert.rejects(f.cases.recordAlert({ ...alertOf('x'), id: 'i'.repeat(300) }), badField('id'));
  });

  it('an internal alert without provenance counts as untrusted log evidence received now', async () => {
    const { provenance: _p, ...bare } = alertOf('bare-1', { pod: 'bare' });
    await f.cases.recordAlert(bare);
    const stored = (await f.cases.getAlert('bare-1'))!.record;
    assert.deepEqual(stored.provenance, { origin: 'rule', sources: ['logs'], received_at: at(24 * 60) });
  });
});

describe('receive times decide grouping and suppression', () => {
  let f: Fixture;
  let minute = 0;
  before(async () => {
    f = await openFixture({ suppressionWindowMs: 5 * 60_000, incidentWindowMs: 30 * 60_000, maxClockSkewMs: 60_000, now: () => at(minute) });
  });
  after(async () => f.close());

  it('a planted alert stated a year ahead is clamped, and holds neither its incident nor its suppression window open', async () => {
    minute = 0;
    const year = 365 * 24 * 60;
    const decoy = await f.cases.recordExternalAlerts([external('decoy', 'victim', year, { first_seen: at(0) })], intake);
    const stored = (await f.cases.getAlert('decoy'))!.record;
    assert.equal(stored.last_seen, at(1), 'clamped to the receive time plus the skew');
    assert.equal(stored.annotations!['bulwark:stated_last_seen'], at(year), 'the stated time is kept for investigation');
    assert.equal(stored.provenance!.received_at, at(0));
    const incident = (await f.cases.getIncident(decoy[0]!.incident_id!)).record;
    assert.equal(incident.last_seen, at(1));
    assert.equal(incident.last_received_at, at(0));

    // Legitimate path: within the windows of the receive time, a repeat is folded and another rule's alert joins.
    minute = 2;
    const repeat = await f.cases.recordExternalAlerts([external('repeat-1', 'victim', year)], intake);
    assert.equal(repeat[0]!.outcome, 'suppressed');
    const near = await f.cases.recordAlert(alertOf('real-near', { pod: 'victim', rule: 'k8s-secret', minute: 2 }));
    assert.equal(near.incident_id, decoy[0]!.incident_id);

    // Beyond both windows of what was received, the decoy's stated year absorbs nothing.
    minute = 40;
    const later = await f.cases.recordExternalAlerts([external('repeat-2', 'victim', year)], intake);
    assert.equal(later[0]!.outcome, 'created', 'not suppressed by the decoy');
    const real = await f.cases.recordAlert(alertOf('real-late', { pod: 'victim', rule: 'k8s-exec', minute: 40 }));
    assert.notEqual(real.incident_id, decoy[0]!.incident_id, 'not absorbed into the decoy\'s incident');
    assert.equal(later[0]!.incident_id, real.incident_id);
  });

  it('a producer stamp ahead of this clock is bounded by it too', async () => {
    minute = 100;
    await f.cases.recordAlert({ ...alertOf('ahead', { pod: 'ahead', minute: 500 }) });
    const stored = (await f.cases.getAlert('ahead'))!.record;
    assert.equal(stored.provenance!.received_at, at(101));
    assert.equal(stored.last_seen, at(102));
  });
});

describe('external alerts', () => {
  let f: Fixture;
  before(async () => {
    f = await openFixture({ now: () => at(0) });
  });
  after(async () => f.close());

  it('are recorded external, with the token, route, receive time and untrusted fields', async () => {
    const [result] = await f.cases.recordExternalAlerts([external('ext-1', 'web', 0)], intake);
    assert.equal(result!.outcome, 'created');
    const stored: Alert = (await f.cases.getAlert('ext-1'))!.record;
    assert.deepEqual(stored.provenance, {
      origin: 'external', sources: ['external'], received_at: at(0), token: { id: 'tok-1', name: 'monitoring' }, route: '/v1/alerts',
      untrusted: ['entity', 'annotations', 'labels'],
    });
    assert.equal(stored.source, 'api');
  });

  it('cannot claim provenance, source rule, one of Bulwark\'s rule ids or alert ids; nothing of the list is stored', async () => {
    const ok = external('ext-ok', 'web', 0);
    const refused: Array<[AlertInput, string]> = [
      [{ ...external('ext-p', 'web', 0), provenance: { origin: 'rule', sources: ['k8s-audit'], received_at: at(0) } }, '1.provenance'],
      [external('ext-s', 'web', 0, { source: 'rule' }), '1.source'],
      [external('ext-am', 'web', 0, { source: 'alertmanager' }), '1.source'],
      [external('ext-r', 'web', 0, { rule: { id: 'k8s-exec', name: 'mine', level: 'critical' } }), '1.rule.id'],
      [external('ext-n', 'web', 0, { rule: { id: 'alertmanager:KubePodCrashLooping', name: 'x', level: 'low' } }), '1.rule.id'],
      [external('alr-0123', 'web', 0), '1.id'],
    ];
    for (const [bad, field] of refused) await assert.rejects(f.cases.recordExternalAlerts([ok, bad], intake, { list: true }), badField(field));
    assert.equal(await f.cases.getAlert('ext-ok'), null);
  });
});
