/**
 * `RuleSet.readsPath`: the stored paths rules can read. An event cut down to those paths (as the embedded bus rebuilds
 * it from the chosen columns alone) matches exactly the rules the whole event matches — native audit names, keys
 * holding dots, arrays of objects, keyword lists, `fieldref` targets and `exists` included.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRules, loadRule, RuleSet } from '../src/index.js';
import { auditEvent, ruleYaml } from './helpers.js';

const rules = [
  'sel:\n  verb: create\n  objectRef.subresource: exec\ncondition: sel',
  "sel:\n  annotations.authorization.k8s.io/decision: forbid\ncondition: sel",
  'sel:\n  requestObject.subjects.name: admin\ncondition: sel',
  'sel:\n  user.username|fieldref: impersonatedUser.username\ncondition: sel',
  'sel:\n  responseStatus.reason|exists: true\ncondition: sel',
  "kw:\n  - 'evil payload'\ncondition: kw",
].map((detection, i) => loadRule(ruleYaml(detection, i === 5 ? 'product: container' : undefined), `r${i}.yml`));

/** The event with only its leaves (scalars, arrays kept whole, empty objects: a block's columns) at paths `keep` accepts. */
function cutDown(value: unknown, keep: (keys: readonly string[]) => boolean, path: string[] = []): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value) || Object.keys(value).length === 0) {
    return keep(path) ? value : undefined;
  }
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(value)) {
    const kept = cutDown(child, keep, [...path, key]);
    if (kept !== undefined) out[key] = kept;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

const events = [
  auditEvent({ verb: 'create', objectRef: { resource: 'pods', subresource: 'exec' }, stage: 'ResponseComplete' }),
  auditEvent({ verb: 'create', objectRef: { subresource: 'log' } }, { objectRef: { subresource: 'exec' } }),
  auditEvent({ verb: 'get', annotations: { 'authorization.k8s.io/decision': 'forbid' } }),
  auditEvent({ verb: 'get', annotations: { authorization: { 'k8s.io/decision': 'forbid' } } }),
  auditEvent({ requestObject: { subjects: [{ kind: 'User', name: 'admin' }, { name: 'bob' }] } }),
  auditEvent({ user: { username: 'mallory' }, impersonatedUser: { username: 'Mallory' } }),
  auditEvent({ user: { username: 'mallory' }, impersonatedUser: { username: 'alice' } }),
  auditEvent({ responseStatus: { code: 403, reason: 'Forbidden' } }),
  auditEvent({ responseStatus: { code: 200, reason: {} } }),
  auditEvent({ responseStatus: { code: 200 } }),
  { event: { id: 'c1', dataset: 'container.logs' }, message: 'an evil payload arrived', log: { level: 'info' } },
  { event: { id: 'c2', dataset: 'container.logs' }, message: 'fine', labels: { note: 'evil payload' } },
];

describe('RuleSet.readsPath', () => {
  const set = compileRules(rules);
  const keep = (keys: readonly string[]) => set.readsPath(keys);

  it('knows the fields its rules read, under kubernetes.audit too, and nothing else', () => {
    assert.equal(set.knowsFields, true);
    for (const keys of [['event', 'dataset'], ['verb'], ['kubernetes', 'audit', 'verb'], ['kubernetes', 'audit', 'objectRef'], ['message'],
      ['annotations', 'authorization.k8s.io/decision'], ['kubernetes', 'audit', 'requestObject', 'subjects'], ['impersonatedUser', 'username'],
      ['kubernetes', 'audit', 'responseStatus', 'reason', 'x']]) {
      assert.equal(set.readsPath(keys), true, keys.join('.'));
    }
    for (const keys of [['kubernetes', 'audit', 'stage'], ['kubernetes', 'audit', 'objectRef', 'resource'], ['log', 'level'], ['labels', 'note'], ['@timestamp'], ['event', 'id']]) {
      assert.equal(set.readsPath(keys), false, keys.join('.'));
    }
  });

  it('an event cut down to those paths matches the same rules as the whole event', () => {
    const matched = (e: unknown) => set.match(e).map((m) => m.rule.file).join(',');
    const whole = events.map(matched);
    assert.deepEqual(events.map((e) => matched(cutDown(e, keep))), whole);
    // Every rule fires on some event, and the cut-down events lost fields: the comparison means something.
    assert.deepEqual(new Set(whole.flatMap((m) => m.split(',')).filter(Boolean)), new Set(rules.map((r) => r.file)));
    assert.ok(events.some((e) => JSON.stringify(cutDown(e, keep)) !== JSON.stringify(e)));
  });

  it('reads every path when built without its rules\' fields', () => {
    assert.equal(new RuleSet([]).readsPath(['anything']), true);
    assert.equal(new RuleSet([]).knowsFields, false);
  });
});
