/** deploy/responder-clusterrole.yaml is exactly what the actions declare (regenerate with `npm run rbac:generate`). */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ACTIONS, rbacManifest, rbacRules, type AnyAction } from '../src/index.js';

describe('the responder RBAC manifest', () => {
  it('deploy/responder-clusterrole.yaml is generated from the registry and up to date', () => {
    const onDisk = readFileSync(new URL('../../../deploy/responder-clusterrole.yaml', import.meta.url), 'utf8');
    assert.equal(onDisk, rbacManifest(ACTIONS.values()), 'stale: run `npm run rbac:generate` and commit deploy/responder-clusterrole.yaml');
  });

  it('merges rules per group and resource, unions verbs, and grants nothing undeclared', () => {
    const a = { name: 'a', rbac: [{ apiGroups: [''], resources: ['pods'], verbs: ['get'] }] } as unknown as AnyAction;
    const b = {
      name: 'b',
      rbac: [
        { apiGroups: [''], resources: ['pods', 'nodes'], verbs: ['patch', 'get'] },
        { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['update'] },
      ],
    } as unknown as AnyAction;
    assert.deepEqual(rbacRules([a, b]), [
      { apiGroups: [''], resources: ['nodes', 'pods'], verbs: ['get', 'patch'] },
      { apiGroups: ['apps'], resources: ['deployments/scale'], verbs: ['update'] },
    ]);
    assert.deepEqual(rbacRules([]), []);
  });

  it('every action names itself, describes itself, and its example passes its own schema', () => {
    for (const [name, action] of ACTIONS) {
      assert.equal(action.name, name);
      assert.ok(action.description.length > 10, name);
      assert.ok(action.params.safeParse(action.example).success, `${name}: example does not validate`);
    }
  });
});
