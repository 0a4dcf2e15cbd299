/** `bulwark rules test`: the bundled rules pass their fixtures; broken rules and fixtures fail with file and path. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { findRuleFiles, fixtureFilesFor } from '../src/files.js';
import { isCorrelation } from '../src/catalog.js';
import { parseFixtureFile, parseSequenceFixtureFile } from '../src/fixtures.js';
import { testCommand } from '../src/test-rules.js';
import { auditEvent, BUNDLED_RULES, cli, EXEC_BURST, EXEC_RULE, execSequence, fixtures, ruleDir } from './helpers.js';

describe('rules test on the bundled rules', () => {
  it('passes every fixture of every rule, at least 27 rules', async () => {
    const run = await cli('rules', 'test', BUNDLED_RULES);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const m = /^(\d+) rules, (\d+) passed, 0 failed; (\d+) fixtures \((\d+) true positives, (\d+) true negatives\), 0 failures$/m.exec(run.stdout);
    assert.ok(m, run.stdout);
    assert.ok(Number(m[1]) >= 27, `only ${m[1]} rules`);
    assert.equal(m[1], m[2]);
    assert.equal(Number(m[3]), Number(m[4]) + Number(m[5]));
  });

  it('gives every rule at least one true positive and one true negative', async () => {
    const { files } = findRuleFiles([BUNDLED_RULES]);
    assert.ok(files.length >= 27);
    for (const file of files) {
      const sequences = isCorrelation(readFileSync(file, 'utf8'));
      const parsed = fixtureFilesFor(file).map((f): { fixtures: { kind: string }[]; problems: unknown[] } => {
        const source = { file: f, source: readFileSync(f, 'utf8') };
        if (!sequences) return parseFixtureFile(source);
        const { sequences: fixtures, problems } = parseSequenceFixtureFile(source);
        return { fixtures, problems };
      });
      const all = parsed.flatMap((p) => p.fixtures);
      assert.deepEqual(parsed.flatMap((p) => p.problems), [], file);
      assert.ok(all.some((f) => f.kind === 'true_positives'), `${file}: no true positive`);
      assert.ok(all.some((f) => f.kind === 'true_negatives'), `${file}: no true negative`);
    }
  });

  it('returns the totals it prints', async () => {
    const { code, summary } = await testCommand([BUNDLED_RULES], { stdout: { write: () => true }, stderr: { write: () => true } });
    assert.equal(code, 0);
    assert.equal(summary.failures, 0);
    assert.ok(summary.truePositives >= summary.rules && summary.trueNegatives >= summary.rules);
  });

  it('runs the fixtures of the three bundled correlations (brute force chains on a failures burst)', async () => {
    const correlations = join(BUNDLED_RULES, 'correlations');
    const names = findRuleFiles([correlations]).files.map((f) => relative(correlations, f)).sort();
    assert.deepEqual(names, ['authentication_failures_burst.yml', 'brute_force_then_success.yml', 'multi_stage_breach.yml', 'secrets_enumeration.yml']);
    const run = await cli('rules', 'test', BUNDLED_RULES);
    const all = /^(\d+) rules, (\d+) passed/m.exec(run.stdout);
    assert.equal(Number(all?.[1]), findRuleFiles([BUNDLED_RULES]).files.length);
    const { code, summary } = await testCommand([BUNDLED_RULES, correlations], { stdout: { write: () => true }, stderr: { write: () => true } });
    assert.equal(code, 0);
    assert.equal(summary.failures, 0);
    const listed = JSON.parse((await cli('rules', 'list', '--json', BUNDLED_RULES)).stdout) as { logsource: string; level: string; title: string }[];
    const rows = listed.filter((r) => r.logsource.startsWith('correlation/'));
    assert.equal(rows.length, 4);
    assert.ok(rows.some((r) => r.level === 'critical' && /breach/i.test(r.title)));
  });

  it('keeps areas as folders and fixtures beside their rule', async () => {
    const areas = readdirSync(BUNDLED_RULES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
    assert.deepEqual(areas, ['container', 'correlations', 'falco', 'kubernetes', 'kubernetes_events']);
    for (const file of findRuleFiles([BUNDLED_RULES]).files) assert.equal(relative(BUNDLED_RULES, file).split('/').length, 2, file);
  });
});

describe('rules test failures', () => {
  it('fails a fixture that should match but does not, and one that should not but does, naming file and path', async () => {
    const dir = ruleDir({
      'k8s/exec.yml': EXEC_RULE,
      'k8s/exec.fixtures.yml': fixtures([auditEvent('tp-ok', 'exec'), auditEvent('tp-bad', 'log')], [auditEvent('tn-bad', 'exec')]),
    });
    const run = await cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    const fixtureFile = join(dir, 'k8s/exec.fixtures.yml');
    assert.match(run.stderr, new RegExp(`FAIL ${fixtureFile}: true_positives\\[1\\]: event tp-bad should match but did not`));
    assert.match(run.stderr, new RegExp(`FAIL ${fixtureFile}: true_negatives\\[0\\]: event tn-bad matched but should not`));
    assert.doesNotMatch(run.stderr, /tp-ok/);
    assert.match(run.stdout, /1 rules, 0 passed, 1 failed; 3 fixtures \(2 true positives, 1 true negatives\), 2 failures/);
  });

  it('fails a broken rule with its file and YAML path, and still tests the other rules', async () => {
    const dir = ruleDir({
      'a/broken.yml': EXEC_RULE.replace('objectRef.subresource: exec', "objectRef.subresource|contanis: exec").replace('0b5a8f4e', '1b5a8f4e'),
      'a/broken.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log')]),
      'b/good.yml': EXEC_RULE,
      'b/good.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log')]),
    });
    const run = await cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`${join(dir, 'a/broken.yml')}: detection\\.exec\\.objectRef\\.subresource\\|contanis: .*contanis`));
    assert.match(run.stdout, /2 rules, 1 passed, 1 failed; 2 fixtures/);
  });

  it('fails a rule without fixtures, and fixtures without both kinds', async () => {
    const dir = ruleDir({
      'none.yml': EXEC_RULE,
      'half.yml': EXEC_RULE.replace('0b5a8f4e', '2b5a8f4e'),
      'half.fixtures/positives.yml': 'true_positives:\n' + `  - ${JSON.stringify(auditEvent('x', 'exec'))}\n`,
    });
    const run = await cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`${join(dir, 'none.yml')}: no fixtures`));
    assert.match(run.stderr, new RegExp(`${join(dir, 'half.yml')}: fixtures have no true_negatives`));
    assert.doesNotMatch(run.stderr, /half\.yml: fixtures have no true_positives/);
  });

  it('rejects fixture events that are not Bulwark events, and unknown keys, with their paths', async () => {
    const noDataset = { '@timestamp': '2026-11-29T10:00:00Z', event: { id: 'z' }, kubernetes: { audit: { objectRef: { subresource: 'exec' } } } };
    const dir = ruleDir({
      'exec.yml': EXEC_RULE,
      'exec.fixtures.yml': JSON.stringify({ true_positives: [noDataset, auditEvent('x', 'exec')], true_negatives: [auditEvent('y', 'log')], true_positive: [] }),
    });
    const run = await cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /exec\.fixtures\.yml: true_positives\[0\]\.event\.dataset: not a Bulwark event/);
    assert.match(run.stderr, /exec\.fixtures\.yml: true_positive: unknown key/);
  });

  it('fails a fixture of a dataset the rule never reads', async () => {
    const falco = { ...auditEvent('f1', 'exec'), event: { id: 'f1', dataset: 'falco.alerts' } };
    const dir = ruleDir({ 'exec.yml': EXEC_RULE, 'exec.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log'), falco]) });
    const run = await cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /exec\.fixtures\.yml: true_negatives\[1\]\.event\.dataset: 'falco\.alerts' is not a dataset this rule reads \(kubernetes\.audit\)/);
  });

  it('runs correlation fixtures as sequences: passes the right ones, fails the wrong ones naming file and index', async () => {
    const dir = ruleDir({
      'exec.yml': EXEC_RULE,
      'exec.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log')]),
      'burst.yml': EXEC_BURST,
      // positives[1] has only 2 execs (cannot fire); negatives[1] has 3 execs by one user (fires)
      'burst.fixtures.yml': fixtures(
        [execSequence('tp0', 3), execSequence('tp1', 2)],
        [[...execSequence('tn0', 2), ...execSequence('tn0b', 1, 'bob')], execSequence('tn1', 3)],
      ),
    });
    const run = await cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    const file = join(dir, 'burst.fixtures.yml');
    assert.match(run.stderr, new RegExp(`FAIL ${file}: true_positives\\[1\\]: sequence of 2 events \\(event tp1-0 …\\) should fire but did not \\(correlation ${join(dir, 'burst.yml')}: many execs by one user\\)`));
    assert.match(run.stderr, new RegExp(`FAIL ${file}: true_negatives\\[1\\]: sequence of 3 events \\(event tn1-0 …\\) fired but should not`));
    assert.doesNotMatch(run.stderr, /true_positives\[0\]|true_negatives\[0\]/);
    assert.match(run.stdout, /2 rules, 1 passed, 1 failed; 6 fixtures \(3 true positives, 3 true negatives\), 2 failures/);
  });

  it('passes a correlation whose sequences agree, with a fresh engine per sequence', async () => {
    const dir = ruleDir({
      'exec.yml': EXEC_RULE,
      'exec.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log')]),
      'burst.yml': EXEC_BURST,
      // the negative repeats the positive's first two events: state carried over would make it fire
      'burst.fixtures.yml': fixtures([execSequence('a', 3)], [execSequence('b', 2)]),
    });
    const run = await cli('rules', 'test', dir);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /2 rules, 2 passed, 0 failed; 4 fixtures \(2 true positives, 2 true negatives\), 0 failures/);
  });

  it('fails a correlation without fixtures or without both kinds, and entries that are not sequences', async () => {
    const none = await cli('rules', 'test', ruleDir({ 'exec.yml': EXEC_RULE, 'exec.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log')]), 'burst.yml': EXEC_BURST }));
    assert.equal(none.code, 1);
    assert.match(none.stderr, /burst\.yml: no fixtures/);
    const dir = ruleDir({
      'exec.yml': EXEC_RULE,
      'exec.fixtures.yml': fixtures([auditEvent('x', 'exec')], [auditEvent('y', 'log')]),
      'burst.yml': EXEC_BURST,
      'burst.fixtures.yml': fixtures([execSequence('a', 3), auditEvent('single', 'exec'), []], []),
    });
    const run = await cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /burst\.fixtures\.yml: true_positives\[1\]: a correlation fixture must be a non-empty list of events/);
    assert.match(run.stderr, /burst\.fixtures\.yml: true_positives\[2\]: a correlation fixture must be a non-empty list of events/);
    assert.match(run.stderr, /burst\.yml: fixtures have no true_negatives/);
  });

  it('fails on a path that does not exist and on a directory without rules', async () => {
    assert.equal((await cli('rules', 'test', '/nonexistent/rules')).code, 1);
    assert.equal((await cli('rules', 'test', ruleDir({ 'README.md': '# nothing' }))).code, 1);
  });
});
