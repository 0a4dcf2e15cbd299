// services: k8s
/**
 * Blast-radius limits under a flood: 100 critical alerts from trusted evidence (Bulwark's rules over Falco, recorded as
 * the correlator records them), each about a different pod, triggers at most the configured number of quarantines
 * (`responder.limits.per_playbook`: 5) on the real API server; then the circuit breaker is open and every further run
 * waits for a person. A person approving one waiting run lets exactly that one act. A flood of alerts posted by another
 * tool quarantines nothing at all — every one of those runs waits for a person — and resetting the breaker needs admin.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { KubeClients } from '@bulwark/actions';
import { startHarness, type Harness } from '../support/harness.js';
import { testKube } from '../support/kube-clients.js';

const PODS = 100;
const LIMIT = 5;

describe('a flood of alerts against the blast-radius limits', () => {
  let h: Harness;
  let admin: KubeClients;
  const namespace = `flood-${randomBytes(3).toString('hex')}`;
  const pods = Array.from({ length: PODS }, (_, i) => `web-${i}`);

  before(async () => {
    let responder: KubeClients;
    ({ admin, responder } = await testKube(namespace));
    for (let i = 0; i < PODS; i += 20) {
      await Promise.all(
        pods.slice(i, i + 20).map((name) =>
          admin.core.createNamespacedPod({ namespace, body: { apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'nginx' }] } } }),
        ),
      );
    }
    h = await startHarness(
      { BULWARK_RESPONDER_MAX_ACTIONS_PER_PLAYBOOK: String(LIMIT), BULWARK_RESPONDER_MAX_ACTIONS: '50', BULWARK_RESPONDER_LIMIT_WINDOW: '10m' },
      { responder: { kube: responder } },
    );
  });
  after(async () => {
    await h?.close();
    await admin?.core.deleteNamespace({ name: namespace }).catch(() => {});
  });

  type Run = { id: string; status: string; steps: Array<{ id: string; status: string; approval: { reason: string } | null }> };
  const runs = async (): Promise<Run[]> => {
    const res = await h.fetch('/v1/runs?playbook=contain-compromised-pod&size=500', { token: h.tokens.read });
    return ((await res.json()) as { items: Run[] }).items;
  };
  const reset = (token: string) => h.fetch('/v1/responder/breaker/reset', { method: 'POST', token });
  const policies = async (): Promise<string[]> => (await admin.networking.listNamespacedNetworkPolicy({ namespace })).items.map((p) => p.metadata!.name!).sort();

  it(`quarantines at most ${LIMIT} pods; the other runs wait for a person; approving one acts once`, async () => {
    const now = new Date().toISOString();
    const alerts = pods.map((pod) => ({
      id: `flood-${namespace}-${pod}`,
      rule: { id: 'falco-terminal-shell', name: 'Terminal shell in container', level: 'critical' as const, tags: ['attack.execution'] },
      severity: 'critical' as const,
      group_key: `${namespace}/${pod}`,
      entity: { kind: 'workload' as const, namespace, value: pod },
      first_seen: now,
      last_seen: now,
      source: 'rule' as const,
      provenance: { origin: 'rule' as const, sources: ['falco' as const], received_at: now },
    }));
    // As the correlator records its alerts and tells the responder.
    await Promise.all(
      alerts.map(async (alert) => {
        await h.responder!.cases.recordAlert(alert, 'correlator');
        await h.responder!.onAlert(alert.id);
      }),
    );

    let all: Run[] = [];
    const deadline = Date.now() + 60_000;
    for (;;) {
      all = await runs();
      const settled = all.filter((r) => r.status === 'succeeded' || r.status === 'waiting_approval');
      if (all.length === PODS && settled.length === PODS) break;
      assert.ok(Date.now() < deadline, `runs settled: ${JSON.stringify(all.reduce<Record<string, number>>((m, r) => ({ ...m, [r.status]: (m[r.status] ?? 0) + 1 }), {}))}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    const succeeded = all.filter((r) => r.status === 'succeeded');
    const waiting = all.filter((r) => r.status === 'waiting_approval');
    assert.equal(succeeded.length, LIMIT, 'exactly the limit of runs acted');
    assert.equal(waiting.length, PODS - LIMIT);
    for (const run of waiting) {
      const step = run.steps.find((s) => s.status === 'waiting_approval')!;
      assert.equal(step.id, 'quarantine');
      assert.equal(step.approval?.reason, 'circuit_breaker');
    }
    assert.equal((await policies()).length, LIMIT, `${LIMIT} NetworkPolicies, no more`);
    const status = (await (await h.fetch('/v1/responder/status', { token: h.tokens.read })).json()) as { breaker: { open: string[] } };
    assert.deepEqual(status.breaker.open, ['contain-compromised-pod']);

    // A person approves one: exactly that one quarantines; the rest still wait.
    const chosen = waiting[0]!;
    const approve = await h.fetch(`/v1/runs/${chosen.id}/approve`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"comment":"checked"}', token: h.tokens.approve });
    assert.equal(approve.status, 200, await approve.clone().text());
    const until = Date.now() + 20_000;
    for (;;) {
      const run = (await (await h.fetch(`/v1/runs/${chosen.id}`, { token: h.tokens.read })).json()) as Run;
      if (run.status === 'succeeded') break;
      assert.ok(Date.now() < until, `the approved run finished: ${JSON.stringify(run.steps)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal((await policies()).length, LIMIT + 1);
    assert.equal((await runs()).filter((r) => r.status === 'waiting_approval').length, PODS - LIMIT - 1);

    // Closing the breaker lets every waiting containment go ahead: admin only.
    assert.equal((await reset(h.tokens.respond)).status, 403);
    assert.equal((await reset(h.tokens.approve)).status, 403);
    assert.equal((await policies()).length, LIMIT + 1, 'nothing moved');
  });

  it('a flood of critical alerts posted by another tool quarantines nothing: every run waits for a person', async () => {
    const now = new Date().toISOString();
    const external = pods.slice(0, 20).map((pod) => ({
      id: `ext-flood-${namespace}-${pod}`,
      rule: { id: 'ext-breach', name: 'Breach (external)', level: 'critical', tags: [] },
      severity: 'critical',
      group_key: `ext/${namespace}/${pod}`,
      entity: { kind: 'workload', namespace, value: pod },
      first_seen: now,
      last_seen: now,
    }));
    assert.equal((await reset(h.tokens.admin)).status, 200, 'admin closes the breaker first');
    const before = await policies();
    const res = await h.fetch('/v1/alerts', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(external), token: h.tokens.alerts });
    assert.equal(res.status, 201, await res.clone().text());
    const deadline = Date.now() + 30_000;
    let waiting: Run[] = [];
    for (;;) {
      waiting = (await runs()).filter((r) => r.status === 'waiting_approval' && r.steps.some((s) => s.approval?.reason === 'untrusted_evidence'));
      if (waiting.length === external.length) break;
      assert.ok(Date.now() < deadline, `external runs waiting: ${waiting.length}`);
      await new Promise((r) => setTimeout(r, 250));
    }
    assert.deepEqual(await policies(), before, 'not one more NetworkPolicy');
  });
});
