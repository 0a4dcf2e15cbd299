// services: opensearch redis
/**
 * Alerts and incidents over HTTP (docs/ARCHITECTURE.md, "Alerts and incidents"): intake through POST /v1/alerts and the
 * Alertmanager webhook, idempotent retries, incident lists and details, the incident lifecycle with versions (409 on a
 * stale one), merge, bad input naming the field, and the audit trail of every change. Alerts are posted with an
 * `alerts` token (alert intake is its own scope, "Tokens and sources"; test/e2e/adversarial-alerts.test.ts covers who
 * else may not).
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { startHarness, type Harness } from '../support/harness.js';
import { SEARCH_ENGINES } from '../support/search-engines.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function alert(id: string, pod: string, severity = 'medium', minute = 0, rule = 'k8s-exec-into-pod') {
  return {
    id,
    rule: { id: rule, name: 'Exec into a pod', level: severity, tags: ['attack.execution', 'attack.t1609'] },
    severity,
    group_key: `prod/${pod}/${id}`,
    entity: { kind: 'workload', namespace: 'prod', value: pod },
    event_ids: [`ev-${id}`],
    first_seen: at(minute),
    last_seen: at(minute),
    // Posted from outside: `rule` is Bulwark's own detections' only, so an outside tool cannot pass for one.
    source: 'api',
    labels: { cluster: 'eu-1' },
  };
}

function amPayload(status: 'firing' | 'resolved', fingerprint: string) {
  return {
    version: '4',
    groupKey: '{}:{alertname="KubePodCrashLooping"}',
    truncatedAlerts: 0,
    status,
    receiver: 'bulwark',
    groupLabels: { alertname: 'KubePodCrashLooping' },
    commonLabels: { alertname: 'KubePodCrashLooping', severity: 'warning' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status,
        labels: { alertname: 'KubePodCrashLooping', severity: 'warning', namespace: 'payments', pod: 'checkout-5d9' },
        annotations: { summary: 'Pod payments/checkout-5d9 is crash looping' },
        startsAt: '2026-11-20T09:52:26.739266876+02:00',
        endsAt: status === 'resolved' ? '2026-11-20T10:02:26.1Z' : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph?g0.expr=x',
        fingerprint,
      },
    ],
  };
}

/**
 * The same suite in embedded mode (SQLite) and in scale mode on each search engine (the engines `test/services/up`
 * starts, as `npm test` does; a missing one fails the suite rather than skipping it).
 */
const MODES: Array<[mode: string, env: () => Record<string, string>]> = [
  ['embedded', () => ({})],
  ...SEARCH_ENGINES.map((engine): [string, () => Record<string, string>] => [
    `scale (${engine.name})`,
    () => engine.storeEnv(`cases${randomBytes(3).toString('hex')}`),
  ]),
];

for (const [mode, env] of MODES) describe(`alerts and incidents API, ${mode}`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(env());
  });
  after(async () => h.close());

  const json = (body: unknown) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = async (path: string) => {
    const res = await h.fetch(path, { token: h.tokens.read });
    return { status: res.status, etag: res.headers.get('etag'), body: (await res.json()) as any };
  };

  it('POST /v1/alerts retried stores one alert and one incident membership', async () => {
    const first = await h.fetch('/v1/alerts', { ...json(alert('retry-1', 'api-7f9')), token: h.tokens.alerts });
    assert.equal(first.status, 201);
    const firstBody = (await first.json()) as any;
    assert.equal(firstBody.items[0].outcome, 'created');
    for (let i = 0; i < 3; i++) {
      const again = await h.fetch('/v1/alerts', { ...json([alert('retry-1', 'api-7f9')]), token: h.tokens.alerts });
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as any).items[0].outcome, 'duplicate');
    }
    const list = await get('/v1/alerts?rule=k8s-exec-into-pod');
    assert.equal(list.body.items.filter((a: any) => a.id === 'retry-1').length, 1);
    const incident = await get(`/v1/incidents/${firstBody.items[0].incident_id}`);
    assert.equal(incident.body.alert_count, 1);
    const one = await get('/v1/alerts/retry-1');
    assert.equal(one.body.incident_id, firstBody.items[0].incident_id);
    assert.equal(one.etag, `"${one.body.version}"`);
    assert.equal((await get('/v1/alerts/nope')).status, 404);
  });

  it('bad alerts are 400 naming the field; nothing of the request is stored', async () => {
    const res = await h.fetch('/v1/alerts', { ...json([alert('ok-1', 'x'), { ...alert('bad-1', 'x'), severity: 'severe' }]), token: h.tokens.alerts });
    assert.equal(res.status, 400);
    const body = (await res.json()) as any;
    assert.equal(body.error.code, 'BWK_INGEST_BAD_FIELD');
    assert.equal(body.error.details.field, '1.severity');
    assert.equal((await get('/v1/alerts?incident=none&size=5')).status, 200);
    const stored = await get('/v1/alerts?rule=k8s-exec-into-pod&size=1000');
    assert.ok(!stored.body.items.some((a: any) => a.id === 'ok-1'));
    const notJson = await h.fetch('/v1/alerts', { method: 'POST', body: '{"id":', token: h.tokens.alerts });
    assert.equal(notJson.status, 400);
    const badAm = await h.fetch('/v1/ingest/alertmanager', { ...json({ version: '4', status: 'firing', alerts: [{ status: 'burning' }] }), token: h.tokens.alerts });
    assert.equal(badAm.status, 400);
    assert.equal(((await badAm.json()) as any).error.details.field, 'alerts.0.status');
  });

  it('Alertmanager: firing creates one alert (retries dedup on the fingerprint), resolved resolves it', async () => {
    for (let i = 0; i < 2; i++) {
      const res = await h.fetch('/v1/ingest/alertmanager', { ...json(amPayload('firing', 'c6eadffa33fcdf37')), token: h.tokens.alerts });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { received: 1, created: i === 0 ? 1 : 0, duplicates: i === 0 ? 0 : 1, resolved: 0 });
    }
    const firing = await get('/v1/alerts?source=alertmanager');
    assert.equal(firing.body.items.length, 1);
    const a = firing.body.items[0];
    assert.equal(a.status, 'open');
    assert.equal(a.severity, 'medium');
    assert.equal(a.rule.name, 'KubePodCrashLooping');
    assert.deepEqual(a.entity, { kind: 'workload', namespace: 'payments', value: 'checkout-5d9' });
    assert.equal(a.first_seen, '2026-11-20T07:52:26.739Z');
    assert.equal(a.annotations.summary, 'Pod payments/checkout-5d9 is crash looping');
    assert.ok(a.incident_id);
    const resolved = await h.fetch('/v1/ingest/alertmanager', { ...json(amPayload('resolved', 'c6eadffa33fcdf37')), token: h.tokens.alerts });
    assert.deepEqual(await resolved.json(), { received: 1, created: 0, duplicates: 0, resolved: 1 });
    const after = await get('/v1/alerts?source=alertmanager');
    assert.equal(after.body.items.length, 1);
    assert.equal(after.body.items[0].status, 'resolved');
    assert.equal(after.body.items[0].resolved_at, '2026-11-20T10:02:26.100Z');
    assert.equal((await get('/v1/alerts?source=alertmanager&status=open')).body.items.length, 0);
  });

  it('incident lifecycle: list, read with ETag, acknowledge, assign, comment, tag, severity, resolve; stale version → 409', async () => {
    const posted = await h.fetch('/v1/alerts', {
      ...json([alert('life-1', 'web-1', 'low', 0), alert('life-2', 'web-1', 'high', 5, 'k8s-secret-read')]),
      token: h.tokens.alerts,
    });
    const items = ((await posted.json()) as any).items;
    assert.equal(items[0].incident_id, items[1].incident_id);
    const id = items[0].incident_id as string;
    const list = await get('/v1/incidents?status=open&severity=high');
    const row = list.body.items.find((i: any) => i.id === id);
    assert.ok(row, 'the incident is listed');
    for (const key of ['id', 'title', 'severity', 'status', 'alert_count']) assert.ok(key in row, key);
    assert.equal(row.alert_count, 2);
    assert.equal(row.severity, 'high');
    const alerts = await get(`/v1/incidents/${id}/alerts`);
    assert.deepEqual(alerts.body.items.map((a: any) => a.id).sort(), ['life-1', 'life-2']);

    const read = await get(`/v1/incidents/${id}`);
    assert.equal(read.etag, `"${read.body.version}"`);
    assert.deepEqual(read.body.timeline.filter((t: any) => t.kind === 'alert').map((t: any) => t.ref), ['life-1', 'life-2'], 'the timeline shows its alerts');
    const post = (op: string, body: unknown, headers: Record<string, string> = {}) =>
      h.fetch(`/v1/incidents/${id}/${op}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), token: h.tokens.respond });

    const ack = await post('acknowledge', {}, { 'if-match': read.etag! });
    assert.equal(ack.status, 200);
    const acked = (await ack.json()) as any;
    assert.equal(acked.status, 'acknowledged');
    // The version read before the acknowledgement is now stale, by header or by body.
    const stale = await post('assign', { assignee: 'mallory' }, { 'if-match': read.etag! });
    assert.equal(stale.status, 409);
    assert.equal(((await stale.json()) as any).error.code, 'BWK_CONFLICT');
    assert.equal((await post('comments', { text: 'late', version: read.body.version })).status, 409);
    const noVersion = await post('assign', { assignee: 'bob' });
    assert.equal(noVersion.status, 428);
    assert.equal(((await noVersion.json()) as any).error.code, 'BWK_VERSION_REQUIRED');

    let version = acked.version as string;
    const step = async (op: string, body: Record<string, unknown>) => {
      const res = await post(op, { ...body, version });
      assert.equal(res.status, 200, `${op}: ${res.status}`);
      const out = (await res.json()) as any;
      assert.equal(res.headers.get('etag'), `"${out.version}"`);
      version = out.version;
      return out;
    };
    assert.equal((await step('assign', { assignee: 'bob' })).assignee, 'bob');
    assert.equal((await step('comments', { text: 'exec came from a CI token' })).comments[0].author, 'test-respond');
    assert.ok((await step('tags', { add: ['ci'], remove: [] })).tags.includes('ci'));
    const badSeverity = await post('severity', { severity: 'severe', version });
    assert.equal(badSeverity.status, 400);
    assert.equal(((await badSeverity.json()) as any).error.details.field, 'severity');
    const readOnly = await h.fetch(`/v1/incidents/${id}/severity`, { ...json({ severity: 'low', version }), token: h.tokens.read });
    assert.equal(readOnly.status, 403, 'changing the severity needs respond');
    const lowered = await step('severity', { severity: 'low' });
    assert.equal(lowered.severity, 'low');
    assert.ok(lowered.timeline.some((t: any) => t.kind === 'severity' && t.summary === 'severity high → low by test-respond'));
    const badStatus = await post('status', { status: 'closed', version });
    assert.equal(badStatus.status, 400);
    assert.equal(((await badStatus.json()) as any).error.details.field, 'status');
    const done = await step('status', { status: 'resolved', resolution: 'token rotated' });
    assert.equal(done.status, 'resolved');
    assert.equal(done.resolution, 'token rotated');
    assert.equal((await get(`/v1/incidents?status=resolved`)).body.items.some((i: any) => i.id === id), true);

    const audit = await h.deps.cases.query<any>('audit', { filter: { target_id: id }, size: 100 });
    const actions = audit.items.map((i) => i.record.action).sort();
    assert.deepEqual(actions, ['incident.acknowledge', 'incident.assign', 'incident.comment', 'incident.severity', 'incident.status', 'incident.tags']);
    assert.ok(audit.items.every((i) => i.record.actor === 'test-respond' && i.record.at && i.record.before && i.record.after));
  });

  it('merges one incident into another', async () => {
    const a = ((await (await h.fetch('/v1/alerts', { ...json(alert('m-a', 'svc-a', 'low')), token: h.tokens.alerts })).json()) as any).items[0];
    const b = ((await (await h.fetch('/v1/alerts', { ...json(alert('m-b', 'svc-b', 'critical')), token: h.tokens.alerts })).json()) as any).items[0];
    const target = await get(`/v1/incidents/${a.incident_id}`);
    const res = await h.fetch(`/v1/incidents/${a.incident_id}/merge`, {
      ...json({ from: b.incident_id }),
      headers: { 'content-type': 'application/json', 'if-match': target.etag! },
      token: h.tokens.respond,
    });
    assert.equal(res.status, 200);
    const merged = (await res.json()) as any;
    assert.equal(merged.alert_count, 2);
    assert.equal(merged.severity, 'critical');
    assert.deepEqual(merged.timeline.filter((t: any) => t.kind === 'alert').map((t: any) => t.ref).sort(), ['m-a', 'm-b']);
    const source = await get(`/v1/incidents/${b.incident_id}`);
    assert.equal(source.body.merged_into, a.incident_id);
    assert.equal(source.body.status, 'resolved');
    assert.deepEqual((await get(`/v1/incidents/${a.incident_id}/alerts`)).body.items.map((x: any) => x.id).sort(), ['m-a', 'm-b']);
  });

  it('unknown incidents are 404; bad list parameters are 400 naming the parameter; lists page with a cursor', async () => {
    assert.equal((await get('/v1/incidents/inc-missing')).status, 404);
    assert.equal((await get('/v1/incidents/inc-missing/alerts')).status, 404);
    const bad = await get('/v1/incidents?status=closed');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.param, 'status');
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: any } = await get(`/v1/alerts?size=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      seen.push(...page.body.items.map((a: any) => a.id));
      cursor = page.body.cursor;
    } while (cursor);
    const all = await get('/v1/alerts?size=1000');
    assert.equal(seen.length, all.body.items.length);
    assert.equal(new Set(seen).size, seen.length);
  });
});
