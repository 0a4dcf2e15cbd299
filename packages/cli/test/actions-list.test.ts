/** `bulwark actions list`: every action of the registry, readable and as JSON with its RBAC rules and example. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { ACTIONS } from '@bulwark/actions';
import { cli } from './helpers.js';

describe('actions list', () => {
  it('shows every registry action with description, limit, RBAC and an example step', async () => {
    const run = await cli('actions', 'list');
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
    const blocks = run.stdout.trimEnd().split('\n\n');
    assert.match(blocks.pop()!, new RegExp(`^${ACTIONS.size} actions`));
    assert.deepEqual(blocks.map((b) => b.split('\n')[0]), [...ACTIONS.keys()]);
    for (const block of blocks) {
      const action = ACTIONS.get(block.split('\n')[0]!)!;
      assert.ok(block.includes(`  ${action.description}\n`), `description of ${action.name}`);
      assert.match(block, action.limited === false ? /^ {2}limited: {2}no$/m : /^ {2}limited: {2}yes/m);
      if (action.rbac.length === 0) assert.match(block, /rbac: +none/);
      for (const rule of action.rbac) assert.ok(block.includes(rule.resources.join(',')), `${action.name} lists ${rule.resources}`);
      // The example is a YAML step to paste into a playbook: it parses back to the action's own example.
      const example = block.slice(block.indexOf('  example:\n') + '  example:\n'.length).replace(/^ {4}/gm, '');
      assert.deepEqual(parse(example), { action: action.name, with: action.example }, action.name);
      assert.ok(action.params.safeParse(action.example).success, `${action.name}'s example passes its own schema`);
    }
    assert.match(run.stdout, /^ {4}- "" pods: get, patch$/m, 'the core API group is shown as ""');
  });

  it('--json is machine-readable with params, rbac and example for every action', async () => {
    const run = await cli('actions', 'list', '--json');
    assert.equal(run.code, 0, run.stderr);
    const rows = JSON.parse(run.stdout) as Array<Record<string, any>>;
    assert.deepEqual(rows.map((r) => r.name), [...ACTIONS.keys()]);
    for (const row of rows) {
      const action = ACTIONS.get(row.name)!;
      assert.equal(row.description, action.description);
      assert.equal(row.limited, action.limited !== false);
      assert.deepEqual(row.rbac, action.rbac);
      assert.deepEqual(row.example, action.example);
      assert.equal(row.params.type, 'object', `${row.name} params is a JSON Schema`);
    }
    const quarantine = rows.find((r) => r.name === 'k8s.quarantinePod')!;
    assert.ok(quarantine.rbac.some((r: any) => r.resources.includes('networkpolicies')));
    assert.ok(quarantine.params.required.includes('namespace'));
  });

  it('usage errors exit 2', async () => {
    assert.equal((await cli('actions')).code, 2);
    assert.equal((await cli('actions', 'show')).code, 2);
    assert.equal((await cli('actions', 'list', 'extra')).code, 2);
    assert.equal((await cli('actions', 'list', '--yaml')).code, 2);
    const help = await cli('actions', 'list', '--help');
    assert.equal(help.code, 0);
    assert.match(help.stdout, /actions list/);
  });
});
