// services: opensearch redis
/**
 * The console's alert intake API through the real all-in-one app (test/support/harness.ts), embedded (SQLite) and on
 * OpenSearch: the list's entity, assignee and time filters (cursors stay within them), groups by rule and entity, bulk
 * acknowledge / assign / close / merge with per-item outcomes, audit records and incident counts, bulk close while
 * the correlator's own code keeps folding repeats into the same alerts, and an alert's evidence with provenance.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Alert, AlertInput, Incident } from '@bulwark/schema';
import { startHarness, type Harness } from '../support/harness.js';
import { OPENSEARCH } from '../support/search-engines.js';
import { until } from '../support/until.js';

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

function alert(id: string, entity: string, options: { severity?: string; minute?: number; rule?: string; events?: string[]; kind?: string } = {}) {
  const severity = options.severity ?? 'medium';
  const rule = options.rule ?? 'ext-exec';
  return {
    id,
    rule: { id: rule, name: `Rule ${rule}`, level: severity, tags: [] },
    severity,
    group_key: `${entity}/${id}`,
    entity: { kind: options.kind ?? 'workload', ...(options.kind && options.kind !== 'workload' ? {} : { namespace: 'prod' }), value: entity },
    event_ids: options.events ?? [`ev-${id}`],
    first_seen: at(options.minute ?? 0),
    last_seen: at(options.minute ?? 0),
    source: 'api',
  };
}

const MODES: Array<[mode: string, env: () => Record<string, string>]> = [
  ['embedded', () => ({})],
  ['scale (OpenSearch)', () => OPENSEARCH.storeEnv(`triage${randomBytes(3).toString('hex')}`)],
];

for (const [mode, env] of MODES) describe(`alert intake API for the console, ${mode}`, () => {
  let h: Harness;
  before(async () => {
    h = await startHarness(env());
  });
  after(async () => h.close());

  const get = async (path: string, token = h.tokens.read) => {
    const res = await h.fetch(path, { token });
    return { status: res.status, body: (await res.json()) as any };
  };
  const post = async (path: string, body: unknown, token = h.tokens.respond) => {
    const res = await h.fetch(path, { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as any };
  };
  const postAlerts = async (alerts: unknown[]) => {
    const res = await post('/v1/alerts', alerts, h.tokens.alerts);
    assert.ok(res.status < 300, JSON.stringify(res.body));
    return res.body.items as Array<{ stored_as: string; incident_id: string }>;
  };
  const ids = (body: { items: Array<{ id: string }> }) => body.items.map((i) => i.id).sort();

  it('filters alerts by entity (value or key), assignee and last_seen, and pages within the filters', async () => {
    await postAlerts([
      alert('f-1', 'api-1', { minute: 1 }),
      alert('f-2', 'api-1', { minute: 2, rule: 'ext-secrets' }),
      alert('f-3', 'web-2', { minute: 3 }),
      alert('f-4', 'api-1', { minute: 4 }),
      alert('f-5', 'alice', { minute: 5, kind: 'user' }),
    ]);
    assert.deepEqual(ids((await get('/v1/alerts?entity=api-1')).body), ['f-1', 'f-2', 'f-4']);
    assert.deepEqual(ids((await get('/v1/alerts?entity=workload:prod/api-1&rule=ext-exec')).body), ['f-1', 'f-4']);
    assert.deepEqual(ids((await get('/v1/alerts?entity=user:alice')).body), ['f-5']);
    assert.deepEqual(ids((await get('/v1/alerts?entity=workload:alice')).body), []);
    assert.deepEqual(ids((await get(`/v1/alerts?from=${at(2)}&to=${at(4)}`)).body), ['f-2', 'f-3'], 'from inclusive, to exclusive');

    const seen: string[] = [];
    let cursor: string | null = '';
    for (let n = 0; cursor !== null && n < 10; n++) {
      const page = await get(`/v1/alerts?from=${at(1)}&to=${at(5)}&size=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      assert.equal(page.status, 200, JSON.stringify(page.body));
      seen.push(...page.body.items.map((i: Alert) => i.id));
      cursor = page.body.cursor;
    }
    assert.deepEqual(seen, ['f-4', 'f-3', 'f-2', 'f-1'], 'newest first, every page within the range');

    const assigned = await post('/v1/alerts/bulk', { ids: ['f-1', 'f-3'], action: 'assign', assignee: 'carol' });
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    assert.deepEqual(ids((await get('/v1/alerts?assignee=carol')).body), ['f-1', 'f-3']);

    const bad = await get('/v1/alerts?from=yesterday');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.param, 'from');
    const backwards = await get(`/v1/alerts?from=${at(4)}&to=${at(2)}`);
    assert.equal(backwards.status, 400);
    assert.equal(backwards.body.error.details.param, 'from');
  });

  it('groups alerts by rule and by entity with counts, the highest severity and the last sighting', async () => {
    await postAlerts([
      alert('g-1', 'db-1', { rule: 'ext-group', severity: 'low', minute: 10 }),
      alert('g-2', 'db-1', { rule: 'ext-group', severity: 'critical', minute: 11 }),
      alert('g-3', 'db-2', { rule: 'ext-group', severity: 'high', minute: 12 }),
      alert('g-4', 'db-2', { rule: 'ext-other', severity: 'medium', minute: 13 }),
    ]);
    const byRule = await get(`/v1/alerts/groups?by=rule&from=${at(10)}`);
    assert.equal(byRule.status, 200, JSON.stringify(byRule.body));
    assert.deepEqual(byRule.body, {
      by: 'rule',
      groups: [
        { key: 'ext-group', label: 'Rule ext-group', count: 3, max_severity: 'critical', last_seen: at(12) },
        { key: 'ext-other', label: 'Rule ext-other', count: 1, max_severity: 'medium', last_seen: at(13) },
      ],
    });
    const byEntity = await get(`/v1/alerts/groups?by=entity&from=${at(10)}&severity=low,medium,high`);
    assert.deepEqual(byEntity.body.groups, [
      { key: 'db-2', label: 'workload:prod/db-2', count: 2, max_severity: 'high', last_seen: at(13) },
      { key: 'db-1', label: 'workload:prod/db-1', count: 1, max_severity: 'low', last_seen: at(10) },
    ]);
    const bad = await get('/v1/alerts/groups?by=colour');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.details.param, 'by');
  });

  it('acknowledges, assigns and closes in bulk with per-item outcomes, each change audited with the person and token', async () => {
    await postAlerts([alert('b-1', 'svc-1', { minute: 20 }), alert('b-2', 'svc-1', { minute: 21 })]);
    const ack = await post('/v1/alerts/bulk', { ids: ['b-1', 'b-2', 'b-1', 'nope'], action: 'acknowledge', comment: 'looking' });
    assert.equal(ack.status, 200, JSON.stringify(ack.body));
    assert.deepEqual(ack.body.items.map((i: { id: string; outcome: string }) => [i.id, i.outcome]), [['b-1', 'updated'], ['b-2', 'updated'], ['b-1', 'updated'], ['nope', 'not_found']]);
    const again = await post('/v1/alerts/bulk', { ids: ['b-1'], action: 'acknowledge' });
    assert.equal(again.body.items[0].outcome, 'unchanged');
    assert.equal(again.body.items[0].version, ack.body.items[0].version);

    const close = await post('/v1/alerts/bulk', { ids: ['b-1', 'b-2'], action: 'close', resolution: 'false positive: load test' });
    assert.deepEqual(close.body.items.map((i: { outcome: string }) => i.outcome), ['updated', 'updated']);
    const closed = (await get('/v1/alerts/b-2')).body;
    assert.equal(closed.status, 'resolved');
    assert.equal(closed.resolution, 'false positive: load test');
    assert.ok(closed.resolved_at);
    assert.equal(closed.version, close.body.items[1].version);
    assert.deepEqual(ids((await get('/v1/alerts?entity=svc-1&status=resolved')).body), ['b-1', 'b-2']);

    const tokens = (await get('/v1/tokens', h.tokens.admin)).body.items as Array<{ id: string; name: string }>;
    const respondId = tokens.find((t) => t.name === 'test-respond')!.id;
    const trail = (await get('/v1/audit?target_id=b-2', h.tokens.read)).body.items as Array<Record<string, any>>;
    const mine = trail.filter((a) => a.action === 'alert.acknowledge' || a.action === 'alert.close');
    assert.equal(mine.length, 2, JSON.stringify(trail));
    for (const record of mine) {
      assert.equal(record.actor, 'test-respond');
      assert.equal(record.token_id, respondId);
    }
    const closeRecord = mine.find((a) => a.action === 'alert.close')!;
    assert.equal(closeRecord.before.status, 'acknowledged');
    assert.deepEqual([closeRecord.after.status, closeRecord.after.resolution], ['resolved', 'false positive: load test']);
    assert.equal(mine.find((a) => a.action === 'alert.acknowledge')!.comment, 'looking');
  });

  it('refuses bulk changes without the respond scope, without what the action needs, or with more than 1000 ids', async () => {
    const forbidden = await post('/v1/alerts/bulk', { ids: ['b-1'], action: 'acknowledge' }, h.tokens.read);
    assert.equal(forbidden.status, 403);
    const noResolution = await post('/v1/alerts/bulk', { ids: ['b-1'], action: 'close' });
    assert.equal(noResolution.status, 400);
    assert.equal(noResolution.body.error.details.field, 'resolution');
    const noIncident = await post('/v1/alerts/bulk', { ids: ['b-1'], action: 'merge' });
    assert.equal(noIncident.body.error.details.field, 'incident_id');
    const tooMany = await post('/v1/alerts/bulk', { ids: Array.from({ length: 1001 }, (_, i) => `x-${i}`), action: 'acknowledge' });
    assert.equal(tooMany.status, 400);
    assert.equal(tooMany.body.error.details.field, 'ids');
    const unknownIncident = await post('/v1/alerts/bulk', { ids: ['b-1'], action: 'merge', incident_id: 'inc-none' });
    assert.equal(unknownIncident.status, 404);
  });

  it('merges alerts into another incident: incident_id moves and both incidents count right', async () => {
    const [m1, m2] = await postAlerts([alert('m-1', 'pay-1', { minute: 30 }), alert('m-2', 'pay-1', { minute: 31, severity: 'critical' })]);
    const [m3] = await postAlerts([alert('m-3', 'pay-9', { minute: 32, severity: 'low' })]);
    const from = m1!.incident_id;
    const into = m3!.incident_id;
    assert.equal(m2!.incident_id, from);
    assert.notEqual(from, into);
    const incident = async (id: string) => (await get(`/v1/incidents/${id}`)).body as Incident & { version: string };
    assert.equal((await incident(from)).alert_count, 2);

    const merged = await post('/v1/alerts/bulk', { ids: ['m-2', 'm-3'], action: 'merge', incident_id: into });
    assert.deepEqual(merged.body.items.map((i: { outcome: string }) => i.outcome), ['updated', 'unchanged']);
    const moved = (await get('/v1/alerts/m-2')).body;
    assert.equal(moved.incident_id, into);
    assert.equal(moved.incident_counted, true);
    const [left, joined] = [await incident(from), await incident(into)];
    assert.equal(left.alert_count, 1);
    assert.equal(joined.alert_count, 2);
    assert.equal(joined.severity, 'critical', 'the incident takes the severity of what joined it');
    assert.deepEqual(ids((await get(`/v1/incidents/${into}/alerts`)).body), ['m-2', 'm-3']);

    const repeat = await post('/v1/alerts/bulk', { ids: ['m-2'], action: 'merge', incident_id: into });
    assert.equal(repeat.body.items[0].outcome, 'unchanged');
    assert.equal((await incident(into)).alert_count, 2);
  });

  it('closes alerts in bulk while the correlator keeps folding repeats into them: no change of either is lost', async () => {
    const cases = h.deps.caseService;
    const targets = Array.from({ length: 6 }, (_, i) => `c-${i}`);
    for (const id of targets) await cases.recordAlert({ ...alert(id, `node-${id}`, { minute: 40 }), group_key: `hot/${id}` } as AlertInput);
    let folds = 0;
    let stop = false;
    // The correlator's own path: repeats of each alert's rule and group key fold into it (count, last_seen).
    const correlator = (async () => {
      for (let n = 0; !stop && n < 200; n++) {
        const id = targets[n % targets.length]!;
        await cases.recordAlert({ ...alert(`${id}-r${n}`, `node-${id}`, { minute: 41 }), group_key: `hot/${id}` } as AlertInput);
        folds++;
      }
    })();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closed = await post('/v1/alerts/bulk', { ids: targets, action: 'close', resolution: 'benign' });
    stop = true;
    await correlator;
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    const outcomes = closed.body.items.map((i: { outcome: string }) => i.outcome);
    assert.ok(outcomes.every((o: string) => o === 'updated' || o === 'conflict'), JSON.stringify(outcomes));
    assert.ok(outcomes.includes('updated'));
    let counted = 0;
    for (const id of targets) {
      const stored = (await get(`/v1/alerts/${id}`)).body as Alert;
      const item = closed.body.items.find((i: { id: string }) => i.id === id);
      if (item.outcome === 'updated') assert.deepEqual([stored.status, stored.resolution], ['resolved', 'benign'], id);
      counted += stored.count;
    }
    // Repeats that arrived after an alert was closed open a new alert of the same rule and group key.
    const reopened = (await get(`/v1/alerts?rule=ext-exec&status=open&size=1000`)).body.items as Alert[];
    counted += reopened.filter((a) => a.group_key.startsWith('hot/')).reduce((n, a) => n + a.count, 0);
    assert.equal(counted, targets.length + folds, 'every fold is counted exactly once');
  });

  it("shows an alert's evidence events with their provenance, and a missing one as null", async () => {
    const ingest = await h.fetch('/v1/ingest/events', {
      method: 'POST',
      token: h.tokens.ingest,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        { '@timestamp': at(50), message: 'evidence one', event: { dataset: 'app.triage' } },
        { '@timestamp': at(51), message: 'evidence two', event: { dataset: 'app.triage' } },
      ]),
    });
    assert.equal(ingest.status, 200, await ingest.clone().text());
    // Stored events become searchable with the engine's next refresh.
    const hits = await until('both events searchable', async () => {
      const found = (await get(`/v1/search?q=${encodeURIComponent('event.dataset:app.triage')}&from=${at(49)}&to=${at(52)}&sort=asc`)).body.hits as Array<{ event: { id: string } }>;
      return found.length === 2 && found.map((e) => ({ id: e.event.id }));
    });
    await postAlerts([alert('e-1', 'ev-pod', { minute: 51, events: [hits[0]!.id, 'gone-event', hits[1]!.id] })]);
    const evidence = await get('/v1/alerts/e-1/evidence');
    assert.equal(evidence.status, 200, JSON.stringify(evidence.body));
    assert.equal(evidence.body.alert_id, 'e-1');
    const events = evidence.body.events as Array<{ id: string; event: any; provenance: any }>;
    assert.deepEqual(events.map((e) => e.id), [hits[0]!.id, 'gone-event', hits[1]!.id]);
    assert.equal(events[0]!.event.message, 'evidence one');
    assert.equal(events[0]!.provenance.route, '/v1/ingest/events');
    assert.equal(events[0]!.provenance.token.name, 'test-ingest');
    assert.deepEqual([events[1]!.event, events[1]!.provenance], [null, null]);
    assert.equal(events[2]!.event.message, 'evidence two');
    assert.equal((await get('/v1/alerts/no-such/evidence')).status, 404);
  });
});
