/**
 * Three correlations over an attack in the cluster (exec into a pod, a secret read, a cluster-admin binding), end to
 * end through the detection core: Kubernetes audit events →
 * `RuleSet.match` → `CorrelationEngine`. Rules and events are written for these tests (audit.k8s.io/v1 shapes).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileCorrelations, compileRules, CorrelationEngine, loadSigmaFiles, type CorrelationMatch } from '../src/index.js';

const rule = (name: string, detection: string, level = 'medium') =>
  `title: ${name.replace(/_/g, ' ')}\nname: ${name}\nlogsource: {product: kubernetes, service: audit}\ndetection:\n${detection}\nlevel: ${level}\n`;

const FILES = [
  { file: 'k8s_secret_read.yml', source: rule('k8s_secret_read', '  sel:\n    verb: get\n    objectRef.resource: secrets\n  condition: sel') },
  { file: 'k8s_auth_failed.yml', source: rule('k8s_auth_failed', '  sel:\n    responseStatus.code: [401, 403]\n  condition: sel', 'low') },
  { file: 'k8s_auth_ok.yml', source: rule('k8s_auth_ok', "  sel:\n    responseStatus.code: 200\n  anon:\n    user.username: 'system:anonymous'\n  condition: sel and not anon", 'informational') },
  { file: 'k8s_pod_exec.yml', source: rule('k8s_pod_exec', '  sel:\n    verb: create\n    objectRef.resource: pods\n    objectRef.subresource: exec\n  condition: sel', 'high') },
  { file: 'k8s_crb_create.yml', source: rule('k8s_crb_create', '  sel:\n    verb: create\n    objectRef.resource: clusterrolebindings\n  condition: sel', 'high') },
  {
    file: 'mr_secrets_enumeration.yml',
    source: `title: Secrets enumeration by one user
name: secrets_enumeration
level: high
correlation:
  type: value_count
  rules: [k8s_secret_read]
  group-by: [user.username]
  timespan: 1m
  condition: {field: objectRef.name, gte: 10}
`,
  },
  {
    file: 'mr_auth_failures.yml',
    source: `title: Repeated authentication failures from one address
name: auth_failures
correlation:
  type: event_count
  rules: [k8s_auth_failed]
  group-by: [sourceIPs]
  timespan: 10m
  condition: {gte: 5}
`,
  },
  {
    file: 'mr_brute_force_success.yml',
    source: `title: Brute force then success from one address
name: brute_force_success
level: high
correlation:
  type: temporal_ordered
  rules: [auth_failures, k8s_auth_ok]
  group-by: [sourceIPs]
  timespan: 10m
`,
  },
  {
    file: 'mr_multi_stage_breach.yml',
    source: `title: Exec into a pod, secrets read, cluster role binding created
name: multi_stage_breach
level: critical
generate: true
correlation:
  type: temporal_ordered
  rules: [k8s_pod_exec, k8s_secret_read, k8s_crb_create]
  group-by: [user.username]
  timespan: 15m
`,
  },
];

const T0 = Date.parse('2026-11-29T09:00:00.000Z');
let seq = 0;

/** An audit.k8s.io/v1 event as the collector stores it: ECS envelope, native audit event under kubernetes.audit. */
function audit(atMs: number, user: string, verb: string, objectRef: Record<string, string>, code = 200, ip = '10.20.0.15') {
  const id = `audit-${++seq}`;
  return {
    '@timestamp': new Date(T0 + atMs).toISOString(),
    event: { id, dataset: 'kubernetes.audit' },
    user: { name: user },
    source: { ip },
    kubernetes: {
      audit: {
        kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: id, stage: 'ResponseComplete',
        requestURI: `/api/v1/namespaces/${objectRef.namespace ?? 'default'}/${objectRef.resource}/${objectRef.name ?? ''}`,
        verb, user: { username: user, groups: ['system:authenticated'] }, sourceIPs: [ip], userAgent: 'kubectl/v1.31.2',
        objectRef: { apiVersion: 'v1', ...objectRef } as Record<string, string>, responseStatus: { metadata: {}, code },
        requestReceivedTimestamp: new Date(T0 + atMs).toISOString(),
      },
    },
  };
}

function pipeline() {
  const { rules, correlations } = loadSigmaFiles(FILES);
  const ruleset = compileRules(rules);
  const engine = new CorrelationEngine(compileCorrelations(correlations, rules), { allowedLatenessMs: 5_000 });
  return async (events: unknown[]): Promise<CorrelationMatch[]> => {
    const out: CorrelationMatch[] = [];
    for (const event of events) out.push(...(await engine.process(event, ruleset.match(event).map((m) => m.rule.name!))));
    return out;
  };
}

const titles = (matches: CorrelationMatch[]) => matches.map((m) => m.rule.name);
const secretGet = (s: number, user: string, name: string) => audit(s * 1000, user, 'get', { resource: 'secrets', namespace: 'payments', name });

describe('scenario: secrets enumeration (≥ 10 distinct secret names per user in 1 min)', () => {
  it('fires for ten different secrets read by one user within a minute', async () => {
    const events = Array.from({ length: 10 }, (_, i) => secretGet(i * 5, 'mallory', `db-credentials-${i}`));
    const matches = (await pipeline()(events)).filter((m) => m.rule.name === 'secrets_enumeration');
    assert.equal(matches.length, 1);
    assert.deepEqual([matches[0]!.group, matches[0]!.distinct, matches[0]!.eventIds.length], [{ 'user.username': 'mallory' }, 10, 10]);
  });

  it('does not fire for the same secrets read again, other users, or the reads spread over two minutes', async () => {
    const rereads = Array.from({ length: 20 }, (_, i) => secretGet(i * 2, 'operator', `tls-cert-${i % 5}`));
    const twoUsers = Array.from({ length: 10 }, (_, i) => secretGet(60 + i, i % 2 ? 'alice' : 'bob', `s-${i}`));
    const slow = Array.from({ length: 10 }, (_, i) => secretGet(200 + i * 13, 'carol', `s-${i}`));
    assert.deepEqual(titles(await pipeline()([...rereads, ...twoUsers, ...slow])), []);
  });
});

describe('scenario: brute force then success (≥ 5 failures then a success from one address in 10 min)', () => {
  const attempt = (s: number, code: number, ip = '203.0.113.50', user = 'system:anonymous') =>
    audit(s * 1000, user, 'list', { resource: 'pods', namespace: 'default' }, code, ip);

  it('fires when a success follows five failures from the same address', async () => {
    const events = [10, 40, 70, 100, 130].map((s) => attempt(s, 401));
    events.push(attempt(200, 200, '203.0.113.50', 'dev-admin'));
    const matches = await pipeline()(events);
    assert.deepEqual(titles(matches), ['auth_failures', 'brute_force_success']);
    const chain = matches[1]!;
    assert.deepEqual(chain.group, { sourceIPs: '203.0.113.50' });
    assert.equal(chain.eventIds[0], matches[0]!.id); // the chain holds the failures match, then the success event
  });

  it('does not fire for four failures, a success before the failures, or a success from another address', async () => {
    const four = [10, 40, 70, 100].map((s) => attempt(s, 401)).concat(attempt(150, 200, '203.0.113.50', 'dev-admin'));
    assert.deepEqual(titles(await pipeline()(four)), []);
    const successFirst = [attempt(5, 200, '198.51.100.7', 'dev-admin'), ...[10, 20, 30, 40, 50].map((s) => attempt(s, 401, '198.51.100.7'))];
    assert.deepEqual(titles(await pipeline()(successFirst)), ['auth_failures']);
    const elsewhere = [...[10, 20, 30, 40, 50].map((s) => attempt(s, 403, '192.0.2.9')), attempt(60, 200, '192.0.2.10', 'dev-admin')];
    assert.deepEqual(titles(await pipeline()(elsewhere)), ['auth_failures']);
  });
});

describe('scenario: multi-stage breach (exec → secrets read → cluster role binding, by user, in 15 min)', () => {
  const exec = (s: number, user: string) => audit(s * 1000, user, 'create', { resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'checkout-7d9f6c5b8-x2k4q' });
  const crb = (s: number, user: string) => audit(s * 1000, user, 'create', { resource: 'clusterrolebindings', name: 'backdoor-admin', apiVersion: 'rbac.authorization.k8s.io/v1' }, 201);

  it('fires once for the stages in order by one user, naming the events (the pod is in the first)', async () => {
    const events = [exec(0, 'eve'), secretGet(120, 'eve', 'stripe-api-key'), crb(600, 'eve')];
    const matches = await pipeline()(events);
    assert.deepEqual(titles(matches), ['multi_stage_breach']);
    const [match] = matches;
    assert.equal(match!.rule.level, 'critical');
    assert.deepEqual(match!.eventIds, events.map((e) => e.event.id));
    assert.equal(events[0]!.kubernetes.audit.objectRef.name, 'checkout-7d9f6c5b8-x2k4q');
    assert.deepEqual(match!.window, { start: events[0]!['@timestamp'], end: events[2]!['@timestamp'] });
  });

  it('does not fire out of order, across users, or beyond 15 minutes', async () => {
    assert.deepEqual(titles(await pipeline()([secretGet(0, 'eve', 'k'), exec(60, 'eve'), crb(120, 'eve')])), []);
    assert.deepEqual(titles(await pipeline()([exec(0, 'eve'), secretGet(60, 'frank', 'k'), crb(120, 'eve')])), []);
    assert.deepEqual(titles(await pipeline()([exec(0, 'eve'), secretGet(60, 'eve', 'k'), crb(15 * 60 + 1, 'eve')])), []);
  });

  it('the base rules of a generate: true correlation still alert on their own; building blocks do not', () => {
    const { rules, correlations } = loadSigmaFiles(FILES);
    const set = compileCorrelations(correlations, rules);
    const byName = (name: string) => rules.find((r) => r.name === name)!;
    assert.equal(set.standalone(byName('k8s_pod_exec')), true);
    assert.equal(set.standalone(byName('k8s_auth_failed')), false);
  });
});
