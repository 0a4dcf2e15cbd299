/**
 * The incident timeline and report assembled over real stores: run on the embedded SQLite stores
 * (incident-timeline.test.ts) and on OpenSearch (incident-timeline-opensearch.test.ts), since the surrounding-event
 * search goes through each engine's own translation of the query.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { AlertInput, Event, EventProvenance, SourceKind } from '@bulwark/schema';
import type { CaseStore, LogStore } from '@bulwark/store';
import { CaseService, assembleIncidentTimeline, buildIncidentReport, type IncidentTimeline, type TimelineLane } from '../src/index.js';
import { surroundingEvents } from '../src/timeline-surroundings.js';

export interface TimelineStoresFixture {
  cases: CaseStore;
  logs: LogStore;
  close(): Promise<void>;
}

export const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();
const MALLORY = 'dev-mallory@example.com';
const POD_UID = '5f0c1c2e-7a41-4c55-9c1e-0a9e1d2b3c4d';
const SHORT_CONTAINER = 'abcdef012345';
const FULL_CONTAINER = `${SHORT_CONTAINER}${'9'.repeat(52)}`;
export const SCRIPT = '<script>alert(document.cookie)</script>';

function provenance(source: SourceKind): EventProvenance {
  return { route: `/v1/ingest/${source}`, protocol: source, source, token: { id: 'tok-1', name: 'shipper' }, token_sources: [source] };
}

function audit(id: string, minute: number, user: string, verb: string, ref: Record<string, unknown>, extra: Record<string, unknown> = {}): Event {
  const pod = ref.resource === 'pods' ? { pod: { name: ref.name as string } } : {};
  return {
    '@timestamp': at(minute),
    message: `${user} ${verb} ${String(ref.resource)} ${String(ref.namespace ?? '')}/${String(ref.name ?? '')}`,
    event: { id, dataset: 'kubernetes.audit', action: verb, kind: 'event' },
    user: { name: user },
    source: { ip: user === MALLORY ? '10.0.0.7' : '10.0.9.9' },
    orchestrator: { type: 'kubernetes', ...(ref.namespace ? { namespace: ref.namespace as string } : {}) },
    kubernetes: { ...(ref.namespace ? { namespace: ref.namespace as string } : {}), ...pod, audit: { verb, objectRef: ref, user: { username: user }, ...extra } },
    bulwark: { provenance: provenance('k8s-audit') },
  } as Event;
}

function falco(id: string, minute: number, pod: string, container: string): Event {
  return {
    '@timestamp': at(minute),
    message: `Terminal shell in container (pod ${pod})`,
    event: { id, dataset: 'falco.alert', kind: 'alert' },
    user: { name: 'root' },
    container: { id: container },
    kubernetes: { namespace: 'payments', pod: { name: pod, ...(pod === 'api-7f9c' ? { uid: POD_UID } : {}) } },
    bulwark: { provenance: provenance('falco') },
  } as Event;
}

function logLine(id: string, minute: number, pod: string, message: string, container?: string): Event {
  return {
    '@timestamp': at(minute),
    message,
    event: { id, dataset: 'kubernetes.container_logs' },
    kubernetes: { namespace: 'payments', pod: { name: pod }, container: { name: 'api' } },
    ...(container ? { container: { id: container } } : {}),
    bulwark: { provenance: provenance('logs') },
  } as Event;
}

/** The attack's events, the ones around it, and the ones a correct timeline must leave out. */
export const EVENTS: Event[] = [
  audit('au-create', 0, MALLORY, 'create', { resource: 'pods', namespace: 'payments', name: 'api-7f9c' }, {
    requestObject: { spec: { serviceAccountName: 'api-sa' } },
    responseObject: { metadata: { uid: POD_UID } },
  }),
  audit('au-exec', 2, MALLORY, 'create', { resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'api-7f9c' }),
  audit('au-list', 3, MALLORY, 'list', { resource: 'secrets', namespace: 'payments' }),
  audit('au-sa', 5, 'system:serviceaccount:payments:api-sa', 'get', { resource: 'secrets', namespace: 'payments', name: 'db' }),
  audit('au-early', -60, MALLORY, 'get', { resource: 'pods', namespace: 'payments' }),
  audit('au-bob', 3, 'bob@example.com', 'get', { resource: 'secrets', namespace: 'payments', name: 'db' }),
  falco('fa-shell', 4, 'api-7f9c', SHORT_CONTAINER),
  falco('fa-other', 4, 'web-1', 'ffffff000000'),
  logLine('lg-pod', 1, 'api-7f9c', `GET /health ${SCRIPT} [click](https://evil.example/x) ![x](https://evil.example/i.png) <https://evil.example> www.evil.example`, FULL_CONTAINER),
  logLine('lg-other', 1, 'web-1', 'GET /health from another pod'),
];

function alert(id: string, minute: number, events: string[], entity: AlertInput['entity'], annotations: Record<string, string> = {}, source: SourceKind = 'k8s-audit'): AlertInput {
  return {
    id,
    rule: { id: `rule-${id}`, name: `rule ${id}`, level: 'high', tags: [] },
    severity: 'high',
    entity,
    event_ids: events,
    first_seen: at(minute),
    last_seen: at(minute),
    source: 'rule',
    annotations,
    provenance: { origin: 'rule', sources: [source], received_at: at(minute) },
  };
}

const lane = (t: IncidentTimeline, id: string): TimelineLane => t.lanes.find((l) => l.id === id)!;
const refs = (t: IncidentTimeline, id: string): string[] => lane(t, id).items.map((i) => i.ref);
const sorted = (l: TimelineLane): boolean => l.items.every((item, i) => i === 0 || Date.parse(l.items[i - 1]!.at) <= Date.parse(item.at));

export function runIncidentTimelineSuite(name: string, open: () => Promise<TimelineStoresFixture>): void {
  describe(`incident timeline on ${name}`, () => {
    let f: TimelineStoresFixture;
    let cases: CaseService;
    let incidentId: string;
    let runId: string;
    before(async () => {
      f = await open();
      cases = new CaseService(f.cases, { now: () => at(24 * 60) });
      await f.logs.append(EVENTS);
      const user = { kind: 'user' as const, value: MALLORY };
      const first = await cases.recordAlert(alert('al-priv', 0, ['au-create'], user));
      await cases.recordAlert(alert('al-exec', 2, ['au-exec'], user, { pod: 'payments/api-7f9c', pod_namespace: 'payments', pod_name: `api-7f9c${SCRIPT}` }));
      const falcoAlert = await cases.recordAlert(alert('al-shell', 4, ['fa-shell'], { kind: 'workload', namespace: 'payments', value: 'api-7f9c' }, {}, 'falco'));
      incidentId = first.incident_id!;
      assert.notEqual(falcoAlert.incident_id, incidentId, 'the Falco alert starts its own incident (another entity)');
      const into = await cases.getIncident(incidentId);
      const from = await cases.getIncident(falcoAlert.incident_id!);
      let inc = await cases.merge({ id: incidentId, expectedVersion: into.version, actor: 'alice' }, from.record.id, from.version);
      inc = await cases.comment({ id: incidentId, expectedVersion: inc.version, actor: 'alice' }, `looking ${SCRIPT}`);
      inc = await cases.setStatus({ id: incidentId, expectedVersion: inc.version, actor: 'alice' }, 'contained');
      await cases.setSeverity({ id: incidentId, expectedVersion: inc.version, actor: 'alice' }, 'critical');

      runId = `run-${name}`;
      await f.cases.create('runs', {
        id: runId, record_type: 'run', playbook: 'contain-compromised-pod', playbook_digest: 'x', status: 'succeeded', dry_run: false,
        trigger: { kind: 'alert', actor: 'responder', token_id: null, alert_id: 'al-exec', incident_id: incidentId },
        evidence: null, inputs_json: '{}', error: null, created_at: at(6), updated_at: at(8), finished_at: at(8), undo_requested_by: null,
        steps: [{
          id: 'quarantine', action: 'k8s.quarantine_pod', status: 'succeeded', idempotency_key: `${runId}/quarantine`, attempts: 1, next_attempt_at: null,
          started_at: at(7), finished_at: at(7.5), owner: null, lease_until: null, params_json: '{}', changed: true, summary: 'quarantined pod payments/api-7f9c',
          plan_json: null, undo_json: '{"labels":{}}', outputs_json: null, error: null, counted: true, undo_summary: null,
          approval: { reason: 'untrusted_evidence', approvers: ['approve'], requested_at: at(6), deadline: null, default: 'reject', decision: 'approved', decided_by: 'bob', decided_by_token: 't-bob', decided_at: at(7), comment: `ok ${SCRIPT}`, why: null },
        }],
      });
      await f.cases.append('audit', {
        id: 'aud-decision-1', at: at(7), actor: 'bob', action: 'run.approve', collection: 'runs', target_id: runId, run_id: runId, step_id: 'quarantine',
        incident_id: incidentId, result: 'approved', reason: 'untrusted_evidence', requested_by: 'responder', comment: `ok ${SCRIPT}`, summary: `bob approved step quarantine of run ${runId}`,
      });
      await f.cases.append('audit', {
        id: 'aud-step-1', at: at(7.5), actor: 'playbook:contain-compromised-pod', action: 'action.k8s.quarantine_pod', collection: 'runs',
        target_id: 'payments/api-7f9c', run_id: runId, step_id: 'quarantine', incident_id: incidentId, result: 'succeeded', summary: 'quarantined pod payments/api-7f9c',
      });
    });
    after(async () => f?.close());

    it('lanes hold the alerts (merged ones too), evidence and surrounding events per source, actions and changes, in time order', async () => {
      const incident = (await cases.getIncident(incidentId)).record;
      const t = await assembleIncidentTimeline({ cases: f.cases, events: f.logs }, incident, { windowMs: 15 * 60_000, perLane: 500 });
      assert.deepEqual(t.lanes.map((l) => l.id), ['alerts', 'k8s-audit', 'falco', 'logs', 'actions', 'changes']);
      for (const l of t.lanes) assert.ok(sorted(l), `${l.id} is in time order`);
      assert.deepEqual(refs(t, 'alerts'), ['al-priv', 'al-exec', 'al-shell']);
      assert.deepEqual(refs(t, 'k8s-audit'), ['au-create', 'au-exec', 'au-list', 'au-sa'], 'evidence, the user and its service account; not bob, not an hour before');
      assert.deepEqual(lane(t, 'k8s-audit').items.map((i) => i.kind), ['evidence', 'evidence', 'event', 'event']);
      assert.deepEqual(refs(t, 'falco'), ['fa-shell'], 'the pod, not another pod of the same Unix user');
      assert.deepEqual(refs(t, 'logs'), ['lg-pod'], "the pod's log line, not another pod's");
      assert.equal(lane(t, 'logs').items[0]!.event_id, 'lg-pod');
      assert.deepEqual(lane(t, 'actions').items.map((i) => [i.kind, i.run_id, i.audit_id ?? null]), [
        ['action', runId, null],
        ['action', runId, 'aud-decision-1'],
        ['action', runId, 'aud-step-1'],
      ]);
      assert.deepEqual(lane(t, 'changes').items.map((i) => i.summary.split(':')[0]), ['merge', 'comment', 'status', 'severity']);
      for (const item of lane(t, 'changes').items) {
        const record = await f.cases.get<{ id: string; actor: string; target_id: string }>('audit', item.audit_id ?? 'none');
        assert.equal(record?.record.actor, 'alice', `${item.summary} opens its audit record`);
        assert.equal(record.record.target_id, incidentId);
      }
      assert.ok(t.lanes.every((l) => !l.truncated));
      const kinds = new Set(t.entities.map((e) => `${e.kind}=${e.namespace ? `${e.namespace}/` : ''}${e.value}`));
      for (const e of [`user=${MALLORY}`, `pod_uid=${POD_UID}`, 'pod=payments/api-7f9c', 'service_account=system:serviceaccount:payments:api-sa', 'source_ip=10.0.0.7', `container=${SHORT_CONTAINER}`]) {
        assert.ok(kinds.has(e), `entity ${e} in ${[...kinds].join(', ')}`);
      }
      assert.equal(t.window.from, at(-15));
      assert.equal(t.window.to, at(4 + 15));
    });

    it('per_lane bounds each lane and says it was cut; evidence is kept', async () => {
      const incident = (await cases.getIncident(incidentId)).record;
      const t = await assembleIncidentTimeline({ cases: f.cases, events: f.logs }, incident, { windowMs: 15 * 60_000, perLane: 1 });
      assert.deepEqual(refs(t, 'k8s-audit'), ['au-create', 'au-exec']);
      assert.equal(lane(t, 'k8s-audit').truncated, true);
      assert.equal(lane(t, 'alerts').items.length, 1);
      assert.equal(lane(t, 'alerts').truncated, true);
      assert.equal(lane(t, 'changes').truncated, true);
      assert.equal(lane(t, 'falco').truncated, false);
    });

    it('a busy source never hides the events of a quiet one', async () => {
      const busy = Array.from({ length: 8 }, (_, i) => ({ ...audit(`au-busy-${i}`, 40 + i, 'busy@example.com', 'get', { resource: 'pods', namespace: 'q' }), source: { ip: '192.0.2.9' } }));
      const quiet = { ...logLine('lg-quiet', 50, 'q-pod', 'a quiet line'), user: { name: 'busy@example.com' } } as Event;
      await f.logs.append([...busy, quiet]);
      const window = { from: new Date(Date.parse(at(39))), to: new Date(Date.parse(at(60))) };
      const entities = [{ kind: 'user' as const, field: 'user.name', value: 'busy@example.com' }];
      const lanes = await surroundingEvents(f.logs, entities, ['k8s-audit', 'falco', 'logs'], window, 1);
      assert.deepEqual(lanes.get('k8s-audit')!.hits.map((e) => e.event.id), ['au-busy-0', 'au-busy-1']);
      assert.equal(lanes.get('k8s-audit')!.more, true);
      assert.deepEqual(lanes.get('logs')!.hits.map((e) => e.event.id), ['lg-quiet']);
      assert.equal(lanes.get('logs')!.more, false);
      const roomy = await surroundingEvents(f.logs, entities, ['k8s-audit', 'falco', 'logs'], window, 100);
      assert.deepEqual(roomy.get('k8s-audit')!.hits.length, 8);
      assert.deepEqual(roomy.get('logs')!.hits.map((e) => e.event.id), ['lg-quiet']);
    });

    it('an alert dated decades back by its log line widens the search to a day before its receipt, not to all history', async () => {
      const r = await cases.recordAlert({ ...alert('al-1970', 200, [], { kind: 'user', value: 'time-traveller' }), first_seen: '1970-01-02T00:00:00.000Z' });
      const incident = (await cases.getIncident(r.incident_id!)).record;
      const t = await assembleIncidentTimeline({ cases: f.cases, events: f.logs }, incident, { windowMs: 15 * 60_000, perLane: 10 });
      assert.equal(t.window.from, at(200 - 24 * 60 - 15));
      assert.equal(t.window.to, at(200 + 15));
      assert.equal(lane(t, 'alerts').items[0]!.at, '1970-01-02T00:00:00.000Z', 'the alert still shows the time it states');
    });

    it('an attacker-written entity value with quotes, colons, parentheses and OR matches only itself', async () => {
      const evil = `eve" OR user.name:* OR (kubernetes.namespace:payments) OR "`;
      await f.logs.append([
        { ...audit('au-evil', 30, evil, 'get', { resource: 'configmaps', namespace: 'x' }), source: { ip: '192.0.2.66' } },
        { ...audit('au-evil-2', 31, evil, 'list', { resource: 'configmaps', namespace: 'x' }), source: { ip: '192.0.2.66' } },
      ]);
      const r = await cases.recordAlert(alert('al-evil', 30, ['au-evil'], { kind: 'user', value: evil }));
      const incident = (await cases.getIncident(r.incident_id!)).record;
      const t = await assembleIncidentTimeline({ cases: f.cases, events: f.logs }, incident, { windowMs: 60 * 60_000, perLane: 500 });
      assert.deepEqual(refs(t, 'k8s-audit'), ['au-evil', 'au-evil-2'], 'exactly the events of that user name (and its source IP)');
      assert.deepEqual(refs(t, 'logs'), []);
      assert.deepEqual(refs(t, 'falco'), []);
    });

    it('the report holds the summary, timeline, decisions with who and why, and actions with outcome and undo', async () => {
      const incident = (await cases.getIncident(incidentId)).record;
      const report = await buildIncidentReport({ cases: f.cases, events: f.logs }, incident, { windowMs: 15 * 60_000, perLane: 500 });
      assert.equal(report.incident.id, incidentId);
      assert.equal(report.incident.status, 'contained');
      assert.deepEqual(report.decisions.map((d) => [d.decision, d.by, d.step_id, d.reason, d.comment, d.audit_id]), [
        ['approved', 'bob', 'quarantine', 'untrusted_evidence', `ok ${SCRIPT}`, 'aud-decision-1'],
      ]);
      assert.deepEqual(report.actions.map((a) => [a.run_id, a.status, a.steps.map((s) => [s.id, s.status, s.approved_by, s.undoable])]), [
        [runId, 'succeeded', [['quarantine', 'succeeded', 'bob', true]]],
      ]);
      assert.deepEqual(report.timeline.lanes.map((l) => l.items.length), [3, 4, 1, 1, 3, 4]);
      assert.equal(report.incident.severity, 'critical', 'the severity a person set');
    });
  });
}
