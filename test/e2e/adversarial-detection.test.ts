// services: opensearch redis
/**
 * Detection never stalls (docs/ARCHITECTURE.md, "Detection never stalls"), as an attacker tries it: one event that
 * cannot become an alert is sent FIRST in an audit webhook batch, in front of real detections. Before the fix the whole
 * bus batch failed, was redelivered for ever, and the events after the poison were never evaluated. Now the poison is
 * retried, dead-lettered with its reason (GET /v1/dead-letter), counted (GET /v1/correlator/status), and the detections
 * after it are alerts.
 *
 * The poison is a real refusal by the real store — not a mock: in embedded mode a trigger in the data directory's
 * SQLite file aborts the insert of an alert naming the service account `poisoned-sa`; in scale mode the OpenSearch
 * alerts index maps `annotations.sa_name` as a number, so the engine refuses that alert (mapper_parsing_exception).
 * Oversized fields are no longer poison at all (the case service records the alert with the field cut and says so);
 * that path is asserted too.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { startScaleDeployment, type ScaleDeployment } from '../support/scale-deployment.js';

/** pod_exec_attach (rules/kubernetes): a single-event rule every exec fires. */
const EXEC_RULE = '1fea1988-ca78-480b-a140-a99798d3a434';
const POISON_USER = 'system:serviceaccount:tenant-a:poisoned-sa';
const t0 = Date.now() - 10 * 60_000;
let seq = 0;

/** An exec into a pod by `user`, as the API server's audit webhook posts it. */
function exec(user: string, pod = 'web-1'): Record<string, unknown> {
  seq++;
  return {
    level: 'Metadata',
    auditID: `a11e0000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['203.0.113.9'],
    userAgent: 'kubectl/v1.31.0',
    requestURI: `/api/v1/namespaces/shop/pods/${pod}/exec?command=sh`,
    verb: 'create',
    objectRef: { resource: 'pods', subresource: 'exec', namespace: 'shop', name: pod, apiVersion: 'v1' },
    responseStatus: { code: 101 },
    requestReceivedTimestamp: new Date(t0 + seq * 1000).toISOString(),
    stageTimestamp: new Date(t0 + seq * 1000 + 20).toISOString(),
  };
}
const eventIdOf = (item: Record<string, unknown>) => `${String(item.auditID)}-ResponseComplete`;
const eventList = (items: unknown[]) => ({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', metadata: {}, items });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface AlertDoc {
  id: string;
  rule: { id: string };
  entity: { value: string };
  event_ids: string[];
  annotations?: Record<string, string>;
  provenance?: { sources: string[]; truncated?: string[] };
}
interface DeadLetter {
  id: string;
  event_id: string;
  rule_id?: string;
  code: string;
  reason: string;
  stage: string;
  event_excerpt: string;
}

/** Waits until `check` returns a value (not undefined), or fails with `what`. */
async function eventually<T>(what: string, check: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    assert.ok(Date.now() < deadline, `timed out: ${what}`);
    await sleep(150);
  }
}

/** The same attack and checks against either deployment: `get` reads the API with a read token. */
async function poisonFirst(post: (body: unknown) => Promise<Response>, get: <T>(path: string) => Promise<T>, expectCode: string): Promise<void> {
  const poison = exec(POISON_USER, 'web-0');
  const legit = [exec('alice@example.com', 'web-1'), exec('bob@example.com', 'web-2')];
  const res = await post(eventList([poison, ...legit]));
  assert.equal(res.status, 200, await res.clone().text());
  assert.deepEqual(await res.json(), { accepted: 3, created: 3, duplicates: 0, rejected: 0 });

  // The detections after the poison are alerts.
  const alerts = await eventually('the alerts of the events after the poison', async () => {
    const items = (await get<{ items: AlertDoc[] }>(`/v1/alerts?rule=${EXEC_RULE}&size=100`)).items;
    const found = legit.map((e) => items.find((a) => a.event_ids.includes(eventIdOf(e))));
    return found.every(Boolean) ? (found as AlertDoc[]) : undefined;
  });
  assert.deepEqual(alerts.map((a) => a.entity.value), ['alice@example.com', 'bob@example.com']);

  // The poison is set aside with its reason, and nothing else is.
  const dead = await eventually('the poison in the dead-letter', async () => {
    const items = (await get<{ items: DeadLetter[] }>(`/v1/dead-letter?event=${encodeURIComponent(eventIdOf(poison))}`)).items;
    return items.length > 0 ? items : undefined;
  });
  assert.equal(dead.length, 1);
  assert.equal(dead[0]!.code, expectCode);
  assert.equal(dead[0]!.rule_id, EXEC_RULE);
  assert.equal(dead[0]!.stage, 'record');
  assert.ok(dead[0]!.reason.length > 0, 'a reason');
  assert.match(dead[0]!.event_excerpt, /poisoned-sa/);
  const all = (await get<{ items: DeadLetter[] }>('/v1/dead-letter?size=100')).items;
  assert.deepEqual(all.map((d) => d.event_id), [eventIdOf(poison)], 'only the poison');
  const byId = await get<DeadLetter>(`/v1/dead-letter/${dead[0]!.id}`);
  assert.equal(byId.event_id, eventIdOf(poison));
  const noAlert = (await get<{ items: AlertDoc[] }>(`/v1/alerts?rule=${EXEC_RULE}&size=100`)).items.filter((a) => a.entity.value === POISON_USER);
  assert.deepEqual(noAlert, [], 'the refused alert was not half-recorded');
}

describe('adversarial: a poison event first in a batch does not blind detection (embedded, npm start)', () => {
  let b: BulwarkProcess;
  let shipper: string;
  let reader: string;

  before(async () => {
    b = await startBulwark();
    shipper = (await b.mint('audit-webhook', ['ingest'], { sources: ['k8s-audit'] })).token;
    reader = (await b.mint('analyst', ['read'])).token;
    // The store refuses any alert naming the poisoned service account (a real SQLite refusal, SQLITE_CONSTRAINT_TRIGGER).
    const db = new Database(join(b.dir, 'bulwark.db'));
    db.pragma('busy_timeout = 5000');
    db.exec(`CREATE TRIGGER refuse_poisoned_sa BEFORE INSERT ON case_records
             WHEN NEW.collection = 'alerts' AND json_extract(NEW.doc, '$.annotations.sa_name') = 'poisoned-sa'
             BEGIN SELECT RAISE(ABORT, 'alert refused by the store'); END;`);
    db.close();
  });
  after(() => b?.stop());

  const post = (body: unknown) =>
    b.fetch('/v1/ingest/k8s-audit', { method: 'POST', token: shipper, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const get = <T>(path: string) => b.get<T>(path, reader);

  it('the events after the poison become alerts; the poison is dead-lettered with its reason and counted', async () => {
    await poisonFirst(post, get, 'SQLITE_CONSTRAINT_TRIGGER');
    const status = await get<{ dead_lettered: number; retried: number; failures: number; events: number; thread: boolean }>('/v1/correlator/status');
    assert.equal(status.thread, true, 'the embedded correlator thread answers');
    assert.equal(status.dead_lettered, 1);
    assert.ok(status.retried >= 1, 'the poison was retried before it was set aside');
    assert.equal(status.failures, 0, 'no batch was given back to the bus');
  });

  it('an oversized field is not poison: the alert is recorded with the field cut, and says so', async () => {
    const huge = exec('carol@example.com', `p${'x'.repeat(9000)}`);
    const res = await post(eventList([huge, exec('dave@example.com', 'web-3')]));
    assert.equal(res.status, 200, await res.clone().text());
    const alert = await eventually('the alert of the oversized event', async () =>
      (await get<{ items: AlertDoc[] }>(`/v1/alerts?rule=${EXEC_RULE}&size=100`)).items.find((a) => a.event_ids.includes(eventIdOf(huge))),
    );
    assert.ok(alert.provenance?.truncated?.some((f) => f.startsWith('annotations')), `the cut is listed: ${JSON.stringify(alert.provenance)}`);
    assert.ok((alert.annotations?.pod ?? '').length <= 8192);
    const dead = (await get<{ items: DeadLetter[] }>(`/v1/dead-letter?event=${encodeURIComponent(eventIdOf(huge))}`)).items;
    assert.deepEqual(dead, [], 'not dead-lettered');
  });
});

describe('adversarial: a poison event first in a batch does not blind detection (scale: BullMQ, OpenSearch)', () => {
  let d: ScaleDeployment;
  before(async () => {
    d = await startScaleDeployment(1);
    // The engine refuses any alert naming a service account: `annotations.sa_name` is mapped as a number.
    const index = `${d.env.BULWARK_STORE_PREFIX}-alerts`;
    const res = await fetch(`${d.env.BULWARK_STORE_URL}/${index}/_mapping`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ properties: { annotations: { properties: { sa_name: { type: 'long' } } } } }),
    });
    assert.equal(res.status, 200, await res.text());
  });
  after(() => d?.close());

  it('the events after the poison become alerts; the poison is dead-lettered with its reason and counted', async () => {
    const post = (body: unknown) =>
      d.h.fetch('/v1/ingest/k8s-audit', { method: 'POST', token: d.h.tokens.ingest, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    const get = async <T>(path: string): Promise<T> => {
      const res = await d.h.fetch(path, { token: d.h.tokens.read });
      assert.equal(res.status, 200, `${path} -> ${res.status} ${await res.clone().text()}`);
      return (await res.json()) as T;
    };
    await poisonFirst(post, get, 'BWK_BAD_REQUEST');
    const status = await d.status(d.correlators[0]!);
    assert.equal(status.dead_lettered, 1);
    assert.equal(status.failures, 0, 'no batch was given back to the bus');
  });
});
