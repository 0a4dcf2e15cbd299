/** The Alertmanager webhook mapping and its recording: ids, severities, entities, times, resolve without firing. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BulwarkError } from '@bulwark/schema';
import { AlertmanagerPayload, alertmanagerAlertId, fingerprintOf, fromAlertmanager, parseOrThrow } from '../src/index.js';
import { openFixture, type Fixture } from './helpers.js';

const base = {
  status: 'firing' as const,
  labels: { alertname: 'ProbeFailure', instance: 'https://server.example.org', job: 'http_checks', severity: 'critical' },
  annotations: { summary: 'BlackBox Probe Failure' },
  startsAt: '2023-02-06T13:08:45.828266876Z',
  endsAt: '0001-01-01T00:00:00Z',
  generatorURL: 'http://prometheus.example.org:9090/graph',
  fingerprint: '1a30ba71cca2921f',
};

describe('Alertmanager mapping', () => {
  it('maps a v4 alert to ours: severity, entity, nanosecond times, url', () => {
    const alert = fromAlertmanager(base, '2023-02-06T13:10:00.000Z');
    assert.equal(alert.severity, 'critical');
    assert.equal(alert.rule.id, 'alertmanager:ProbeFailure');
    assert.deepEqual(alert.entity, { kind: 'workload', value: 'https://server.example.org' });
    assert.equal(alert.first_seen, '2023-02-06T13:08:45.828Z');
    assert.equal(alert.last_seen, '2023-02-06T13:10:00.000Z');
    assert.equal(alert.status, 'open');
    assert.equal(alert.resolved_at, null);
    assert.equal(alert.url, base.generatorURL);
    assert.equal(alert.group_key, '1a30ba71cca2921f');
  });

  it('ids: the fingerprint and startsAt; repeats share one, a later firing gets another', () => {
    assert.equal(alertmanagerAlertId(base), alertmanagerAlertId({ ...base, status: 'resolved', endsAt: '2023-02-06T14:00:00Z' }));
    assert.notEqual(alertmanagerAlertId(base), alertmanagerAlertId({ ...base, startsAt: '2023-02-07T13:08:45Z' }));
    const { fingerprint: _f, ...noFingerprint } = base;
    assert.equal(fingerprintOf(noFingerprint), fingerprintOf({ ...noFingerprint, labels: { ...Object.fromEntries(Object.entries(base.labels).reverse()) } }));
  });

  it('Kubernetes labels name a workload; warning is medium; odd label names are made safe', () => {
    const alert = fromAlertmanager(
      { ...base, labels: { alertname: 'X', namespace: 'payments', pod: 'checkout-1', severity: 'Warning', 'odd.label': 'v' } },
      base.startsAt,
    );
    assert.deepEqual(alert.entity, { kind: 'workload', namespace: 'payments', value: 'checkout-1' });
    assert.equal(alert.severity, 'medium');
    assert.equal(alert.labels!['odd_label'], 'v');
  });

  it('refuses payloads that are not version 4, naming the field', () => {
    assert.throws(
      () => parseOrThrow(AlertmanagerPayload, { version: '3', status: 'firing', alerts: [base] }, 'BWK_INGEST_BAD_FIELD'),
      (e: BulwarkError) => e.code === 'BWK_INGEST_BAD_FIELD' && e.details?.field === 'version',
    );
  });
});

describe('recordAlertmanager', () => {
  let f: Fixture;
  before(async () => {
    f = await openFixture();
  });
  after(async () => f.close());

  it('firing, repeated, resolved; a resolve never seen firing is stored resolved and opens no incident', async () => {
    const payload = { version: '4' as const, status: 'firing' as const, alerts: [base] };
    assert.deepEqual(await f.cases.recordAlertmanager(payload, 'am'), { received: 1, created: 1, duplicates: 0, resolved: 0 });
    assert.deepEqual(await f.cases.recordAlertmanager(payload, 'am'), { received: 1, created: 0, duplicates: 1, resolved: 0 });
    const resolved = { version: '4' as const, status: 'resolved' as const, alerts: [{ ...base, status: 'resolved' as const, endsAt: '2023-02-06T14:00:00Z' }] };
    assert.deepEqual(await f.cases.recordAlertmanager(resolved, 'am'), { received: 1, created: 0, duplicates: 0, resolved: 1 });
    const stored = await f.cases.getAlert(alertmanagerAlertId(base));
    assert.equal(stored!.record.status, 'resolved');
    assert.equal(stored!.record.resolved_at, '2023-02-06T14:00:00.000Z');
    // Resolving twice is a no-op.
    assert.deepEqual(await f.cases.recordAlertmanager(resolved, 'am'), { received: 1, created: 0, duplicates: 0, resolved: 1 });

    const unseen = { ...base, status: 'resolved' as const, fingerprint: 'ffff', startsAt: '2023-02-06T10:00:00Z', endsAt: '2023-02-06T11:00:00Z' };
    const r = await f.cases.recordAlertmanager({ version: '4', status: 'resolved', alerts: [unseen] }, 'am');
    assert.deepEqual(r, { received: 1, created: 1, duplicates: 0, resolved: 1 });
    const stub = await f.cases.getAlert(alertmanagerAlertId(unseen));
    assert.equal(stub!.record.status, 'resolved');
    assert.equal(stub!.record.incident_id, null);
  });
});
