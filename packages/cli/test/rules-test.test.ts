/** `bulwark rules test`: the bundled rules pass their fixtures; broken rules and fixtures fail with file and path. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { findRuleFiles, fixtureFilesFor } from '../src/files.js';
import { parseFixtureFile } from '../src/fixtures.js';
import { testCommand } from '../src/test-rules.js';
import { auditEvent, BUNDLED_RULES, cli, EXEC_RULE, fixtures, ruleDir } from './helpers.js';

describe('rules test on the bundled rules', () => {
  it('passes every fixture of every rule, at least 27 rules', () => {
    const run = cli('rules', 'test', BUNDLED_RULES);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const m = /^(\d+) rules, (\d+) passed, 0 failed; (\d+) fixtures \((\d+) true positives, (\d+) true negatives\), 0 failures$/m.exec(run.stdout);
    assert.ok(m, run.stdout);
    assert.ok(Number(m[1]) >= 27, `only ${m[1]} rules`);
    assert.equal(m[1], m[2]);
    assert.equal(Number(m[3]), Number(m[4]) + Number(m[5]));
  });

  it('gives every rule at least one true positive and one true negative', () => {
    const { files } = findRuleFiles([BUNDLED_RULES]);
    assert.ok(files.length >= 27);
    for (const file of files) {
      const parsed = fixtureFilesFor(file).map((f) => parseFixtureFile({ file: f, source: readFileSync(f, 'utf8') }));
      const all = parsed.flatMap((p) => p.fixtures);
      assert.deepEqual(parsed.flatMap((p) => p.problems), [], file);
      assert.ok(all.some((f) => f.kind === 'true_positives'), `${file}: no true positive`);
      assert.ok(all.some((f) => f.kind === 'true_negatives'), `${file}: no true negative`);
    }
  });

  it('returns the totals it prints', () => {
    const { code, summary } = testCommand([BUNDLED_RULES], { stdout: { write: () => true }, stderr: { write: () => true } });
    assert.equal(code, 0);
    assert.equal(summary.failures, 0);
    assert.ok(summary.truePositives >= summary.rules && summary.trueNegatives >= summary.rules);
  });

  it('keeps areas as folders and fixtures beside their rule', () => {
    const areas = readdirSync(BUNDLED_RULES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    assert.deepEqual(areas, ['container', 'falco', 'kubernetes']);
    for (const file of findRuleFiles([BUNDLED_RULES]).files) assert.equal(relative(BUNDLED_RULES, file).split('/').length, 2, file);
  });
});

describe('rules test failures', () => {
  it('fails a fixture that should match but does not, and one that should not but does, naming file and path', () => {
    const dir = ruleDir({
      'k8s/exec.yml': EXEC_RULE,
      'k8s/exec.fixtures.yml': fixtures([auditEvent('tp-ok', 'exec'), auditEvent('tp-bad', 'log')], [auditEvent('tn-bad', 'exec')]),
    });
    const run = cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    const fixtureFile = join(dir, 'k8s/exec.fixtures.yml');
    assert.match(run.stderr, new RegExp(`FAIL ${fixtureFile}: true_positives\\[1\\]: event tp-bad should match but did not`));
    assert.match(run.stderr, new RegExp(`FAIL ${fixtureFile}: true_negatives\\[0\\]: event tn-bad matched but should not`));
    assert.doesNotMatch(run.stderr, /tp-ok/);
    assert.match(run.stdout, /1 rules, 0 passed, 1 failed; 3 fixtures \(2 true positives, 1 true negatives\), 2 failures/);
  });

  it('fails a broken rule with its file and YAML path, and still tests the other rules', () => {
    const dir = ruleDir({
      'a/broken.yml': EXEC_RULE.replace('objectRef.subresource: exec', "objectRef.subresource|contanis: exec").replace('0b5a8f4e', '1b5a8f4e'),
      'a/broken.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log')]),
      'b/good.yml': EXEC_RULE,
      'b/good.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log')]),
    });
    const run = cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`${join(dir, 'a/broken.yml')}: detection\\.exec\\.objectRef\\.subresource\\|contanis: .*contanis`));
    assert.match(run.stdout, /2 rules, 1 passed, 1 failed; 2 fixtures/);
  });

  it('fails a rule without fixtures, and fixtures without both kinds', () => {
    const dir = ruleDir({
      'none.yml': EXEC_RULE,
      'half.yml': EXEC_RULE.replace('0b5a8f4e', '2b5a8f4e'),
      'half.fixtures/positives.yml': 'true_positives:\n' + `  - ${JSON.stringify(auditEvent('x', 'exec'))}\n`,
    });
    const run = cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`${join(dir, 'none.yml')}: no fixtures`));
    assert.match(run.stderr, new RegExp(`${join(dir, 'half.yml')}: fixtures have no true_negatives`));
    assert.doesNotMatch(run.stderr, /half\.yml: fixtures have no true_positives/);
  });

  it('rejects fixture events that are not Bulwark events, and unknown keys, with their paths', () => {
    const noDataset = { '@timestamp': '2026-11-29T10:00:00Z', event: { id: 'z' }, kubernetes: { audit: { objectRef: { subresource: 'exec' } } } };
    const dir = ruleDir({
      'exec.yml': EXEC_RULE,
      'exec.fixtures.yml': JSON.stringify({ true_positives: [noDataset, auditEvent('x', 'exec')], true_negatives: [auditEvent('y', 'log')], true_positive: [] }),
    });
    const run = cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /exec\.fixtures\.yml: true_positives\[0\]\.event\.dataset: not a Bulwark event/);
    assert.match(run.stderr, /exec\.fixtures\.yml: true_positive: unknown key/);
  });

  it('fails a fixture of a dataset the rule never reads', () => {
    const falco = { ...auditEvent('f1', 'exec'), event: { id: 'f1', dataset: 'falco.alerts' } };
    const dir = ruleDir({ 'exec.yml': EXEC_RULE, 'exec.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log'), falco]) });
    const run = cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /exec\.fixtures\.yml: true_negatives\[1\]\.event\.dataset: 'falco\.alerts' is not a dataset this rule reads \(kubernetes\.audit\)/);
  });

  it('fails on a path that does not exist and on a directory without rules', () => {
    assert.equal(cli('rules', 'test', '/nonexistent/rules').code, 1);
    assert.equal(cli('rules', 'test', ruleDir({ 'README.md': '# nothing' })).code, 1);
  });
});
