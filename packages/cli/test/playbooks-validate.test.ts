/** `bulwark playbooks validate|list`: the bundled playbooks, every kind of problem with file and YAML path, usage errors. */
import assert from 'node:assert/strict';
import { join, relative } from 'node:path';
import { describe, it } from 'node:test';
import { cli, REPO_ROOT, ruleDir } from './helpers.js';

const BUNDLED_PLAYBOOKS = join(REPO_ROOT, 'playbooks');

/** A valid playbook with `name`, whose single step is `step` (YAML lines, indented under `steps:`). */
const playbook = (name: string, steps: string, extra = ''): string => `name: ${name}
description: a test playbook
${extra}steps:
${steps}`;

const BROKEN = {
  'unknown-key.yml': playbook('unknown-key', '  - id: mark\n    action: incident.update\n    with: { comment: hi }\n    colour: red\n'),
  'unknown-action.yml': playbook('unknown-action', '  - id: act\n    action: k8s.noSuchThing\n'),
  'refused-param.yml': playbook('refused-param', '  - id: mark\n    action: incident.update\n    with: { status: on-fire }\n'),
  'undeclared-input.yml': playbook(
    'undeclared-input',
    "  - id: mark\n    action: incident.update\n    with: { comment: 'pod {{ inputs.pod }} and {{ inputs.nope }}' }\n",
    'inputs:\n  pod: { from: alert.entity.value }\n',
  ),
  'later-step.yml': playbook(
    'later-step',
    "  - id: first\n    action: incident.update\n    with: { comment: '{{ steps.second.status }}' }\n  - id: second\n    action: incident.update\n    with: { comment: two }\n",
  ),
  'dup-a.yml': playbook('same-name', '  - id: mark\n    action: incident.update\n    with: { comment: a }\n'),
  'dup-b.yml': playbook('same-name', '  - id: mark\n    action: incident.update\n    with: { comment: b }\n'),
  'invalid.yml': 'name: [unclosed\n',
  'ok.yml': playbook('fine', '  - id: mark\n    action: incident.update\n    with: { comment: ok }\n'),
};

describe('playbooks validate', () => {
  it('accepts the bundled playbooks', async () => {
    const run = await cli('playbooks', 'validate', BUNDLED_PLAYBOOKS);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    assert.match(run.stdout, /^OK: [1-9]\d* playbooks, \d+ steps, in \d+ files\n$/);
  });

  it('prints every problem of every file with its file and YAML path, and exits 1', async () => {
    const dir = ruleDir(BROKEN);
    const run = await cli('playbooks', 'validate', dir);
    assert.equal(run.code, 1, run.stdout + run.stderr);
    const file = (name: string) => relative(process.cwd(), join(dir, name)); // the loader names files relative to the cwd
    const expected: Array<[string, string, RegExp]> = [
      ['unknown-key.yml', 'steps.0.colour', /unknown key colour/],
      ['unknown-action.yml', 'steps.0.action', /no action k8s\.noSuchThing/],
      ['refused-param.yml', 'steps.0.with.status', /./],
      ['undeclared-input.yml', 'steps.0.with', /\{\{ inputs\.nope \}\}: no input nope is declared/],
      ['later-step.yml', 'steps.0.with', /no earlier step second/],
      ['dup-b.yml', 'name', /playbook same-name is already defined in .*dup-a\.yml/],
      ['invalid.yml', '(file)', /YAML/],
    ];
    const lines = run.stderr.trimEnd().split('\n');
    for (const [name, path, message] of expected) {
      const prefix = `${file(name)}: ${path}: `;
      const found = lines.filter((l) => l.startsWith(prefix));
      assert.ok(found.some((l) => message.test(l.slice(prefix.length))), `no '${prefix}${message}' in\n${run.stderr}`);
    }
    assert.doesNotMatch(run.stderr, /ok\.yml|dup-a\.yml:/, 'valid files have no problems');
    assert.equal(lines.length, expected.length, `one problem per broken file:\n${run.stderr}`);
    assert.match(run.stdout, /^9 playbook files, 2 valid, 7 with problems, 7 problems$/m);
  });

  it('takes files as well as directories, and exits 0 when the given ones are clean', async () => {
    const dir = ruleDir(BROKEN);
    const run = await cli('playbooks', 'validate', join(dir, 'ok.yml'), join(dir, 'dup-a.yml'));
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^OK: 2 playbooks, 2 steps, in 2 files$/m);
  });

  it('usage errors exit 2: no paths, a path that does not exist, an unknown option or command', async () => {
    const none = await cli('playbooks', 'validate');
    assert.equal(none.code, 2);
    assert.match(none.stderr, /needs at least one playbook file or directory/);
    const missing = await cli('playbooks', 'validate', BUNDLED_PLAYBOOKS, '/no/such/playbooks');
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /\/no\/such\/playbooks: no such file or directory/);
    assert.equal(missing.stdout, '', 'nothing is validated when a path is wrong');
    assert.equal((await cli('playbooks', 'validate', '--strict', BUNDLED_PLAYBOOKS)).code, 2);
    assert.equal((await cli('playbooks', 'validate', '--json', BUNDLED_PLAYBOOKS)).code, 2);
    const unknown = await cli('playbooks', 'frobnicate');
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown command 'playbooks frobnicate'/);
  });

  it('a directory without playbooks fails', async () => {
    const run = await cli('playbooks', 'validate', ruleDir({ 'README.md': '# nothing here' }));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /no playbook files/);
  });
});

describe('playbooks list', () => {
  it('lists name, trigger and steps of the bundled playbooks', async () => {
    const run = await cli('playbooks', 'list', BUNDLED_PLAYBOOKS);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^contain-compromised-pod {2}\[/m);
    assert.match(run.stdout, /^ {2}trigger: severity >= critical; once per incident; trusts k8s-audit,falco \(else approval\)$/m);
    assert.match(run.stdout, /^ {2}steps: {3}evidence \(k8s\.captureEvidence\) -> quarantine \(k8s\.quarantinePod\) -> /m);
    assert.match(run.stdout, /revoke \(credentials\.revokeServiceAccount, approval\)/);
    assert.match(run.stdout, /scale_down \(k8s\.scaleWorkload, approval\)/, 'scale to zero always waits for a person');
    assert.match(run.stdout, /notify-low-severity {2}\(disabled/);
    assert.match(run.stdout, /^\d+ playbooks$/m);
  });

  it('--json has each playbook with its trigger summary and steps', async () => {
    const run = await cli('playbooks', 'list', '--json', BUNDLED_PLAYBOOKS);
    assert.equal(run.code, 0, run.stderr);
    const rows = JSON.parse(run.stdout) as Array<Record<string, any>>;
    const revoke = rows.find((r) => r.name === 'revoke-service-account');
    assert.ok(revoke);
    assert.match(revoke.trigger_summary, /tags attack\.credential_access; severity >= high; entity user; once per entity/);
    assert.deepEqual(revoke.steps.map((s: any) => [s.id, s.approval]), [['revoke', 'required'], ['record', 'auto']]);
    assert.ok(rows.every((r) => typeof r.file === 'string' && Array.isArray(r.steps) && r.steps.length > 0));
  });

  it('a playbook without a trigger runs only when asked; problems go to stderr with exit 1', async () => {
    const dir = ruleDir({ 'ok.yml': BROKEN['ok.yml'], 'bad.yml': BROKEN['unknown-action.yml'] });
    const run = await cli('playbooks', 'list', dir);
    assert.equal(run.code, 1);
    assert.match(run.stdout, /^fine {2}\[.*ok\.yml\]\n {2}trigger: manual only\n/m);
    assert.match(run.stdout, /^1 playbooks$/m);
    assert.match(run.stderr, /bad\.yml: steps\.0\.action: no action k8s\.noSuchThing/);
  });
});
