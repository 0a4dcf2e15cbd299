/** Loading and compiling correlations: the spec's attributes, and every problem with its file and YAML path. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  compileCorrelations, loadCorrelation, loadRule, loadSigmaFiles, parseTimespan, SigmaRuleError, type SigmaProblem,
} from '../src/index.js';
import { baseRule, correlationYaml } from './correlation-helpers.js';

const MANY_FAILED = `title: Many failed logins
id: 0e95725d-7320-415d-80f7-004da920fc11
name: many_failed
status: experimental
level: medium
tags: [attack.credential_access]
x-team: soc
correlation:
  type: event_count
  rules: [fail]
  group-by: [source.ip]
  timespan: 10m
  condition:
    gte: 5
`;

function problems(fn: () => unknown): string[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SigmaRuleError, String(error));
    return error.problems.map((p: SigmaProblem) => `${p.file}:${p.path}`).sort();
  }
  assert.fail('expected a SigmaRuleError');
}

describe('loadCorrelation', () => {
  it('loads the correlation section and the meta attributes', () => {
    const c = loadCorrelation(MANY_FAILED, 'rules/mr_many_failed.yml');
    assert.equal(c.type, 'event_count');
    assert.deepEqual(c.rules, ['fail']);
    assert.deepEqual(c.groupBy, ['source.ip']);
    assert.equal(c.timespanMs, 600_000);
    assert.deepEqual(c.condition, { gte: 5 });
    assert.equal(c.generate, false);
    assert.equal(c.level, 'medium');
    assert.deepEqual(c.custom, { 'x-team': 'soc' });
  });

  it('parses timespans in s, m, h, d', () => {
    assert.deepEqual(['30s', '90m', '1h', '2d'].map(parseTimespan), [30_000, 5_400_000, 3_600_000, 172_800_000]);
  });

  it('defaults a temporal condition to every rule, and reads value_count field and generate', () => {
    const temporal = loadCorrelation(correlationYaml('type: temporal\nrules: [a, b, c]\ngroup-by: [x]\ntimespan: 5m', 'generate: true\n'), 't.yml');
    assert.deepEqual(temporal.condition, { gte: 3 });
    assert.equal(temporal.generate, true);
    const distinct = loadCorrelation(correlationYaml('type: value_count\nrules: [a]\ngroup-by: [x]\ntimespan: 1d\ncondition: {field: User, gte: 100}'), 'v.yml');
    assert.equal(distinct.field, 'User');
    assert.deepEqual(distinct.condition, { gte: 100 });
  });

  it('reports every problem together, with file and path', () => {
    const bad = `title: broken
level: severe
correlation:
  type: event_count
  rules: [a, a]
  group-by: [x]
  timespan: 10 minutes
  condition: {gte: many}
  window: sliding
`;
    assert.deepEqual(problems(() => loadCorrelation(bad, 'b.yml')), [
      'b.yml:correlation', 'b.yml:correlation.condition.gte', 'b.yml:correlation.rules', 'b.yml:correlation.timespan', 'b.yml:level',
    ]);
  });

  it('checks what each type requires', () => {
    const body = (s: string) => () => loadCorrelation(correlationYaml(s), 'r.yml');
    assert.deepEqual(problems(body('type: event_count\nrules: [a]\ngroup-by: [x]\ntimespan: 1m')), ['r.yml:correlation.condition']);
    assert.deepEqual(problems(body('type: value_count\nrules: [a]\ngroup-by: [x]\ntimespan: 1m\ncondition: {gte: 2}')), ['r.yml:correlation.condition.field']);
    assert.deepEqual(problems(body('type: event_count\nrules: [a]\ngroup-by: [x]\ntimespan: 1m\ncondition: {field: y, gte: 2}')), ['r.yml:correlation.condition.field']);
    assert.deepEqual(problems(body('type: temporal\nrules: [a]\ngroup-by: [x]\ntimespan: 1m')), ['r.yml:correlation.rules']);
    assert.deepEqual(problems(body('type: event_count\nrules: [a]\ngroup-by: [x]\ntimespan: 1m\ncondition: {field: y}')), ['r.yml:correlation.condition']);
    assert.deepEqual(
      problems(body('type: temporal\nrules: [a, b]\ngroup-by: [ip]\ntimespan: 1m\naliases:\n  ip: {a: source.ip, z: destination.ip}\n  unused: {a: x}')),
      ['r.yml:correlation.aliases.ip.z', 'r.yml:correlation.aliases.unused'],
    );
  });

  it('keeps rejecting correlations in loadRule, and loadSigmaFiles sorts documents by kind', () => {
    assert.ok(problems(() => loadRule(MANY_FAILED, 'c.yml')).includes('c.yml:correlation'));
    const files = loadSigmaFiles([
      { file: 'fail.yml', source: 'title: f\nname: fail\nlogsource: {product: kubernetes, service: audit}\ndetection:\n  s:\n    verb: x\n  condition: s\n' },
      { file: 'mr.yml', source: MANY_FAILED },
    ]);
    assert.deepEqual([files.rules.length, files.correlations.length], [1, 1]);
    assert.deepEqual(problems(() => loadSigmaFiles([{ file: 'x.yml', source: 'title: x\ncorrelation: {}\n' }])).length > 0, true);
  });
});

describe('compileCorrelations', () => {
  const load = (body: string, file = 'c.yml', extra = '') => loadCorrelation(correlationYaml(body, extra), file);

  it('resolves references by name or id', () => {
    const rule = loadRule(`title: t\nid: 5638f7c0-ac70-491d-8465-2a65075e0d86\nlogsource: {product: falco}\ndetection:\n  s:\n    a: 1\n  condition: s\n`, 'r.yml');
    const set = compileCorrelations([load('type: temporal\nrules: [5638f7c0-ac70-491d-8465-2a65075e0d86, b]\ngroup-by: [x]\ntimespan: 1m')], [rule, baseRule('b')]);
    assert.equal(set.referencing('5638f7c0-ac70-491d-8465-2a65075e0d86').length, 1);
    assert.equal(set.referencing('b')[0]!.member, 1);
  });

  it('reports unknown and ambiguous references, aliases missing a rule, and cycles', () => {
    const twin = { ...baseRule('b'), file: 'b2.yml' };
    assert.deepEqual(
      problems(() => compileCorrelations([load('type: temporal\nrules: [a, nope]\ngroup-by: [x]\ntimespan: 1m'), load('type: event_count\nrules: [b]\ngroup-by: [x]\ntimespan: 1m\ncondition: {gte: 2}', 'd.yml', 'id: 11111111-2222-4333-8444-555555555555\n')], [baseRule('a'), baseRule('b'), twin])),
      ['c.yml:correlation.rules.1', 'd.yml:correlation.rules.0'],
    );
    assert.deepEqual(
      problems(() => compileCorrelations([load('type: temporal\nrules: [a, b]\ngroup-by: [ip]\ntimespan: 1m\naliases:\n  ip: {a: source.ip}')], [baseRule('a'), baseRule('b')])),
      ['c.yml:correlation.group-by.0'],
    );
    const loop = (name: string, ref: string) =>
      loadCorrelation(`title: ${name}\nname: ${name}\ncorrelation:\n  type: event_count\n  rules: [${ref}]\n  group-by: [x]\n  timespan: 1m\n  condition: {gte: 2}\n`, `${name}.yml`);
    assert.deepEqual(problems(() => compileCorrelations([loop('p', 'q'), loop('q', 'p')], [])), ['p.yml:correlation.rules', 'q.yml:correlation.rules']);
  });
});
