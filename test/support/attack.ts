/**
 * The breach the bundled rules and correlations must catch end to end, as the Kubernetes API server's audit webhook
 * posts it: one user execs into a pod, reads a secret, then binds themself to cluster-admin, minutes apart. Shared by the embedded and the
 * scale-mode end-to-end suites, with the check both make through the API.
 */
import assert from 'node:assert/strict';
import { Severities, type Severity } from '@bulwark/schema';

export const USER = 'dev-mallory@example.com';
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

export const attack = {
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
export const EXPECTED_RULES = [
  '1fea1988-ca78-480b-a140-a99798d3a434',
  '38eaadf0-deca-408e-8a4e-5ed4da013046',
  '7988ddd7-3007-4e87-b02a-71430693cb09',
];

export interface IncidentSummary {
  id: string;
  severity: Severity;
  alert_count: number;
  entity: { kind: string; value: string };
}
export interface AlertItem {
  id: string;
  annotations?: Record<string, string>;
  severity: Severity;
  rule: { id: string; level: Severity };
  entity: { kind: string; value: string };
}

/** The multi-stage breach correlation (rules/correlations/multi_stage_breach.yml), level critical. */
export const MULTI_STAGE_RULE_ID = '4aa803c5-0e2f-4d2d-9bdd-9b1c4faf63ba';

export type GetJson = <T>(path: string) => Promise<T>;

export const userIncidents = async (get: GetJson): Promise<IncidentSummary[]> =>
  (await get<{ items: IncidentSummary[] }>('/v1/incidents?size=100')).items.filter((i) => i.entity.kind === 'user' && i.entity.value === USER);

export const alertsOf = async (get: GetJson, incidentId: string): Promise<AlertItem[]> =>
  (await get<{ items: AlertItem[] }>(`/v1/incidents/${incidentId}/alerts?size=100`)).items;

/**
 * Waits (up to `timeoutMs`) for the attack's incident and asserts it: exactly one incident for the user, holding the
 * three rule alerts and the critical multi-stage breach alert naming the pod, at the highest severity.
 */
export async function expectAttackIncident(get: GetJson, timeoutMs = 15_000): Promise<{ incident: IncidentSummary; alerts: AlertItem[] }> {
  const wanted = EXPECTED_RULES.length + 1;
  const deadline = Date.now() + timeoutMs;
  let incidents: IncidentSummary[] = [];
  while (Date.now() < deadline) {
    incidents = await userIncidents(get);
    if (incidents.length === 1 && incidents[0]!.alert_count >= wanted) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.equal(incidents.length, 1, `one incident for ${USER}: ${JSON.stringify(incidents)}`);
  const incident = incidents[0]!;
  assert.equal(incident.alert_count, wanted, `alert_count ${incident.alert_count}`);
  const alerts = await alertsOf(get, incident.id);
  assert.equal(alerts.length, incident.alert_count);
  const ruleIds = new Set(alerts.map((a) => a.rule.id));
  for (const id of [...EXPECTED_RULES, MULTI_STAGE_RULE_ID]) assert.ok(ruleIds.has(id), `rule ${id} fired: ${[...ruleIds].join(', ')}`);
  const max = alerts.map((a) => a.severity).reduce((a, b) => (Severities.indexOf(a) >= Severities.indexOf(b) ? a : b));
  assert.equal(incident.severity, max);
  for (const alert of alerts) assert.deepEqual(alert.entity, { kind: 'user', value: USER });
  const critical = alerts.find((a) => a.rule.id === MULTI_STAGE_RULE_ID)!;
  assert.equal(critical.severity, 'critical');
  assert.equal(critical.annotations?.pod, 'payments/api-7f9c', 'the correlation alert names the pod');
  assert.equal(incident.severity, 'critical');
  return { incident, alerts };
}
