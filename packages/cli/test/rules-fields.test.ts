/**
 * The field-coverage lint on rules written to show each problem SigmaHQ's Kubernetes audit rules were found to have
 * (our own rule files, not theirs): fields at paths real audit events do not have, a status code compared with text,
 * and a verb Kubernetes never logs — each named with its file and YAML path; warnings by default, problems with
 * `--strict`; the bundled rules pass strictly.
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { BUNDLED_RULES, cli, ruleDir } from './helpers.js';

const rule = (id: string, selection: string) => `title: lint case ${id}
id: 00000000-0000-4000-8000-00000000000${id}
status: test
logsource:
  product: kubernetes
  service: audit
detection:
  selection:
${selection}
  condition: selection
level: medium
`;

const CASES: Record<string, { selection: string; expect: RegExp }> = {
  'host_path.yml': {
    selection: "    verb: create\n    objectRef.resource: pods\n    hostPath|contains: '/etc'",
    expect: /host_path\.yml: detection\.selection\.hostPath\|contains: field 'hostPath' does not exist in kubernetes\.audit events, so this never matches/,
  },
  'capabilities.yml': {
    selection: "    verb: create\n    capabilities|contains: 'SYS_ADMIN'",
    expect: /capabilities\.yml: detection\.selection\.capabilities\|contains: field 'capabilities' does not exist/,
  },
  'api_group.yml': {
    selection: "    verb: delete\n    apiGroup: 'admissionregistration.k8s.io'",
    expect: /api_group\.yml: detection\.selection\.apiGroup: field 'apiGroup' does not exist in kubernetes\.audit events, so this never matches \(did you mean objectRef\.apiGroup\?\)/,
  },
  'status_allow.yml': {
    selection: "    verb: get\n    responseStatus.code: 'ALLOW'",
    expect: /status_allow\.yml: detection\.selection\.responseStatus\.code: field 'responseStatus\.code' holds numbers; text 'ALLOW' never equals one/,
  },
  'verb_replace.yml': {
    selection: "    verb: replace\n    objectRef.resource: configmaps",
    expect: /verb_replace\.yml: detection\.selection\.verb: value 'replace' never occurs in 'verb' \(it is one of: get, list, watch, create, update, patch, delete, deletecollection/,
  },
};

describe('rules validate: field coverage', () => {
  const files = Object.fromEntries(Object.entries(CASES).map(([name, c], i) => [`k8s/${name}`, rule(String(i + 1), c.selection)]));
  const dir = ruleDir(files);

  it('warns of each problem, naming file and path, and still exits 0', async () => {
    const run = await cli('rules', 'validate', dir);
    assert.equal(run.code, 0, run.stderr);
    for (const [name, c] of Object.entries(CASES)) assert.match(run.stderr, c.expect, `${name}:\n${run.stderr}`);
    assert.equal(run.stderr.split('\n').filter((l) => l.startsWith('warning: ')).length, 5, run.stderr);
    assert.match(run.stdout, /5 rule files, 5 valid, 0 with problems, 0 problems, 5 field warnings/);
  });

  it('--strict makes them problems (exit 1)', async () => {
    const run = await cli('rules', 'validate', '--strict', dir);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /5 rule files, 0 valid, 5 with problems, 5 problems/);
    assert.doesNotMatch(run.stderr, /^warning:/m);
  });

  it('the right paths pass: requestObject is open, objectRef.apiGroup exists, codes compare with numbers', async () => {
    const good = ruleDir({
      'k8s/good.yml': rule('9', "    verb: [create, get]\n    objectRef.apiGroup: 'rbac.authorization.k8s.io'\n    requestObject.spec.volumes.hostPath.path|startswith: '/etc'\n    responseStatus.code: 201"),
    });
    const run = await cli('rules', 'validate', '--strict', good);
    assert.equal(run.code, 0, run.stderr);
  });

  it('the bundled rules pass strictly', async () => {
    const run = await cli('rules', 'validate', '--strict', BUNDLED_RULES);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, / 0 problems$/m);
  });

  it('--strict belongs to validate only', async () => {
    const run = await cli('rules', 'list', '--strict', join(BUNDLED_RULES, 'kubernetes'));
    assert.equal(run.code, 2);
  });
});
