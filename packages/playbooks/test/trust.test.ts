/**
 * The trust model in the engine (docs/ARCHITECTURE.md, "What acts without a person", "Separation of duties"): which
 * evidence may move the responder by itself, decoys that cannot take
 * an incident's automatic run, and separation of duties with every decision audited. Alerts are built with their
 * provenance as the correlator (rule alerts) and the intake routes (external alerts) record it.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert, AlertProvenance, Incident, RunRecord } from '@bulwark/schema';
import { engineFixture, type EngineFixture } from './helpers.js';

const CONTAIN = `
name: contain
description: notify, capture, quarantine, record
trigger: { rules: [breach] }
inputs:
  pod: { from: [alert.annotations.pod_name, alert.entity.value], pattern: '[a-z0-9-]+' }
steps:
  - id: tell
    action: notify.recorded
    with: { target: 'tell-{{ inputs.pod }}' }
  - id: evidence
    action: test.note
    with: { target: 'evidence-{{ inputs.pod }}' }
  - id: quarantine
    action: test.mark
    with: { target: 'q-{{ inputs.pod }}' }
  - id: record
    action: test.note
    with: { target: 'record-{{ inputs.pod }}' }
`;

const NOTIFY_ONLY = `
name: contain-or-tell
description: on untrusted evidence, only tell people
trigger: { rules: [tell-only], untrusted: notify }
inputs:
  pod: { from: alert.entity.value }
steps:
  - id: quarantine
    action: test.mark
    with: { target: 'qn-{{ inputs.pod }}' }
  - id: tell
    action: notify.recorded
    with: { target: 'tn-{{ inputs.pod }}' }
`;

const TRUST_LOGS = `
name: trusts-logs
description: a playbook that chose to trust log rules
trigger: { rules: [log-rule], trust: [logs] }
inputs:
  pod: { from: alert.entity.value }
steps:
  - id: quarantine
    action: test.mark
    with: { target: 'ql-{{ inputs.pod }}' }
`;

const MANUAL = (name: string, sod: boolean, timeout: string) => `
name: ${name}
description: a gated step, started by hand
separation_of_duties: ${sod}
inputs:
  target: { type: string }
steps:
  - id: gated
    action: test.mark
    with: { target: '{{ inputs.target }}' }
    approval: { approvers: [approve], timeout: ${timeout}, default: approve }
`;

const now = () => new Date().toISOString();
const RULE_OVER_AUDIT: AlertProvenance = { origin: 'rule', sources: ['k8s-audit'], received_at: now() };
const EXTERNAL: AlertProvenance = {
  origin: 'external',
  sources: ['external'],
  received_at: now(),
  token: { id: 'tok-mallory', name: 'mallory' },
  route: '/v1/alerts',
  untrusted: ['entity', 'annotations', 'labels'],
};

function alert(id: string, rule: string, pod: string, provenance: AlertProvenance | undefined, incident: string, annotations?: Record<string, string>): Alert {
  return {
    id,
    rule: { id: rule, name: rule, level: 'critical', tags: [] },
    severity: 'critical',
    status: 'open',
    group_key: `prod/${pod}`,
    entity: { kind: 'workload', namespace: 'prod', value: pod },
    event_ids: ['ev-1', 'ev-2'],
    count: 1,
    first_seen: now(),
    last_seen: now(),
    source: provenance?.origin === 'external' ? 'api' : 'rule',
    labels: {},
    ...(annotations ? { annotations } : {}),
    incident_id: incident,
    suppressed_ids: [],
    resolved_at: null,
    ...(provenance ? { provenance } : {}),
  } as Alert;
}
const incidentOf = (id: string) => ({ id, severity: 'critical', alert_count: 1, status: 'open' }) as Incident;

type Audit = { id: string; actor: string; action: string; result: string; step_id: string; requested_by: string; approved_by: string | null; actor_token: string | null; reason: string };

describe('trust: which evidence may act without a person, and who may approve', () => {
  let f: EngineFixture;
  before(async () => {
    f = await engineFixture([CONTAIN, NOTIFY_ONLY, TRUST_LOGS, MANUAL('manual-sod', true, '1h'), MANUAL('manual-solo', false, '1h'), MANUAL('manual-timed', true, '50ms')]);
  });
  after(async () => f?.close());

  const trigger = async (a: Alert): Promise<RunRecord> => {
    await f.store.create('alerts', a);
    const [run] = await f.engine.trigger(a, incidentOf(a.incident_id!));
    assert.ok(run, `a run started for ${a.id}`);
    return run;
  };
  const targets = (runId: string) => f.calls.filter((c) => c.key?.startsWith(`${runId}/`) && !c.undo).map((c) => c.params.target);
  const audit = async (runId: string) => (await f.store.query<Audit>('audit', { filter: { run_id: runId }, size: 100 })).items.map((i) => i.record);
  const alice = { actor: 'alice', tokenId: 'tok-alice', scopes: ['approve'] };

  it('trusted evidence (a rule over the audit webhook) runs every step without a person', async () => {
    const run = await trigger(alert('alr-trusted', 'breach', 'api-1', RULE_OVER_AUDIT, 'inc-trusted'));
    const done = await f.waitFor(run.id, (r) => r.status === 'succeeded');
    assert.deepEqual(targets(run.id), ['tell-api-1', 'evidence-api-1', 'q-api-1', 'record-api-1']);
    assert.equal(done.trigger.actor, 'responder');
    assert.equal(done.trigger.token_id, null);
    assert.equal(done.evidence!.trusted, true);
    assert.deepEqual(done.evidence!.trust, ['k8s-audit', 'falco'], 'the default trust');
    assert.ok(done.steps.every((s) => s.approval === null));
  });

  it('an external alert naming a pod: the notification goes out, nothing acts until a person approves each containment step', async () => {
    const run = await trigger(alert('alr-ext', 'breach', 'web-1', EXTERNAL, 'inc-ext', { pod_name: 'payments-db' }));
    const waiting = await f.waitFor(run.id, (r) => r.status === 'waiting_approval');
    assert.deepEqual(targets(run.id), ['tell-payments-db'], 'only the notification ran');
    const evidence = waiting.steps[1]!;
    assert.equal(evidence.status, 'waiting_approval');
    assert.equal(evidence.approval!.reason, 'untrusted_evidence');
    assert.deepEqual(evidence.approval!.approvers, ['approve']);
    assert.match(evidence.approval!.why!, /an alert posted by another system \(token mallory\) through \/v1\/alerts; this playbook trusts k8s-audit, falco/);
    assert.deepEqual(JSON.parse(evidence.params_json!), { target: 'evidence-payments-db' }, 'the plan shown for approval');
    // The evidence and its provenance are on the run for the person deciding.
    assert.deepEqual(
      { ...waiting.evidence!, provenance: { ...waiting.evidence!.provenance!, received_at: 'x' } },
      {
        alert_id: 'alr-ext',
        rule: { id: 'breach', name: 'breach' },
        severity: 'critical',
        entity: 'workload:prod/web-1',
        event_ids: ['ev-1', 'ev-2'],
        event_count: 2,
        provenance: { origin: 'external', sources: ['external'], received_at: 'x', token: { id: 'tok-mallory', name: 'mallory' }, route: '/v1/alerts', untrusted_fields: ['entity', 'annotations', 'labels'] },
        trust: ['k8s-audit', 'falco'],
        trusted: false,
        on_untrusted: 'approve',
        reason: 'an alert posted by another system (token mallory) through /v1/alerts; this playbook trusts k8s-audit, falco',
        untrusted_inputs: ['pod'],
      },
    );
    // The sender of the alert cannot approve it, whichever of their tokens they use.
    await assert.rejects(f.engine.decide(run.id, 'approved', { actor: 'mallory', tokenId: 'tok-mallory-2', scopes: ['approve'] }), { code: 'BWK_SELF_APPROVAL' });

    await f.engine.decide(run.id, 'approved', alice, 'evidence first');
    const atQuarantine = await f.waitFor(run.id, (r) => r.steps[2]!.status === 'waiting_approval');
    assert.deepEqual(targets(run.id), ['tell-payments-db', 'evidence-payments-db']);
    assert.equal(atQuarantine.steps[2]!.approval!.reason, 'untrusted_evidence', 'a containment step needs its own approval');
    await f.engine.decide(run.id, 'approved', { actor: 'bob', tokenId: 'tok-bob', scopes: ['admin'] });
    const done = await f.waitFor(run.id, (r) => r.status === 'succeeded');
    assert.deepEqual(targets(run.id), ['tell-payments-db', 'evidence-payments-db', 'q-payments-db', 'record-payments-db'], 'record ran once a person vouched');
    assert.equal(done.steps[3]!.approval, null);
  });

  it('Alertmanager, a rule over container logs, and an alert without provenance are untrusted too; a playbook may trust logs explicitly', async () => {
    const cases: Array<[string, AlertProvenance | undefined, RegExp]> = [
      ['alr-am', { origin: 'external', sources: ['alertmanager'], received_at: now(), route: '/v1/ingest/alertmanager', untrusted: ['entity', 'labels'] }, /alertmanager/],
      ['alr-logs', { origin: 'rule', sources: ['logs'], received_at: now() }, /a rule over logs evidence; this playbook trusts k8s-audit, falco/],
      ['alr-none', undefined, /has no provenance/],
      ['alr-tainted', { ...RULE_OVER_AUDIT, untrusted: ['annotations'] }, /inputs pod come from fields of the alert its sender chose \(annotations\)/],
    ];
    for (const [id, provenance, why] of cases) {
      const run = await trigger(alert(id, 'breach', `pod-${id}`, provenance, `inc-${id}`, { pod_name: `named-${id}` }));
      const waiting = await f.waitFor(run.id, (r) => r.status === 'waiting_approval');
      assert.equal(waiting.steps[1]!.approval!.reason, 'untrusted_evidence', id);
      assert.match(waiting.evidence!.reason!, why);
      assert.deepEqual(targets(run.id), [`tell-named-${id}`], `${id}: nothing but the notification`);
    }
    const trusting = await trigger(alert('alr-logs-2', 'log-rule', 'logger', { origin: 'rule', sources: ['logs'], received_at: now() }, 'inc-logs-2'));
    await f.waitFor(trusting.id, (r) => r.status === 'succeeded');
    assert.deepEqual(targets(trusting.id), ['ql-logger']);
  });

  it('untrusted: notify runs only the notify steps and skips the rest', async () => {
    const run = await trigger(alert('alr-tell', 'tell-only', 'cache-1', EXTERNAL, 'inc-tell'));
    const done = await f.waitFor(run.id, (r) => r.status === 'succeeded');
    assert.deepEqual(targets(run.id), ['tn-cache-1']);
    assert.deepEqual(done.steps.map((s) => s.status), ['skipped', 'succeeded']);
    assert.match(done.steps[0]!.summary!, /not run: the evidence is not trusted .* only notifies/);
  });

  it("a decoy does not take the incident's automatic run: the trusted alert after it still acts, on what it names", async () => {
    const decoy = await trigger(alert('alr-decoy', 'breach', 'web-2', EXTERNAL, 'inc-shared', { pod_name: 'ingress-nginx' }));
    await f.waitFor(decoy.id, (r) => r.status === 'waiting_approval');
    const [real] = await f.engine.trigger(alert('alr-real', 'breach', 'web-2', RULE_OVER_AUDIT, 'inc-shared'), incidentOf('inc-shared'));
    assert.ok(real, 'the trusted alert started its run although the decoy came first in the same incident');
    assert.notEqual(real.id, decoy.id);
    await f.waitFor(real.id, (r) => r.status === 'succeeded');
    assert.deepEqual(targets(real.id), ['tell-web-2', 'evidence-web-2', 'q-web-2', 'record-web-2'], 'the target of the trusted evidence');
    assert.deepEqual(targets(decoy.id), ['tell-ingress-nginx'], 'the decoy still waits and acted on nothing');
    // A second decoy in the same incident gets a run of its own; a second trusted alert does not.
    const again = await f.engine.trigger(alert('alr-real-2', 'breach', 'web-2', RULE_OVER_AUDIT, 'inc-shared'), incidentOf('inc-shared'));
    assert.deepEqual(again, [], 'one automatic run per incident');
    const decoy2 = await trigger(alert('alr-decoy-2', 'breach', 'web-2', EXTERNAL, 'inc-shared', { pod_name: 'kube-dns' }));
    assert.notEqual(decoy2.id, decoy.id);
  });

  it('a deadline never approves a step that waits for untrusted evidence, whatever the default', async () => {
    const run = await trigger(alert('alr-slow', 'breach', 'slow-1', EXTERNAL, 'inc-slow'));
    const waiting = await f.waitFor(run.id, (r) => r.status === 'waiting_approval');
    assert.equal(waiting.steps[1]!.approval!.default, 'reject');
    assert.equal(waiting.steps[1]!.approval!.deadline, null);
  });

  it('separation of duties: the requester cannot approve (token, same name, even admin); a second person can; both are audited', async () => {
    const run = await f.engine.start('manual-sod', { inputs: { target: 'sod-1' }, dryRun: false, actor: 'bob', tokenId: 'tok-bob' });
    const waiting = await f.waitFor(run.id, (r) => r.status === 'waiting_approval');
    assert.deepEqual(waiting.trigger, { kind: 'manual', actor: 'bob', token_id: 'tok-bob', alert_id: null, incident_id: null });
    for (const self of [
      { actor: 'bob', tokenId: 'tok-bob', scopes: ['approve'] },
      { actor: 'bob', tokenId: 'tok-bob-laptop', scopes: ['approve'] },
      { actor: 'bob', tokenId: 'tok-bob-admin', scopes: ['admin'] },
    ]) {
      await assert.rejects(f.engine.decide(run.id, 'approved', self), (err: Error & { code?: string; status?: number }) => err.code === 'BWK_SELF_APPROVAL' && err.status === 403);
    }
    assert.equal((await f.engine.journal.require(run.id)).record.steps[0]!.status, 'waiting_approval', 'still waiting');
    await f.engine.decide(run.id, 'approved', alice, 'second pair of eyes');
    const done = await f.waitFor(run.id, (r) => r.status === 'succeeded');
    assert.equal(done.steps[0]!.approval!.decided_by, 'alice');
    assert.equal(done.steps[0]!.approval!.decided_by_token, 'tok-alice');

    const records = await audit(run.id);
    const decision = records.find((r) => r.action === 'run.approve' && r.result === 'approved')!;
    assert.equal(decision.actor, 'alice');
    assert.equal(decision.actor_token, 'tok-alice');
    assert.equal(decision.requested_by, 'bob');
    assert.equal(decision.reason, 'playbook');
    const refused = records.filter((r) => r.result === 'refused');
    assert.equal(refused.length, 3, 'each refused self-approval is on the record');
    assert.ok(refused.every((r) => r.actor === 'bob' && r.requested_by === 'bob'));
    const acted = records.find((r) => r.action === 'action.test.mark')!;
    assert.equal(acted.requested_by, 'bob');
    assert.equal(acted.approved_by, 'alice');
  });

  it('a requester may reject their own run; a playbook can turn separation of duties off; timeouts are audited', async () => {
    const own = await f.engine.start('manual-sod', { inputs: { target: 'sod-2' }, dryRun: false, actor: 'bob', tokenId: 'tok-bob' });
    await f.waitFor(own.id, (r) => r.status === 'waiting_approval');
    await f.engine.decide(own.id, 'rejected', { actor: 'bob', tokenId: 'tok-bob', scopes: ['approve'] }, 'wrong pod');
    await f.waitFor(own.id, (r) => r.status === 'rejected');

    const solo = await f.engine.start('manual-solo', { inputs: { target: 'solo-1' }, dryRun: false, actor: 'bob', tokenId: 'tok-bob' });
    await f.waitFor(solo.id, (r) => r.status === 'waiting_approval');
    await f.engine.decide(solo.id, 'approved', { actor: 'bob', tokenId: 'tok-bob', scopes: ['approve'] });
    await f.waitFor(solo.id, (r) => r.status === 'succeeded');

    const timed = await f.engine.start('manual-timed', { inputs: { target: 'sod-3' }, dryRun: false, actor: 'bob', tokenId: 'tok-bob' });
    await f.waitFor(timed.id, (r) => r.status === 'succeeded');
    const record = (await audit(timed.id)).find((r) => r.action === 'run.approve')!;
    assert.deepEqual([record.actor, record.result, record.requested_by], ['timeout', 'approved', 'bob']);
  });
});

describe('protected namespaces in the engine', () => {
  it('kube-system and bulwark stay protected when the configuration names other namespaces', async () => {
    const f = await engineFixture(
      [
        `
name: ns
description: acts on a namespace
inputs:
  ns: { type: string }
steps:
  - id: act
    action: test.mark
    with: { target: x, namespace: '{{ inputs.ns }}' }
`,
      ],
      {},
      ['prod'],
    );
    try {
      for (const ns of ['kube-system', 'bulwark', 'prod']) {
        const run = await f.engine.start('ns', { inputs: { ns }, dryRun: false, actor: 'bob' });
        const failed = await f.waitFor(run.id, (r) => r.status === 'failed');
        assert.match(failed.error!, new RegExp(`namespace ${ns} is protected`));
      }
      const ok = await f.engine.start('ns', { inputs: { ns: 'staging' }, dryRun: false, actor: 'bob' });
      await f.waitFor(ok.id, (r) => r.status === 'succeeded');
      assert.equal(f.calls.length, 1);
    } finally {
      await f.close();
    }
  });
});
