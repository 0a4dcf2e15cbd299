// services: process
/**
 * Alert intake under attack (docs/ARCHITECTURE.md, "Provenance", "Alerts and incidents"), as an attacker tries it
 * against the real `npm start` process. Each
 * test is the attacker's exact requests, refused or made harmless, with the legitimate path beside it:
 * - the `ingest` token a log shipper holds posts a critical alert, or an Alertmanager payload: 403; an `alerts` token
 *   is accepted, and what it posted is recorded as external, its entity, labels and annotations untrusted;
 * - an external alert passes itself off as one of Bulwark's detections (`source: rule`, a bundled rule's id, its
 *   own provenance, a correlator alert id): 400 naming the field; its own rule id is accepted;
 * - a planted alert stated a decade ahead: clamped, and once the windows of its receive time are over it neither
 *   suppresses the next repeat nor absorbs the real audit detection about the same user into its incident — while
 *   an alert within those windows still joins;
 * - an alert with a 100 KB annotation and 5000 event ids, or an Alertmanager alert with a huge label: recorded cut,
 *   saying what was cut, never a 5xx.
 * The windows are configured short (`detection.incident_window`, `suppression_window`) so "later" is seconds.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { until as untilDone } from '../support/until.js';
const until = <T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 45_000): Promise<T> => untilDone(what, probe, ms, 200);

/** The bundled "Command executed in or attached to a pod" rule (rules/kubernetes/pod_exec_attach.yml). */
const EXEC_RULE = '1fea1988-ca78-480b-a140-a99798d3a434';
const INCIDENT_WINDOW_MS = 8_000;
const SUPPRESSION_WINDOW_MS = 6_000;
const SKEW_MS = 60_000;

type AlertDoc = { id: string; incident_id: string | null; count: number; first_seen: string; last_seen: string; entity: { kind: string; value: string }; annotations?: Record<string, string>; event_ids: string[]; provenance: any; source: string };


const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('adversarial: alert intake', () => {
  let p: BulwarkProcess;
  const t: Record<string, { id: string; token: string }> = {};
  const json = (token: string, body: unknown): RequestInit & { token: string } => ({ method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const alertDoc = (id: string) => p.get<AlertDoc>(`/v1/alerts/${encodeURIComponent(id)}`, t.read!.token);

  /** An alert as another tool posts it. */
  function external(id: string, over: Record<string, unknown> = {}): Record<string, unknown> {
    const now = new Date().toISOString();
    return {
      id,
      rule: { id: 'acme-ids-intrusion', name: 'ACME IDS: intrusion', level: 'critical', tags: ['attack.execution'] },
      severity: 'critical',
      group_key: `acme/${id}`,
      entity: { kind: 'workload', namespace: 'prod', value: 'payments-api' },
      annotations: { pod_namespace: 'prod', pod_name: 'payments-api' },
      first_seen: now,
      last_seen: now,
      ...over,
    };
  }

  before(async () => {
    p = await startBulwark({
      configYaml: [
        'detection:',
        `  incident_window: ${INCIDENT_WINDOW_MS}ms`,
        `  suppression_window: ${SUPPRESSION_WINDOW_MS}ms`,
        'alerts:',
        `  max_clock_skew: ${SKEW_MS}ms`,
        '',
      ].join('\n'),
      env: { BULWARK_RESPONDER: 'false' },
    });
    for (const [key, name, scopes] of [
      ['shipper', 'log-shipper', ['ingest']],
      ['monitoring', 'acme-ids', ['alerts']],
      ['read', 'dashboard', ['read']],
    ] as const) {
      t[key] = await p.mint(name, [...scopes]);
    }
    t.apiserver = await p.mint('kube-apiserver', ['ingest'], { sources: ['k8s-audit'] });
  });
  after(async () => p?.stop());

  it('an ingest token cannot post alerts (403); an alerts token can, and they are recorded external and untrusted', async () => {
    const id = `ext-${randomUUID()}`;
    const byShipper = await p.fetch('/v1/alerts', json(t.shipper!.token, external(id)));
    assert.equal(byShipper.status, 403);
    assert.equal(((await byShipper.json()) as any).error.code, 'BWK_AUTH_FORBIDDEN');
    const amPayload = (fingerprint: string) => ({
      version: '4', status: 'firing', receiver: 'bulwark', groupKey: '{}:{alertname="PodCompromised"}',
      alerts: [{ status: 'firing', labels: { alertname: 'PodCompromised', severity: 'critical', namespace: 'prod', pod: 'payments-api' }, annotations: {}, startsAt: new Date().toISOString(), endsAt: '0001-01-01T00:00:00Z', fingerprint }],
    });
    const amByShipper = await p.fetch('/v1/ingest/alertmanager', json(t.shipper!.token, amPayload('aa01')));
    assert.equal(amByShipper.status, 403);
    assert.equal(((await amByShipper.json()) as any).error.code, 'BWK_AUTH_FORBIDDEN');
    assert.equal((await p.fetch(`/v1/alerts/${id}`, { token: t.read!.token })).status, 404, 'nothing was stored');
    assert.equal((await p.get<{ items: unknown[] }>('/v1/alerts?source=alertmanager', t.read!.token)).items.length, 0);

    // The legitimate path: the monitoring tool's own `alerts` token.
    const posted = await p.fetch('/v1/alerts', json(t.monitoring!.token, external(id)));
    assert.equal(posted.status, 201, await posted.clone().text());
    const stored = await alertDoc(id);
    assert.equal(stored.source, 'api');
    assert.deepEqual({ ...stored.provenance, received_at: undefined }, {
      origin: 'external', sources: ['external'], received_at: undefined, token: { id: t.monitoring!.id, name: 'acme-ids' }, route: '/v1/alerts',
      untrusted: ['entity', 'annotations', 'labels'],
    });
    assert.ok(Math.abs(Date.parse(stored.provenance.received_at) - Date.now()) < 60_000);
    const ids = async (origin: string) => (await p.get<{ items: AlertDoc[] }>(`/v1/alerts?origin=${origin}&size=1000`, t.read!.token)).items.map((a) => a.id);
    assert.ok((await ids('external')).includes(id), 'listed among external alerts');
    assert.ok(!(await ids('rule')).includes(id), 'never among Bulwark\'s own detections');
    const am = await p.fetch('/v1/ingest/alertmanager', json(t.monitoring!.token, amPayload('aa02')));
    assert.equal(am.status, 200, await am.clone().text());
    const [fromAm] = (await p.get<{ items: AlertDoc[] }>('/v1/alerts?source=alertmanager', t.read!.token)).items;
    assert.deepEqual([fromAm!.provenance.origin, fromAm!.provenance.sources, fromAm!.provenance.route], ['external', ['alertmanager'], '/v1/ingest/alertmanager']);

    // A token restricted to Alertmanager speaks for nothing else, not even with the `alerts` scope.
    const amOnly = await p.mint('alertmanager', ['alerts'], { sources: ['alertmanager'] });
    const posing = await p.fetch('/v1/alerts', json(amOnly.token, external(`ext-${randomUUID()}`)));
    assert.equal(posing.status, 403);
    assert.equal(((await posing.json()) as any).error.code, 'BWK_AUTH_SOURCE_FORBIDDEN');
    assert.equal((await p.fetch('/v1/ingest/alertmanager', json(amOnly.token, amPayload('aa03')))).status, 200);
  });

  it('an external alert posing as one of Bulwark\'s detections is refused naming the field; its own rule is accepted', async () => {
    const claims: Array<[string, Record<string, unknown>]> = [
      ['source', { source: 'rule' }],
      ['rule.id', { rule: { id: EXEC_RULE, name: 'Command executed in or attached to a pod', level: 'critical' } }],
      ['rule.id', { rule: { id: 'Command executed in or attached to a pod', name: 'x', level: 'critical' } }],
      ['provenance', { provenance: { origin: 'rule', sources: ['k8s-audit'], received_at: new Date().toISOString() } }],
      ['id', { id: `alr-${randomBytes(20).toString('hex')}` }],
    ];
    for (const [field, over] of claims) {
      const id = `pose-${randomUUID()}`;
      const res = await p.fetch('/v1/alerts', json(t.monitoring!.token, external(id, over)));
      assert.equal(res.status, 400, `${field}: ${res.status}`);
      const body = (await res.json()) as any;
      assert.equal(body.error.code, 'BWK_INGEST_BAD_FIELD');
      assert.equal(body.error.details.field, field);
      assert.equal((await p.fetch(`/v1/alerts/${String(over.id ?? id)}`, { token: t.read!.token })).status, 404);
    }
    const own = await p.fetch('/v1/alerts', json(t.monitoring!.token, external(`own-${randomUUID()}`)));
    assert.equal(own.status, 201, await own.clone().text());
  });

  it('a decoy stated a decade ahead is clamped; once its receive time\'s windows pass it suppresses and absorbs nothing', async () => {
    const user = `mallory-${randomBytes(3).toString('hex')}@example.com`;
    const decade = new Date(Date.now() + 10 * 365 * 24 * 3600_000).toISOString();
    const entity = { kind: 'user', value: user };
    const decoyRule = { id: 'acme-decoy', name: 'ACME: account takeover', level: 'critical' };
    const decoy = await p.fetch('/v1/alerts', json(t.monitoring!.token, external(`decoy-${randomUUID()}`, { entity, rule: decoyRule, group_key: user, last_seen: decade })));
    assert.equal(decoy.status, 201, await decoy.clone().text());
    const decoyItem = ((await decoy.json()) as any).items[0];
    const stored = await alertDoc(decoyItem.id);
    const received = Date.parse(stored.provenance.received_at);
    assert.ok(Date.parse(stored.last_seen) <= received + SKEW_MS, `last_seen ${stored.last_seen} clamped to the receive time plus the skew`);
    assert.equal(stored.annotations!['bulwark:stated_last_seen'], decade, 'the stated time is kept for investigation');
    const incident = await p.get<{ last_seen: string; last_received_at: string }>(`/v1/incidents/${decoyItem.incident_id}`, t.read!.token);
    assert.ok(Date.parse(incident.last_seen) <= received + SKEW_MS);

    // Legitimate path: within the windows of what was received, a repeat is folded and another alert joins.
    const repeat = await p.fetch('/v1/alerts', json(t.monitoring!.token, external(`decoy-${randomUUID()}`, { entity, rule: decoyRule, group_key: user, last_seen: decade })));
    assert.equal(((await repeat.json()) as any).items[0].outcome, 'suppressed');
    const near = ((await (await p.fetch('/v1/alerts', json(t.monitoring!.token, external(`near-${randomUUID()}`, { entity, group_key: user })))).json()) as any).items[0];
    assert.equal(near.incident_id, decoyItem.incident_id);

    await sleep(Math.max(INCIDENT_WINDOW_MS, SUPPRESSION_WINDOW_MS) + 1_500);
    const late = await p.fetch('/v1/alerts', json(t.monitoring!.token, external(`decoy-${randomUUID()}`, { entity, rule: decoyRule, group_key: user, last_seen: decade })));
    const lateItem = ((await late.json()) as any).items[0];
    assert.equal(lateItem.outcome, 'created', 'the decoy does not suppress a repeat received after its window');

    // The real detection: the audit webhook reports the user exec-ing into a pod; its alert is about the same user.
    const now = new Date().toISOString();
    const audit = {
      kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {},
      items: [{
        level: 'Metadata', auditID: randomUUID(), stage: 'ResponseComplete', verb: 'create',
        requestURI: '/api/v1/namespaces/prod/pods/payments-api/exec?command=sh&container=app&stdin=true&tty=true',
        user: { username: user, groups: ['developers', 'system:authenticated'] }, sourceIPs: ['203.0.113.45'],
        objectRef: { resource: 'pods', subresource: 'exec', namespace: 'prod', name: 'payments-api', apiVersion: 'v1' },
        responseStatus: { metadata: {}, code: 101 }, requestReceivedTimestamp: now, stageTimestamp: now,
        annotations: { 'authorization.k8s.io/decision': 'allow' },
      }],
    };
    const sent = await p.fetch('/v1/ingest/k8s-audit', json(t.apiserver!.token, audit));
    assert.equal(sent.status, 200, await sent.clone().text());
    const real = await until('the exec alert about the user', async () =>
      (await p.get<{ items: AlertDoc[] }>(`/v1/alerts?rule=${EXEC_RULE}&size=100`, t.read!.token)).items.find((a) => a.entity.value === user && a.incident_id));
    assert.deepEqual(real.entity, entity, 'the same entity as the decoy');
    assert.notEqual(real.incident_id, decoyItem.incident_id, 'the real detection is not absorbed into the decoy\'s incident');
    const decoyIncident = await p.get<{ alert_count: number }>(`/v1/incidents/${decoyItem.incident_id}`, t.read!.token);
    assert.equal(decoyIncident.alert_count, 2, 'the decoy\'s incident holds only the decoy and the alert received within its window');
  });

  it('an alert with a 100 KB annotation and 5000 event ids is recorded cut and says so; so is a huge Alertmanager label', async () => {
    const id = `big-${randomUUID()}`;
    const body = external(id, {
      annotations: { description: 'A'.repeat(100_000), pod_name: 'payments-api' },
      event_ids: Array.from({ length: 5000 }, (_, i) => `ev-${i}`),
    });
    const res = await p.fetch('/v1/alerts', json(t.monitoring!.token, body));
    assert.equal(res.status, 201, await res.clone().text());
    assert.deepEqual(((await res.json()) as any).items[0].truncated.sort(), ['annotations.description', 'event_ids']);
    const stored = await alertDoc(id);
    assert.equal(stored.annotations!.description!.length, 8192);
    assert.equal(stored.annotations!.pod_name, 'payments-api');
    assert.equal(stored.event_ids.length, 1000);
    assert.deepEqual(stored.provenance.truncated.sort(), ['annotations.description', 'event_ids']);

    const am = await p.fetch('/v1/ingest/alertmanager', json(t.monitoring!.token, {
      version: '4', status: 'firing', receiver: 'bulwark',
      alerts: [{ status: 'firing', labels: { alertname: 'Huge', severity: 'warning', blob: 'B'.repeat(50_000) }, annotations: {}, startsAt: new Date().toISOString(), fingerprint: 'huge01' }],
    }));
    assert.equal(am.status, 200, await am.clone().text());
    assert.equal(((await am.json()) as any).created, 1);
    const huge = (await p.get<{ items: AlertDoc[] }>('/v1/alerts?rule=alertmanager:Huge', t.read!.token)).items[0]!;
    assert.deepEqual(huge.provenance.truncated, ['labels.blob']);

    // Not a size: still a 400 naming the field, nothing stored.
    const bad = await p.fetch('/v1/alerts', json(t.monitoring!.token, external(`sev-${randomUUID()}`, { severity: 'apocalyptic' })));
    assert.equal(bad.status, 400);
    assert.equal(((await bad.json()) as any).error.details.field, 'severity');
  });
});
