/**
 * Issue 4 acceptance, embedded mode: an attack posted to the collector as Kubernetes audit events (exec into a pod →
 * secret read → cluster-admin binding, one user, minutes apart) is stored, read by the in-process correlator through
 * the store-backed bus, and becomes one incident holding the alerts, seen through the API. A webhook retry of the same
 * EventList adds no alert.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { Severities, type Severity } from '@bulwark/schema';
import { CaseService } from '@bulwark/cases';
import { startCorrelator } from '@bulwark/correlator';
import { startHarness, type Harness } from '../support/harness.js';

const USER = 'dev-mallory@example.com';
const t0 = Date.now() - 5 * 60_000;
const iso = (offsetMs: number): string => new Date(t0 + offsetMs).toISOString();

function auditEvent(n: number, offsetMs: number, fields: Record<string, unknown>): Record<string, unknown> {
  return {
    level: 'RequestResponse',
    auditID: `7d2c9a40-1b3e-4f6a-8c5d-00000000000${n}`,
    stage: 'ResponseComplete',
    user: { username: USER, groups: ['developers', 'system:authenticated'] },
    sourceIPs: ['203.0.113.45'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc',
    requestReceivedTimestamp: iso(offsetMs),
    stageTimestamp: iso(offsetMs + 40),
    annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "dev"' },
    ...fields,
  };
}

const attack = {
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items: [
    auditEvent(1, 0, {
      requestURI: '/api/v1/namespaces/payments/pods/api-7f9c/exec?command=sh&container=api&stdin=true&tty=true',
      verb: 'create',
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'api-7f9c', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 101 },
    }),
    auditEvent(2, 2 * 60_000, {
      requestURI: '/api/v1/namespaces/payments/secrets/db-credentials',
      verb: 'get',
      objectRef: { resource: 'secrets', namespace: 'payments', name: 'db-credentials', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 200 },
    }),
    auditEvent(3, 4 * 60_000, {
      requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      verb: 'create',
      objectRef: { resource: 'clusterrolebindings', name: 'mallory-admin', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: {
        kind: 'ClusterRoleBinding',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        metadata: { name: 'mallory-admin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: USER }],
      },
    }),
  ],
};

/** The bundled rules the three events must fire (pod_exec_attach, secret_read, cluster_admin_binding). */
const EXPECTED_RULES = [
  '1fea1988-ca78-480b-a140-a99798d3a434',
  '38eaadf0-deca-408e-8a4e-5ed4da013046',
  '7988ddd7-3007-4e87-b02a-71430693cb09',
];

interface IncidentSummary {
  id: string;
  severity: Severity;
  alert_count: number;
  entity: { kind: string; value: string };
}
interface AlertItem {
  id: string;
  annotations?: Record<string, string>;
  severity: Severity;
  rule: { id: string; level: Severity };
  entity: { kind: string; value: string };
}

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
  const userIncidents = async (): Promise<IncidentSummary[]> =>
    (await json<{ items: IncidentSummary[] }>('/v1/incidents')).items.filter((i) => i.entity.kind === 'user' && i.entity.value === USER);
  const alertsOf = async (id: string): Promise<AlertItem[]> =>
    (await json<{ items: AlertItem[] }>(`/v1/incidents/${id}/alerts?size=100`)).items;
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

  it('one incident for the user holds the alerts of every rule that fired, at their highest severity', async () => {
    const res = await post(attack);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { accepted: 3, created: 3, duplicates: 0, rejected: 0 });

    const multiStage = h.embedded!.correlator.rules.correlations.find((c) => c.type === 'temporal_ordered' && c.level === 'critical');
    const wanted = EXPECTED_RULES.length + (multiStage ? 1 : 0);
    const deadline = Date.now() + 10_000;
    let incidents: IncidentSummary[] = [];
    while (Date.now() < deadline) {
      incidents = await userIncidents();
      if (incidents.length === 1 && incidents[0]!.alert_count >= wanted) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(incidents.length, 1, `one incident for ${USER}: ${JSON.stringify(incidents)}`);
    const incident = incidents[0]!;
    assert.ok(incident.alert_count >= 3, `alert_count ${incident.alert_count}`);

    const alerts = await alertsOf(incident.id);
    assert.equal(alerts.length, incident.alert_count);
    const ruleIds = new Set(alerts.map((a) => a.rule.id));
    for (const id of EXPECTED_RULES) assert.ok(ruleIds.has(id), `rule ${id} fired: ${[...ruleIds].join(', ')}`);
    const max = alerts.map((a) => a.severity).reduce((a, b) => (Severities.indexOf(a) >= Severities.indexOf(b) ? a : b));
    assert.equal(incident.severity, max);
    assert.ok(Severities.indexOf(incident.severity) >= Severities.indexOf('high'), `severity ${incident.severity}`);
    for (const alert of alerts) assert.deepEqual(alert.entity, { kind: 'user', value: USER });
    if (multiStage) {
      const critical = alerts.find((a) => a.rule.id === (multiStage.id ?? multiStage.name ?? multiStage.title));
      assert.ok(critical, 'the multi-stage breach correlation fired');
      assert.equal(critical.severity, 'critical');
      assert.equal(critical.annotations?.pod, 'payments/api-7f9c', 'the correlation alert names the pod');
      assert.equal(incident.severity, 'critical');
    }
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
    const replay = await startCorrelator({ bus, cases: new CaseService(h.deps.cases), logger: h.deps.logger, group: 'correlator-replay' });
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
