import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AlertSchema } from '@bulwark/schema';
import { alertForRule, BUNDLED_RULES_DIR, entityOf, loadRuleDir, severityOf } from '../src/index.js';

const audit = (user: string) => ({
  '@timestamp': '2026-11-29T10:00:00.000Z',
  event: { id: 'a1-ResponseComplete', dataset: 'kubernetes.audit', kind: 'event' },
  user: { name: user },
  source: { ip: '10.0.0.1' },
  kubernetes: { audit: { verb: 'get', user: { username: user }, objectRef: { resource: 'secrets' }, responseStatus: { code: 200 } } },
});

describe('correlator building blocks', () => {
  it('loads and compiles every bundled rule, and no fixture file', () => {
    const loaded = loadRuleDir(BUNDLED_RULES_DIR);
    assert.ok(loaded.rules.length >= 30, `${loaded.rules.length} rules`);
    assert.ok(loaded.files.every((f) => !/\.fixtures\./.test(f)));
  });

  it('maps Sigma levels to severities', () => {
    assert.equal(severityOf('informational'), 'info');
    assert.equal(severityOf('critical'), 'critical');
    assert.equal(severityOf(undefined), 'info');
  });

  it('picks the entity incidents group by: audit user, workload, source ip', () => {
    assert.deepEqual(entityOf(audit('alice')), { kind: 'user', value: 'alice' });
    assert.deepEqual(
      entityOf({ event: { dataset: 'falco.alerts' }, kubernetes: { namespace: 'payments', pod: { name: 'api-0' } }, user: { name: 'root' } }),
      { kind: 'workload', value: 'api-0', namespace: 'payments' },
    );
    assert.deepEqual(entityOf({ event: { dataset: 'container.logs' }, source: { ip: '192.0.2.9' } }), { kind: 'source_ip', value: '192.0.2.9' });
  });

  it('gives a valid alert whose id depends only on the rule and the event', () => {
    const rule = { title: 'Secret read', id: '38eaadf0-deca-408e-8a4e-5ed4da013046', level: 'informational', tags: ['attack.t1552.007'] } as never;
    const a = alertForRule(rule, audit('alice'), 'a1-ResponseComplete', 0);
    const b = alertForRule(rule, audit('alice'), 'a1-ResponseComplete', 1);
    assert.equal(a.id, b.id);
    assert.notEqual(a.id, alertForRule(rule, audit('alice'), 'a2-ResponseComplete', 0).id);
    const parsed = AlertSchema.parse(a);
    assert.equal(parsed.severity, 'info');
    assert.equal(parsed.first_seen, '2026-11-29T10:00:00.000Z');
    assert.equal(parsed.group_key, 'user:alice');
  });
});
