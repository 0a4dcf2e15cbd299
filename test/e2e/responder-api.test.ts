// services: opensearch redis k8s
/**
 * Playbook runs through the API, with the bundled playbooks on the real API server as the responder identity: a dry run
 * returns the exact plan and applies nothing; `revoke-service-account` waits for approval, a read-only or respond token
 * cannot decide, nor can the requester ("Separation of duties"), a second person's approval (`approve` scope) resumes
 * it (the account is recreated with a new uid, its binding removed), undo through the API restores the binding; each
 * side effect is in the read-only audit trail; bad requests are 4xx naming the field.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { KubeClients } from '@bulwark/actions';
import { startHarness, type Harness } from '../support/harness.js';
import { testKube } from '../support/kube-clients.js';
import { SEARCH_ENGINES } from '../support/search-engines.js';

type Step = { id: string; status: string; plan: Array<{ kind: string; target: string }> | null; approval: { reason: string; decided_by: string | null } | null };
type Run = { id: string; status: string; dry_run: boolean; steps: Step[]; error: string | null };

/** A second token of the person who holds the harness's respond token (`test-respond`), with the approve scope. */
const SAME_PERSON = `bwk_same_${randomBytes(16).toString('hex')}`;
/**
 * Embedded (SQLite, in-process queue) and scale mode on each search engine (runs and audit in the engine, the
 * responder's queue on BullMQ/Redis). Scale mode needs the engines `test/services/up` starts; a missing one fails.
 */
const MODES: Array<[mode: string, env: () => Record<string, string>]> = [
  ['embedded', () => ({})],
  ...SEARCH_ENGINES.map((engine): [string, () => Record<string, string>] => [
    `scale (${engine.name}, BullMQ)`,
    () => engine.storeEnv(`rsp${randomBytes(3).toString('hex')}`),
  ]),
];

for (const [mode, env] of MODES) describe(`the runs API with the bundled playbooks, ${mode}`, () => {
  let h: Harness;
  let admin: KubeClients;
  const namespace = `api-${randomBytes(3).toString('hex')}`;
  const json = (body: unknown, token?: string) => ({ method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(token ? { token } : {}) });

  before(async () => {
    let responder: KubeClients;
    ({ admin, responder } = await testKube(namespace));
    await admin.core.createNamespacedPod({ namespace, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } });
    await admin.core.createNamespacedServiceAccount({ namespace, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'builder' } } });
    await admin.rbac.createNamespacedRoleBinding({
      namespace,
      body: {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'builder-edit' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' },
        subjects: [{ kind: 'ServiceAccount', name: 'builder', namespace }],
      },
    });
    h = await startHarness(env(), { responder: { kube: responder }, tokens: [{ name: 'test-respond', scopes: ['approve'], secret: SAME_PERSON }] });
  });
  after(async () => {
    await h?.close();
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  const waitRun = async (id: string, done: (r: Run) => boolean): Promise<Run> => {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const run = (await (await h.fetch(`/v1/runs/${id}`, { token: h.tokens.read })).json()) as Run;
      if (done(run)) return run;
      assert.ok(Date.now() < deadline, `run ${id}: ${JSON.stringify(run)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('lists the bundled playbooks and the actions with their RBAC needs', async () => {
    const playbooks = (await (await h.fetch('/v1/playbooks', { token: h.tokens.read })).json()) as { items: Array<{ name: string }> };
    assert.deepEqual(playbooks.items.map((p) => p.name).sort(), ['contain-compromised-pod', 'notify-low-severity', 'respond-to-crypto-miner', 'revoke-service-account']);
    const actions = (await (await h.fetch('/v1/actions', { token: h.tokens.read })).json()) as { items: Array<{ name: string; rbac: unknown[]; params: { type?: string } }> };
    const quarantine = actions.items.find((a) => a.name === 'k8s.quarantinePod')!;
    assert.ok(quarantine.rbac.length > 0);
    assert.equal(quarantine.params.type, 'object');
  });

  it('a dry run returns the exact plan and applies nothing', async () => {
    const res = await h.fetch('/v1/playbooks/contain-compromised-pod/run', json({ dry_run: true, inputs: { namespace, pod: 'web' } }, h.tokens.respond));
    assert.equal(res.status, 200, await res.clone().text());
    const run = (await res.json()) as Run;
    assert.equal(run.dry_run, true);
    const quarantine = run.steps.find((s) => s.id === 'quarantine')!;
    assert.deepEqual(quarantine.plan!.map((p) => [p.kind, p.target]), [
      ['patch', `pods/${namespace}/web`],
      ['create', `networkpolicies/${namespace}/bulwark-quarantine-web`],
    ]);
    assert.equal((await admin.networking.listNamespacedNetworkPolicy({ namespace })).items.length, 0, 'nothing applied');
    assert.equal((await admin.core.readNamespacedPod({ namespace, name: 'web' })).metadata?.labels, undefined);
  });

  it('revoke-service-account waits for approval; approve resumes; undo restores the binding; all audited', async () => {
    const uidBefore = (await admin.core.readNamespacedServiceAccount({ namespace, name: 'builder' })).metadata!.uid!;
    const res = await h.fetch('/v1/playbooks/revoke-service-account/run', json({ inputs: { namespace, name: 'builder' } }, h.tokens.respond));
    assert.equal(res.status, 202, await res.clone().text());
    const { id } = (await res.json()) as Run;
    const waiting = await waitRun(id, (r) => r.status === 'waiting_approval');
    assert.equal(waiting.steps[0]!.status, 'waiting_approval');
    assert.equal(waiting.steps[0]!.approval?.reason, 'playbook');
    assert.equal((await admin.core.readNamespacedServiceAccount({ namespace, name: 'builder' })).metadata!.uid, uidBefore, 'nothing happens before approval');

    const forbidden = await h.fetch(`/v1/runs/${id}/approve`, json({}, h.tokens.read));
    assert.equal(forbidden.status, 403);
    const respondOnly = await h.fetch(`/v1/runs/${id}/approve`, json({}, h.tokens.respond));
    assert.equal(respondOnly.status, 403, 'respond starts runs; approving needs the approve scope');
    // The requester's other token (same name, the approve scope) is still the requester.
    const self = await h.fetch(`/v1/runs/${id}/approve`, json({}, SAME_PERSON));
    assert.equal(self.status, 403);
    assert.equal(((await self.json()) as { error: { code: string } }).error.code, 'BWK_SELF_APPROVAL');
    const badBody = await h.fetch(`/v1/runs/${id}/approve`, json({ comment: 5 }, h.tokens.approve));
    assert.equal(badBody.status, 400);
    assert.equal(((await badBody.json()) as { error: { details: { field: string } } }).error.details.field, 'comment');
    const approved = await h.fetch(`/v1/runs/${id}/approve`, json({ comment: 'token leaked in CI logs' }, h.tokens.approve));
    assert.equal(approved.status, 200, await approved.clone().text());
    const done = await waitRun(id, (r) => r.status === 'succeeded' || r.status === 'failed');
    assert.equal(done.status, 'succeeded', JSON.stringify(done));
    assert.equal(done.steps[0]!.approval?.decided_by, 'test-approve');
    assert.notEqual((await admin.core.readNamespacedServiceAccount({ namespace, name: 'builder' })).metadata!.uid, uidBefore, 'recreated: earlier tokens are void');
    const bindings = await admin.rbac.listNamespacedRoleBinding({ namespace });
    assert.equal(bindings.items.some((b) => b.metadata?.name === 'builder-edit'), false, 'its only binding removed');

    const undo = await h.fetch(`/v1/runs/${id}/undo`, json({}, h.tokens.respond));
    assert.equal(undo.status, 202);
    await waitRun(id, (r) => r.status === 'undone');
    const restored = await admin.rbac.readNamespacedRoleBinding({ namespace, name: 'builder-edit' });
    assert.deepEqual(JSON.parse(JSON.stringify(restored.subjects)), [{ kind: 'ServiceAccount', name: 'builder', namespace }]);
    assert.equal(restored.roleRef.name, 'edit');

    type Audit = { step_id: string; result: string; action: string; actor: string; on_behalf_of: string; requested_by: string; approved_by: string | null };
    const audit = (await (await h.fetch(`/v1/audit?run_id=${id}`, { token: h.tokens.read })).json()) as { items: Audit[] };
    const sideEffects = audit.items.filter((a) => a.action.startsWith('action.') || a.action.startsWith('undo.'));
    assert.deepEqual(sideEffects.map((a) => `${a.step_id}:${a.result}`).sort(), ['revoke:succeeded', 'revoke:undone'], 'the incident step is skipped: a run by hand without an incident');
    assert.ok(sideEffects.every((a) => a.actor === 'playbook:revoke-service-account'));
    const revoked = sideEffects.find((a) => a.result === 'succeeded')!;
    assert.deepEqual([revoked.requested_by, revoked.approved_by], ['test-respond', 'test-approve']);
    // The decisions, naming both people: the refused self-approval and the approval.
    const decisions = audit.items.filter((a) => a.action === 'run.approve').map((a) => [a.actor, a.result, a.requested_by]);
    assert.deepEqual(decisions.sort(), [['test-approve', 'approved', 'test-respond'], ['test-respond', 'refused', 'test-respond']]);
    for (const method of ['POST', 'PUT', 'DELETE']) {
      const res = await h.fetch(`/v1/audit${method === 'POST' ? '' : '/x'}`, { method, headers: { 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 404, `${method} on the audit trail has no route`);
    }
  });

  it('bad requests are 4xx naming the field', async () => {
    const unknown = await h.fetch('/v1/playbooks/nope/run', json({}, h.tokens.respond));
    assert.equal(unknown.status, 404);
    const readOnly = await h.fetch('/v1/playbooks/contain-compromised-pod/run', json({ dry_run: true }, h.tokens.read));
    assert.equal(readOnly.status, 403);
    const cases: Array<[unknown, string]> = [
      [{ inputs: { namespace, pod: 'web', extra: 1 } }, 'inputs.extra'],
      [{ inputs: { namespace } }, 'inputs.pod'],
      [{ inputs: { namespace: 'Not_A_Namespace', pod: 'web' } }, 'inputs.namespace'],
      [{ dry_run: 'yes' }, 'dry_run'],
      [{ inputs: {}, surprise: true }, '(body)'],
    ];
    for (const [body, field] of cases) {
      const res = await h.fetch('/v1/playbooks/contain-compromised-pod/run', json(body, h.tokens.respond));
      assert.equal(res.status, 400, JSON.stringify(body));
      const error = ((await res.json()) as { error: { details: { field: string } } }).error;
      assert.equal(error.details.field, field, JSON.stringify(error));
    }
    const protectedNs = await h.fetch('/v1/playbooks/contain-compromised-pod/run', json({ dry_run: true, inputs: { namespace: 'kube-system', pod: 'x' } }, h.tokens.respond));
    const run = (await protectedNs.json()) as Run;
    assert.equal(run.steps.find((s) => s.id === 'quarantine')!.status, 'failed');
    assert.equal((await h.fetch('/v1/runs/run-nope', { token: h.tokens.read })).status, 404);
    assert.equal((await h.fetch('/v1/runs?status=exploded', { token: h.tokens.read })).status, 400);
  });
});
