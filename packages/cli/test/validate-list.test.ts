/** `bulwark rules validate` and `list`, and the command line itself (help, usage errors, exit codes). */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUNDLED_RULES, cli, EXEC_RULE, ruleDir } from './helpers.js';

const TWO_PROBLEMS = `title: two problems
id: not-a-uuid
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    verb|startwith: create
  condition: sel or missing
level: severe
`;

describe('rules validate', () => {
  it('accepts the bundled rules', async () => {
    const run = await cli('rules', 'validate', BUNDLED_RULES);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^(\d+) rule files, \1 valid, 0 with problems, 0 problems, 0 field warnings$/m);
  });

  it('reports every problem of every file together, each with file and path', async () => {
    const dir = ruleDir({
      'one.yml': TWO_PROBLEMS,
      'two.yml': 'title: no detection\nlogsource: {product: nosuch}\n',
      'ok.yml': EXEC_RULE,
      'ok.fixtures.yml': 'not: a rule, never loaded as one',
    });
    const run = await cli('rules', 'validate', dir);
    assert.equal(run.code, 1);
    const one = join(dir, 'one.yml');
    const two = join(dir, 'two.yml');
    for (const expected of [`${one}: id:`, `${one}: level:`, `${one}: detection.sel.verb|startwith:`, `${one}: detection.condition:`, `${two}: detection:`]) {
      assert.ok(run.stderr.includes(expected), `missing ${expected} in\n${run.stderr}`);
    }
    assert.doesNotMatch(run.stderr, /ok\.(fixtures\.)?yml/);
    assert.match(run.stdout, /3 rule files, 1 valid, 2 with problems/);
  });

  it('reports duplicate and missing ids', async () => {
    const dir = ruleDir({ 'a.yml': EXEC_RULE, 'b.yml': EXEC_RULE, 'c.yml': EXEC_RULE.replace(/^id: .*\n/m, '') });
    const run = await cli('rules', 'validate', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`${join(dir, 'b.yml')}: id: duplicate id 0b5a8f4e-.* \\(also in ${join(dir, 'a.yml')}\\)`));
    assert.match(run.stderr, new RegExp(`${join(dir, 'c.yml')}: id: an id is required`));
  });
});

describe('correlation rules', () => {
  const correlation = (id: string, ref: string) => `title: many execs by one user
id: ${id}
correlation:
  type: event_count
  rules: [${ref}]
  group-by: [user.username]
  timespan: 10m
  condition: {gte: 5}
level: high
`;

  it('validates correlation documents and their references alongside the rules', async () => {
    const dir = ruleDir({
      'exec.yml': EXEC_RULE,
      'ok.yml': correlation('5f0c3a1e-8d2b-4c7e-9a6f-1b2c3d4e5f60', '0b5a8f4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b'),
      'dangling.yml': correlation('6f0c3a1e-8d2b-4c7e-9a6f-1b2c3d4e5f60', 'no-such-rule'),
    });
    const run = await cli('rules', 'validate', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, new RegExp(`${join(dir, 'dangling.yml')}: correlation\\.rules\\.0: .*no-such-rule`));
    assert.doesNotMatch(run.stderr, /ok\.yml|exec\.yml/);
    assert.match(run.stdout, /3 rule files, 2 valid, 1 with problems/);
    assert.match((await cli('rules', 'list', dir)).stdout, /5f0c3a1e-8d2b-4c7e-9a6f-1b2c3d4e5f60\s+high\s+many execs by one user\s+\[correlation\/event_count\]/);
  });

  it('fails them in rules test when they have no fixtures, rather than skipping them silently', async () => {
    const dir = ruleDir({ 'exec.yml': EXEC_RULE, 'ok.yml': correlation('5f0c3a1e-8d2b-4c7e-9a6f-1b2c3d4e5f60', '0b5a8f4e-1c2d-4e3f-9a8b-7c6d5e4f3a2b') });
    const run = await cli('rules', 'test', dir);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /ok\.yml: no fixtures/);
  });
});

describe('bundled rule metadata', () => {
  it('every rule has the attributes the bundle promises', async () => {
    const { loadSigmaFiles } = await import('@bulwark/detection');
    const { findRuleFiles, readSources } = await import('../src/files.js');
    const { rules, correlations } = loadSigmaFiles(readSources(findRuleFiles([BUNDLED_RULES]).files));
    assert.equal(correlations.length, 4);
    // The correlation loader keeps neither author nor date (detection's SigmaCorrelation), so read them from the file.
    const { parse } = await import('yaml');
    const raw = (file: string) => parse(readFileSync(file, 'utf8')) as { author?: string; date?: string };
    for (const r of [...rules, ...correlations]) {
      const { author, date } = 'author' in r ? r : raw(r.file);
      assert.ok(r.id && r.title && r.description && r.status && r.level && date, r.file);
      assert.equal(author, 'Bulwark', r.file);
      assert.ok(r.falsepositives && r.falsepositives.length > 0, r.file);
      assert.ok(r.tags?.some((t) => /^attack\.t\d{4}(\.\d{3})?$/.test(t)), `${r.file}: no ATT&CK technique tag`);
    }
  });
});

describe('rules list', () => {
  it('prints id, level, title, logsource and tags per rule', async () => {
    const run = await cli('rules', 'list', BUNDLED_RULES);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /1fea1988-ca78-480b-a140-a99798d3a434\s+medium\s+Command executed in or attached to a pod\s+\[kubernetes\/audit\]\s+attack\.execution,attack\.t1609/);
  });

  it('prints JSON with --json', async () => {
    const run = await cli('rules', 'list', '--json', BUNDLED_RULES);
    const rows = JSON.parse(run.stdout) as { id: string; logsource: string; tags: string[] }[];
    assert.ok(rows.length >= 27);
    assert.ok(rows.every((r) => r.id && r.logsource && r.tags.length > 0));
  });
});

describe('command line', () => {
  it('documents exit codes in --help', async () => {
    const run = await cli('--help');
    assert.equal(run.code, 0);
    assert.match(run.stdout, /Exit codes:\n {2}0 .*\n {2}1 .*\n {2}2 /);
  });

  it('exits 2 on usage errors', async () => {
    assert.equal((await cli()).code, 2);
    assert.equal((await cli('rules', 'frobnicate', 'x')).code, 2);
    assert.equal((await cli('rules', 'test')).code, 2);
    assert.equal((await cli('rules', 'test', '--bogus', 'x')).code, 2);
    assert.equal((await cli('rules', 'test', '--json', 'x')).code, 2);
  });
});
