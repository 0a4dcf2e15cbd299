// services: process
/**
 * `POST /v1/rules/backtest` end to end: Kubernetes audit events are posted to the collector (in two requests, the
 * later events first, as a webhook retry or a second API server would deliver them), then bundled rules — a
 * single-event rule and a correlation — and a posted rule are backtested over that window through the API and give
 * the would-be alerts. Bad bodies are 400s naming the field; the route needs the `read` scope.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { startHarness, type Harness } from '../support/harness.js';

const POD_EXEC_ATTACH = '1fea1988-ca78-480b-a140-a99798d3a434';
const SECRET_READ = '38eaadf0-deca-408e-8a4e-5ed4da013046';
const SECRETS_ENUMERATION = 'bulwark_k8s_secrets_enumeration';

/** Two hours ago, on a whole minute: every event of the test sits in [BASE, BASE + 10 min). */
const BASE = Math.floor(Date.now() / 60_000) * 60_000 - 2 * 3_600_000;
const at = (seconds: number) => new Date(BASE + seconds * 1000).toISOString();

/** A native audit event (audit.k8s.io/v1), as the API server's webhook sends it. */
function audit(auditID: string, seconds: number, user: string, verb: string, objectRef: Record<string, string>, code = 200): Record<string, unknown> {
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${objectRef.namespace}/${objectRef.resource}/${objectRef.name}`,
    verb,
    user: { username: user, groups: ['system:authenticated'] },
    sourceIPs: ['198.51.100.23'],
    objectRef: { apiVersion: 'v1', ...objectRef },
    responseStatus: { metadata: {}, code },
    requestReceivedTimestamp: at(seconds),
    stageTimestamp: at(seconds),
  };
}

const exec = audit('exec-ok', 30, 'alice', 'create', { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' });
const execDenied = audit('exec-denied', 40, 'alice', 'create', { resource: 'pods', subresource: 'exec', namespace: 'shop', name: 'web-1' }, 403);
/** mallory reads 10 differently named secrets (one twice, 11 reads) within 50 s, then one more 5 minutes later. */
const secretReads = [...Array.from({ length: 10 }, (_, i) => i), 3].map((n, i) =>
  audit(`secret-${i}`, 60 + i * 5, 'mallory', 'get', { resource: 'secrets', namespace: 'payments', name: `secret-${n}` }),
);
const laterRead = audit('secret-late', 420, 'mallory', 'get', { resource: 'secrets', namespace: 'payments', name: 'secret-x' });

interface BacktestAnswer {
  scanned: number;
  matches: number;
  truncated: boolean;
  hits_omitted: number;
  datasets: string[];
  by_rule: Record<string, { title: string; matches: number; kind: string }>;
  hits: Array<{ rule: { id: string; kind: string }; event_ids: string[]; event_count: number; group?: Record<string, string>; distinct?: number; first_seen: string }>;
}

describe('POST /v1/rules/backtest', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
    const post = async (items: unknown[]) => {
      const res = await h.fetch('/v1/ingest/k8s-audit', {
        method: 'POST',
        token: h.tokens.ingest,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items }),
      });
      assert.equal(res.status, 200, await res.text());
    };
    await post([laterRead, ...secretReads.slice(6).reverse()]); // later events stored first
    await post([exec, execDenied, ...secretReads.slice(0, 6)]);
  });
  after(() => h.close());

  const backtest = (body: unknown, token: string | null = h.tokens.read) =>
    h.fetch('/v1/rules/backtest', { method: 'POST', token, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const ok = async (body: Record<string, unknown>): Promise<BacktestAnswer> => {
    const res = await backtest({ from: at(0), to: at(600), ...body });
    const text = await res.text();
    assert.equal(res.status, 200, text);
    return JSON.parse(text) as BacktestAnswer;
  };

  it('a bundled single-event rule by id lists the allowed exec, not the denied one', async () => {
    const answer = await ok({ rule_id: POD_EXEC_ATTACH });
    assert.equal(answer.scanned, 14);
    assert.deepEqual(answer.datasets, ['kubernetes.audit']);
    assert.equal(answer.matches, 1);
    assert.equal(answer.truncated, false);
    assert.deepEqual(answer.hits.map((hit) => [hit.event_ids, hit.first_seen]), [[['exec-ok-ResponseComplete'], at(30)]]);
  });

  it('a bundled correlation by name fires once over the stored history, with its group and building block counts', async () => {
    const answer = await ok({ rule_id: SECRETS_ENUMERATION });
    assert.equal(answer.matches, 1);
    const [hit] = answer.hits;
    assert.equal(hit!.rule.kind, 'correlation');
    assert.deepEqual(hit!.group, { 'user.username': 'mallory' });
    assert.equal(hit!.distinct, 10);
    assert.equal(hit!.first_seen, at(60));
    assert.equal(answer.by_rule[SECRET_READ]!.matches, 12);
  });

  it('a posted rule runs as written; limit bounds the listed hits, counts stay exact; an empty range scans nothing', async () => {
    const rule = [
      'title: mallory reads secrets',
      'logsource: {product: kubernetes, service: audit}',
      'detection:',
      '  sel: {user.username: mallory, objectRef.resource: secrets}',
      '  condition: sel',
      'level: low',
    ].join('\n');
    const answer = await ok({ rule, limit: 5 });
    assert.equal(answer.matches, 12);
    assert.equal(answer.hits.length, 5);
    assert.equal(answer.hits_omitted, 7);
    assert.deepEqual(answer.hits.map((hit) => hit.event_ids[0]), [0, 1, 2, 3, 4].map((i) => `secret-${i}-ResponseComplete`));
    const early = await ok({ rule, from: at(-600), to: at(0) });
    assert.equal(early.scanned, 0);
    assert.equal(early.matches, 0);
  });

  it('answers 400 naming the field for every bad body', async () => {
    const cases: Array<[unknown, string, RegExp]> = [
      [{ from: at(0) }, 'rule', /exactly one of "rule"/],
      [{ rule: 'x', rule_id: POD_EXEC_ATTACH, from: at(0) }, 'rule_id', /exactly one of "rule"/],
      [{ rule_id: POD_EXEC_ATTACH }, 'from', /is required/],
      [{ rule_id: POD_EXEC_ATTACH, from: 'last tuesday' }, 'from', /ISO 8601/],
      [{ rule_id: POD_EXEC_ATTACH, from: at(600), to: at(0) }, 'from', /before "to"/],
      [{ rule_id: POD_EXEC_ATTACH, from: 'now-40d', to: 'now' }, 'to', /longer than 31 days/],
      [{ rule_id: POD_EXEC_ATTACH, from: at(0), limit: 5000 }, 'limit', /./],
      [{ rule_id: POD_EXEC_ATTACH, from: at(0), limit: '5' }, 'limit', /./],
      [{ rule_id: POD_EXEC_ATTACH, from: at(0), window: '5m' }, 'window', /unknown field/],
      [{ rule_id: 'no-such-rule', from: at(0) }, 'rule_id', /no loaded rule .* "no-such-rule"/],
      [{ rule: 'title: [unterminated', from: at(0) }, 'rule', /./],
      [{ rule: 'title: t\nlogsource: {product: kubernetes, service: audit}\ndetection:\n  sel: {verb: get}\n  condition: sel and nope\n', from: at(0) }, 'rule', /detection\.condition/],
      [{ rule: 'title: c\ncorrelation:\n  type: event_count\n  rules: [not-a-rule]\n  group-by: [user.username]\n  timespan: 1m\n  condition: {gte: 2}\n', from: at(0) }, 'rule', /correlation\.rules\.0: .*not-a-rule/],
      [[1, 2], '(body)', /JSON object/],
    ];
    for (const [body, field, message] of cases) {
      const res = await backtest(body);
      const answer = (await res.json()) as { error: { code: string; message: string; details?: { field?: string } } };
      assert.equal(res.status, 400, `${JSON.stringify(body)} -> ${JSON.stringify(answer)}`);
      assert.equal(answer.error.code, 'BWK_BAD_REQUEST');
      assert.equal(answer.error.details?.field, field, JSON.stringify(answer));
      assert.match(answer.error.message, new RegExp(`^field "${field.replace(/[()]/g, '\\$&')}": `));
      assert.match(answer.error.message, message);
    }
    const notJson = await h.fetch('/v1/rules/backtest', { method: 'POST', token: h.tokens.read, headers: { 'content-type': 'application/json' }, body: '{"from": ' });
    assert.equal(notJson.status, 400);
    const plain = await h.fetch('/v1/rules/backtest', { method: 'POST', token: h.tokens.read, headers: { 'content-type': 'text/plain' }, body: 'rule_id=x' });
    assert.equal(plain.status, 400);
    assert.match(((await plain.json()) as { error: { message: string } }).error.message, /Content-Type: application\/json/);
  });

  it('needs a token with the read scope: 401 without one, 403 with an ingest-only token', async () => {
    const body = { rule_id: POD_EXEC_ATTACH, from: at(0), to: at(600) };
    const none = await backtest(body, null);
    assert.equal(none.status, 401);
    assert.equal(((await none.json()) as { error: { code: string } }).error.code, 'BWK_AUTH_MISSING');
    const ingest = await backtest(body, h.tokens.ingest);
    assert.equal(ingest.status, 403);
    assert.equal(((await ingest.json()) as { error: { code: string } }).error.code, 'BWK_AUTH_FORBIDDEN');
    assert.equal((await backtest(body, h.tokens.admin)).status, 200);
  });
});
