/** The loader: attributes, strictness where the spec is strict, and every problem with its file and path. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRules, loadRule, loadRules, SigmaRuleError, type SigmaProblem } from '../src/index.js';

const GOOD = `title: Exec into a pod
id: 5b2d6c1e-8f3a-4c2b-9a1d-2e3f4a5b6c7d
name: k8s_pod_exec
status: experimental
description: Someone opened a shell in a running pod.
references:
  - https://kubernetes.io/docs/reference/config-api/apiserver-audit.v1/
author: Bulwark
date: 2026-11-29
modified: 2026-11-29
logsource:
  product: kubernetes
  service: audit
detection:
  selection:
    verb: create
    objectRef.subresource: exec
  condition: selection
fields:
  - user.username
falsepositives:
  - Debugging by cluster admins
level: high
tags:
  - attack.execution
  - attack.t1609
x-team: platform
`;

function problems(fn: () => unknown): SigmaProblem[] {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof SigmaRuleError, String(error));
    return error.problems;
  }
  assert.fail('expected a SigmaRuleError');
}

const paths = (list: SigmaProblem[]) => list.map((p) => `${p.file}:${p.path}`);

describe('loadRule', () => {
  it('loads every spec attribute and keeps custom top-level fields', () => {
    const rule = loadRule(GOOD, 'rules/pod_exec.yml');
    assert.equal(rule.title, 'Exec into a pod');
    assert.equal(rule.level, 'high');
    assert.equal(rule.date, '2026-11-29');
    assert.deepEqual(rule.tags, ['attack.execution', 'attack.t1609']);
    assert.deepEqual(rule.logsource, { product: 'kubernetes', service: 'audit' });
    assert.deepEqual(rule.custom, { 'x-team': 'platform' });
    assert.equal(rule.file, 'rules/pod_exec.yml');
  });

  it('reports every attribute problem together, naming the file and path', () => {
    const bad = GOOD.replace('level: high', 'level: severe')
      .replace('status: experimental', 'status: beta')
      .replace('date: 2026-11-29', 'date: 29/11/2026')
      .replace('  - attack.t1609', '  - Attack T1609');
    const found = problems(() => loadRule(bad, 'rules/bad.yml'));
    assert.deepEqual(paths(found).sort(), ['rules/bad.yml:date', 'rules/bad.yml:level', 'rules/bad.yml:status', 'rules/bad.yml:tags.1']);
  });

  it('follows the JSON schema: unique list items, falsepositives as a string, real months', () => {
    const rule = loadRule(GOOD.replace('falsepositives:\n  - Debugging by cluster admins', 'falsepositives: Debugging'), 'f.yml');
    assert.deepEqual(rule.falsepositives, ['Debugging']);
    const found = problems(() =>
      loadRule(GOOD.replace('  - attack.t1609', '  - attack.execution').replace('date: 2026-11-29', 'date: 2026-13-01'), 'u.yml'),
    );
    assert.deepEqual(paths(found).sort(), ['u.yml:date', 'u.yml:tags']);
  });

  it('requires title, logsource, detection and condition', () => {
    const found = problems(() => loadRule('description: nothing\ndetection:\n  sel:\n    a: 1\n', 'r.yml'));
    assert.deepEqual(paths(found).sort(), ['r.yml:detection.condition', 'r.yml:logsource', 'r.yml:title']);
  });

  it('reports YAML syntax errors and duplicate keys', () => {
    assert.equal(problems(() => loadRule('title: [unclosed', 'y.yml'))[0]!.file, 'y.yml');
    const dup = problems(() => loadRule(GOOD.replace('level: high', 'level: high\nlevel: low'), 'd.yml'));
    assert.match(dup[0]!.message, /YAML: .*unique/i);
  });

  it('rejects correlation rules and multi-document collections instead of ignoring them', () => {
    const correlation = 'title: c\ncorrelation:\n  type: event_count\n  rules: [a]\n';
    assert.ok(paths(problems(() => loadRule(correlation, 'c.yml'))).includes('c.yml:correlation'));
    assert.match(problems(() => loadRule(`${GOOD}---\n${GOOD}`, 'm.yml'))[0]!.message, /one YAML document/);
  });

  it('loadRules reports the problems of all files together', () => {
    const found = problems(() =>
      loadRules([
        { file: 'a.yml', source: GOOD.replace('level: high', 'level: x') },
        { file: 'b.yml', source: GOOD },
        { file: 'c.yml', source: GOOD.replace('status: experimental', 'status: y') },
      ]),
    );
    assert.deepEqual(paths(found), ['a.yml:level', 'c.yml:status']);
  });
});

describe('compileRules errors', () => {
  const withDetection = (detection: string) =>
    GOOD.replace(/detection:\n[\s\S]*?\nfields:/, `detection:\n${detection}\nfields:`);

  it('names the detection path with the modifiers, and lists every problem at once', () => {
    const rule = loadRule(
      withDetection(`  selection:
    CommandLine|contains|allx:
      - a
      - b
    Image|re: '(unclosed'
    Ip|cidr: 300.1.1.1/8
    Port|gt: high
    Name|expand: '%Missing%'
    Enc|utf16le: abc
    Blob|base64offset: abc
    Day|hour: three
  condition: selection`),
      'rules/x.yml',
    );
    const found = problems(() => compileRules([rule]));
    assert.deepEqual(paths(found), [
      'rules/x.yml:detection.selection.CommandLine|contains|allx',
      'rules/x.yml:detection.selection.Image|re',
      'rules/x.yml:detection.selection.Ip|cidr',
      'rules/x.yml:detection.selection.Port|gt',
      'rules/x.yml:detection.selection.Name|expand',
      'rules/x.yml:detection.selection.Enc|utf16le',
      'rules/x.yml:detection.selection.Blob|base64offset',
      'rules/x.yml:detection.selection.Day|hour',
    ]);
    assert.match(found[0]!.message, /unknown modifier 'allx'/);
    assert.match(found[4]!.message, /placeholder '%Missing%'/);
    assert.match(found[7]!.message, /'hour' compares a whole number/);
  });

  it('rejects modifier misuse the appendix rules out', () => {
    const cases: [string, RegExp][] = [
      ['F|all: one', /'all' needs a list/],
      ['F|contains|re: x', /cannot be combined/],
      ['F|i: x', /sub-modifier of 're'/],
      ['F|exists: yes', /one boolean/],
      ['F|contains|contains: x', /repeated/],
      ['F|cased|cidr: 10.0.0.0/8', /'cased' does not apply/],
      ['F|base64|contains: a*b', /wildcards cannot be encoded/],
      ["F|re: '(a)\\1'", /invalid or unsupported regular expression/],
      ["F|re: 'a(?=b)'", /invalid or unsupported regular expression/],
      ["F|windash: '-a -b -c -d -e -f'", /too many permutations/],
      ['F|contains: {a: 1}', /expected a string, number, boolean or null, got a map/],
      ['F|hour|contains: 3', /takes only 'lt'/],
      ['F|gt|hour: 3', /must come before 'gt'/],
    ];
    for (const [item, message] of cases) {
      const found = problems(() => compileRules([loadRule(withDetection(`  sel:\n    ${item}\n  condition: sel`), 'm.yml')]));
      assert.equal(found.length, 1, item);
      assert.match(found[0]!.message, message, item);
      assert.equal(found[0]!.path, `detection.sel.${item.split(':')[0]}`, item);
    }
  });

  it('rejects malformed search identifiers with their path', () => {
    const found = problems(() =>
      compileRules([loadRule(withDetection('  sel: justastring\n  mixed:\n    - a\n    - b: 1\n  condition: sel or mixed'), 'i.yml')]),
    );
    assert.deepEqual(paths(found), ['i.yml:detection.sel', 'i.yml:detection.mixed']);
  });

  it('rejects a logsource that maps to no dataset, and accepts a configured one', () => {
    const windows = GOOD.replace('  product: kubernetes\n  service: audit', '  product: windows\n  category: process_creation');
    const found = problems(() => compileRules([loadRule(windows, 'w.yml')]));
    assert.deepEqual(paths(found), ['w.yml:logsource']);
    assert.match(found[0]!.message, /no dataset is configured for logsource \{category: process_creation, product: windows\}/);
    const set = compileRules([loadRule(windows, 'w.yml')], {
      logsources: [{ category: 'process_creation', product: 'windows', datasets: ['windows.sysmon'] }],
    });
    assert.deepEqual(set.rules[0]!.datasets, ['windows.sysmon']);
  });
});
