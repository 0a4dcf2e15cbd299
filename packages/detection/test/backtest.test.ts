/** Backtest core: what a rule or correlation would have fired over stored history, with exact counts and bounds. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  datasetQuery, findRule, loadCorrelation, loadRule, pagedEvents, planBacktest, runBacktest, SigmaRuleError, type BacktestContext,
} from '../src/index.js';

const EXEC_ID = '0b5a8f4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b';
const EXEC = loadRule(
  `title: exec into a pod\nid: ${EXEC_ID}\nlogsource: {product: kubernetes, service: audit}\n` +
    `detection:\n  exec:\n    objectRef.subresource: exec\n  condition: exec\nlevel: medium\n`,
  'exec.yml',
);
const BURST_YAML = (rules: string, id = '5f0c3a1e-8d2b-4c7e-9a6f-1b2c3d4e5f60') =>
  `title: many execs by one user\nid: ${id}\nname: exec_burst\ncorrelation:\n  type: event_count\n  rules: [${rules}]\n` +
  `  group-by: [user.username]\n  timespan: 10m\n  condition: {gte: 3}\nlevel: high\n`;
const BURST = loadCorrelation(BURST_YAML(EXEC_ID), 'burst.yml');
const CONTEXT: BacktestContext = { rules: [EXEC], correlations: [BURST] };

const T0 = Date.parse('2026-11-29T10:00:00Z');

/** An audit event at T0 + `minutes`, an exec (or a `get`) by `user`. */
function audit(id: string, minutes: number, user = 'alice', subresource: string | undefined = 'exec'): Record<string, unknown> {
  return {
    '@timestamp': new Date(T0 + minutes * 60_000).toISOString(),
    event: { id, kind: 'event', dataset: 'kubernetes.audit' },
    message: `${user} create pods/${subresource ?? ''}`,
    kubernetes: { audit: { verb: 'create', user: { username: user }, objectRef: { resource: 'pods', ...(subresource ? { subresource } : {}) } } },
  };
}

test('a single-event rule lists each matching event with its id, time and message; other events and datasets miss', async () => {
  const falco = { '@timestamp': new Date(T0).toISOString(), event: { id: 'f1', dataset: 'falco.alerts' }, objectRef: { subresource: 'exec' } };
  const history = [audit('a', 0), audit('b', 1, 'alice', 'log'), falco, audit('c', 2, 'bob')];
  const result = await runBacktest(planBacktest(EXEC), history);
  assert.equal(result.scanned, 4);
  assert.equal(result.matches, 2);
  assert.equal(result.truncated, false);
  assert.equal(result.hits_omitted, 0);
  assert.deepEqual(result.datasets, ['kubernetes.audit']);
  assert.deepEqual(result.rule, { id: EXEC_ID, title: 'exec into a pod', level: 'medium', kind: 'rule' });
  assert.deepEqual(result.hits.map((h) => [h.event_ids, h.first_seen, h.summary]), [
    [['a'], '2026-11-29T10:00:00.000Z', 'alice create pods/exec'],
    [['c'], '2026-11-29T10:02:00.000Z', 'bob create pods/exec'],
  ]);
  assert.deepEqual(result.by_rule, { [EXEC_ID]: { title: 'exec into a pod', level: 'medium', kind: 'rule', matches: 2 } });
  assert.equal(result.scanned_until, '2026-11-29T10:02:00.000Z');
});

test('a rule that never matches reports zero, with the rule still listed in by_rule', async () => {
  const result = await runBacktest(planBacktest(EXEC), [audit('a', 0, 'alice', 'log')]);
  assert.equal(result.matches, 0);
  assert.deepEqual(result.hits, []);
  assert.equal(result.by_rule[EXEC_ID]!.matches, 0);
});

test('a correlation fires over history with its window, group and events; its building block is counted too', async () => {
  const history = [audit('a1', 0), audit('b1', 1, 'bob'), audit('a2', 3), audit('b2', 4, 'bob'), audit('a3', 9), audit('a4', 30)];
  const result = await runBacktest(planBacktest(BURST, CONTEXT), history);
  assert.equal(result.matches, 1);
  assert.equal(result.rule.kind, 'correlation');
  const [hit] = result.hits;
  assert.deepEqual(hit!.event_ids, ['a1', 'a2', 'a3']);
  assert.equal(hit!.event_count, 3);
  assert.equal(hit!.count, 3);
  assert.deepEqual(hit!.group, { 'user.username': 'alice' });
  assert.deepEqual(hit!.window, { start: '2026-11-29T10:00:00.000Z', end: '2026-11-29T10:09:00.000Z' });
  assert.equal(hit!.first_seen, '2026-11-29T10:00:00.000Z');
  assert.match(hit!.match_id!, /^[0-9a-f]{8}-/);
  assert.equal(result.by_rule[EXEC_ID]!.matches, 6);
  assert.equal(result.by_rule['5f0c3a1e-8d2b-4c7e-9a6f-1b2c3d4e5f60']!.matches, 1);
});

test('events a little out of order (within the allowed lateness) still complete a window; older ones do not', async () => {
  const shuffled = [audit('a1', 0), audit('a3', 2), audit('a2', 1)];
  assert.equal((await runBacktest(planBacktest(BURST, CONTEXT), shuffled)).matches, 1);
  const tooLate = [audit('a1', 5), audit('a2', 6), audit('a0', 4)];
  assert.equal((await runBacktest(planBacktest(BURST, CONTEXT), tooLate, { allowedLatenessMs: 30_000 })).matches, 0);
});

test('a correlation reaches chained correlations and their rules through the context, not the rest of it', async () => {
  const unrelated = loadRule('title: unrelated\nid: 11111111-2222-4333-8444-555555555555\nlogsource: {product: falco}\ndetection:\n  s:\n    rule.name: x\n  condition: s\n', 'u.yml');
  const twice = loadCorrelation(
    `title: two bursts\nid: 9a9a9a9a-1b1b-4c2c-8d3d-4e4e4e4e4e4e\ncorrelation:\n  type: event_count\n  rules: [exec_burst]\n` +
      `  group-by: [user.username]\n  timespan: 1h\n  condition: {gte: 2}\nlevel: critical\n`,
    'twice.yml',
  );
  const plan = planBacktest(twice, { rules: [EXEC, unrelated], correlations: [BURST] });
  assert.deepEqual(plan.datasets, ['kubernetes.audit']);
  const history = [0, 1, 2, 20, 21, 22].map((m, i) => audit(`e${i}`, m));
  const result = await runBacktest(plan, history);
  assert.equal(result.matches, 1);
  assert.equal(result.by_rule['5f0c3a1e-8d2b-4c7e-9a6f-1b2c3d4e5f60']!.matches, 2);
  assert.equal(result.hits[0]!.rule.level, 'critical');
  assert.equal(result.by_rule['11111111-2222-4333-8444-555555555555'], undefined);
});

test('a correlation whose reference is not in the context is refused naming its path', () => {
  const orphan = loadCorrelation(BURST_YAML('no-such-rule', '7e7e7e7e-1b1b-4c2c-8d3d-4e4e4e4e4e4e'), 'orphan.yml');
  assert.throws(() => planBacktest(orphan, CONTEXT), (error: unknown) => {
    assert.ok(error instanceof SigmaRuleError);
    assert.equal(error.problems[0]!.path, 'correlation.rules.0');
    assert.match(error.problems[0]!.message, /no-such-rule/);
    return true;
  });
});

test('a target replaces the context rule with its id (testing an edited copy of a loaded correlation)', async () => {
  const edited = loadCorrelation(BURST_YAML(EXEC_ID).replace('gte: 3', 'gte: 2'), 'edited.yml');
  const result = await runBacktest(planBacktest(edited, CONTEXT), [audit('a1', 0), audit('a2', 1)]);
  assert.equal(result.matches, 1);
});

test('limit bounds the listed hits while every count stays exact', async () => {
  const history = Array.from({ length: 7 }, (_, i) => audit(`e${i}`, i));
  const result = await runBacktest(planBacktest(EXEC), history, { limit: 2 });
  assert.equal(result.matches, 7);
  assert.deepEqual(result.hits.map((h) => h.event_ids[0]), ['e0', 'e1']);
  assert.equal(result.hits_omitted, 5);
  assert.equal(result.truncated, false);
});

test('maxEvents stops the scan and says so, with where it stopped; exactly enough events is not truncated', async () => {
  const history = Array.from({ length: 5 }, (_, i) => audit(`e${i}`, i));
  const cut = await runBacktest(planBacktest(EXEC), history, { maxEvents: 3 });
  assert.equal(cut.truncated, true);
  assert.equal(cut.truncated_by, 'max_events');
  assert.equal(cut.scanned, 3);
  assert.equal(cut.matches, 3);
  assert.equal(cut.scanned_until, '2026-11-29T10:02:00.000Z');
  const whole = await runBacktest(planBacktest(EXEC), history, { maxEvents: 5 });
  assert.equal(whole.truncated, false);
  assert.equal(whole.scanned, 5);
});

test('a deadline stops the scan between events, truncated_by deadline', async () => {
  const deadline = Date.now() + 200;
  /** Two events at once, then the rest only once the deadline has passed (a store that became slow). */
  async function* slowing(): AsyncGenerator<unknown> {
    yield audit('e0', 0);
    yield audit('e1', 1);
    while (Date.now() <= deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    for (let i = 2; i < 5; i++) yield audit(`e${i}`, i);
  }
  const result = await runBacktest(planBacktest(EXEC), slowing(), { deadline });
  assert.equal(result.truncated, true);
  assert.equal(result.truncated_by, 'deadline');
  assert.equal(result.scanned, 2);
  assert.equal(result.scanned_until, '2026-11-29T10:01:00.000Z');
});

test('pagedEvents reads pages only as far as the scan goes', async () => {
  const pages = [[audit('a', 0), audit('b', 1)], [audit('c', 2), audit('d', 3)], [audit('e', 4)]];
  const asked: (string | undefined)[] = [];
  const events = pagedEvents(async (cursor) => {
    asked.push(cursor);
    const i = cursor === undefined ? 0 : Number(cursor);
    return { hits: pages[i]!, cursor: i + 1 < pages.length ? String(i + 1) : null };
  });
  const result = await runBacktest(planBacktest(EXEC), events, { maxEvents: 3 });
  assert.equal(result.truncated, true);
  assert.deepEqual(asked, [undefined, '1']);
  const all: unknown[] = [];
  for await (const e of pagedEvents(async (c) => ({ hits: pages[c ? Number(c) : 0]!, cursor: c === '2' ? null : String(Number(c ?? 0) + 1) }))) all.push(e);
  assert.equal(all.length, 5);
});

test('datasetQuery and findRule', () => {
  assert.equal(datasetQuery(['container.logs', 'kubernetes.container_logs']), 'event.dataset:("container.logs" OR "kubernetes.container_logs")');
  assert.equal(datasetQuery([]), '');
  assert.equal(findRule(EXEC_ID.toUpperCase(), CONTEXT), EXEC);
  assert.equal(findRule('exec_burst', CONTEXT), BURST);
  assert.equal(findRule('nope', CONTEXT), undefined);
});
