/**
 * The engine's journal (docs/ARCHITECTURE.md, "Response"): steps in order with outputs flowing on, approvals (approve,
 * reject, timeout with either default, approver scopes), retries with back-off, failure and continue_on_error, cancel,
 * undo in reverse order, dry runs that apply nothing, the audit record and timeline entry of every side effect, and
 * resuming a step another responder left mid-flight without repeating completed ones.
 */
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Incident } from '@bulwark/schema';
import { engineFixture, type EngineFixture } from './helpers.js';

const THREE_STEPS = `
name: three
description: three marks
inputs:
  target: { type: string }
steps:
  - id: first
    action: test.mark
    with: { target: '{{ inputs.target }}-1' }
  - id: second
    action: test.mark
    with: { target: '{{ steps.first.outputs.marked }}-2', value: '{{ steps.first.outputs.count }}' }
  - id: third
    action: test.note
    with: { target: 'n-{{ run.playbook }}' }
`;

const APPROVAL = (timeout: string, fallback: 'approve' | 'reject') => `
name: gated-${fallback}
description: a gated step
steps:
  - id: before
    action: test.mark
    with: { target: before }
  - id: gated
    action: test.mark
    with: { target: gated }
    approval: { approvers: [approve], timeout: ${timeout}, default: ${fallback} }
  - id: after
    action: test.mark
    with: { target: after }
`;

const FLAKY = `
name: flaky
description: retries
steps:
  - id: flaky
    action: test.flaky
    with: { target: f }
    retries: { attempts: 3, backoff: 20ms }
  - id: tail
    action: test.mark
    with: { target: tail }
`;

const TOLERANT = `
name: tolerant
description: continue on error
steps:
  - id: broken
    action: test.flaky
    with: { target: b }
    continue_on_error: true
  - id: tail
    action: test.mark
    with: { target: tail2 }
`;

const SLOW = `
name: slow
description: a slow second step
steps:
  - id: quick
    action: test.mark
    with: { target: quick }
  - id: slow
    action: test.mark
    with: { target: slow, delay_ms: 400 }
    timeout: 2s
  - id: last
    action: test.mark
    with: { target: last }
`;

const UNDO_FORMS = `
name: undo-forms
description: explicit undo, and a step undo leaves alone
steps:
  - id: auto
    action: test.mark
    with: { target: a }
  - id: explicit
    action: test.mark
    with: { target: b }
    undo: { action: test.note, with: { target: 'undo-{{ steps.explicit.outputs.marked }}' } }
  - id: kept
    action: test.mark
    with: { target: c }
    undo: none
`;

const PARTIAL = `
name: partial
description: a step that fails after its first change
steps:
  - id: whole
    action: test.mark
    with: { target: w }
  - id: broken
    action: test.partial
    with: { target: p }
`;

const BAD_PARAM = `
name: bad-param
description: the action refuses its parameter at run time
inputs:
  target: { type: string }
steps:
  - id: only
    action: test.mark
    with: { target: '{{ inputs.target }}' }
`;

const who = { actor: 'alice', tokenId: 'tok-alice', scopes: ['approve'] };

describe('the playbook engine', () => {
  let f: EngineFixture;
  after(async () => f?.close());

  it('runs steps in order, later steps use earlier outputs, and journals each one', async () => {
    f = await engineFixture([THREE_STEPS, APPROVAL('100ms', 'approve'), APPROVAL('100ms', 'reject'), FLAKY, TOLERANT, SLOW, UNDO_FORMS, PARTIAL, BAD_PARAM]);
    const run = await f.engine.start('three', { inputs: { target: 'pod' }, dryRun: false, actor: 'alice' });
    const done = await f.waitFor(run.id, (r) => r.status === 'succeeded');
    assert.deepEqual(done.steps.map((s) => s.status), ['succeeded', 'succeeded', 'succeeded']);
    const marks = f.calls.filter((c) => c.key?.startsWith(run.id));
    assert.deepEqual(marks.map((c) => c.params.target), ['pod-1', 'pod-1-2', 'n-three']);
    assert.equal(marks[1]!.params.value, 1, 'a whole-string reference keeps its type (a number)');
    assert.deepEqual(marks.map((c) => c.key), [`${run.id}/first`, `${run.id}/second`, `${run.id}/third`]);
    assert.deepEqual(JSON.parse(done.steps[0]!.plan_json!), [{ kind: 'patch', target: 'marks/pod-1', detail: { value: null } }]);
    const audit = await f.store.query<{ id: string; run_id: string; step_id: string; result: string; actor: string; on_behalf_of: string }>('audit', { filter: { run_id: run.id }, size: 50 });
    assert.deepEqual(audit.items.map((a) => a.record.step_id).sort(), ['first', 'second', 'third']);
    assert.ok(audit.items.every((a) => a.record.result === 'succeeded' && a.record.actor === 'playbook:three' && a.record.on_behalf_of === 'alice'));
  });

  it('a dry run applies nothing and returns the plan of every step', async () => {
    const before = f.calls.length;
    const run = await f.engine.start('three', { inputs: { target: 'dry' }, dryRun: true, actor: 'alice' });
    assert.equal(run.status, 'succeeded');
    assert.ok(f.calls.slice(before).every((c) => c.dryRun), 'every action was called with dryRun');
    assert.equal(run.steps[0]!.status, 'succeeded');
    assert.deepEqual(JSON.parse(run.steps[0]!.plan_json!)[0].target, 'marks/dry-1');
    // The second step needs the first one's outputs, which only a real run has.
    assert.equal(run.steps[1]!.status, 'skipped');
    assert.match(run.steps[1]!.summary!, /known only when the earlier step runs/);
    const audit = await f.store.query('audit', { filter: { run_id: run.id }, size: 10 });
    assert.equal(audit.items.length, 0, 'a dry run has no side effect to audit');
    await assert.rejects(f.engine.undo(run.id, 'alice'), /dry run/);
  });

  it('waits for approval; approve resumes; the approver needs the scope', async () => {
    const run = await f.engine.start('gated-reject', { inputs: {}, dryRun: false, actor: 'bob' });
    await assert.rejects(f.engine.decide(run.id, 'approved', who), /no step waiting/);
    const waiting = await f.waitFor(run.id, (r) => r.status === 'waiting_approval');
    assert.deepEqual(waiting.steps.map((s) => s.status), ['succeeded', 'waiting_approval', 'pending']);
    await assert.rejects(f.engine.decide(run.id, 'approved', { actor: 'eve', tokenId: 'tok-eve', scopes: ['read'] }), /needs one of the scopes approve/);
    await assert.rejects(f.engine.decide(run.id, 'approved', { actor: 'eve', tokenId: 'tok-eve', scopes: ['respond'] }), /needs one of the scopes approve/, 'respond starts runs, it does not decide them');
    await f.engine.decide(run.id, 'approved', who, 'looks right');
    const done = await f.waitFor(run.id, (r) => r.status === 'succeeded');
    assert.equal(done.steps[1]!.approval!.decided_by, 'alice');
    assert.equal(done.steps[1]!.approval!.comment, 'looks right');
    assert.deepEqual(done.steps.map((s) => s.status), ['succeeded', 'succeeded', 'succeeded']);
  });

  it('reject stops the run; later steps never run', async () => {
    const run = await f.engine.start('gated-reject', { inputs: {}, dryRun: false, actor: 'bob' });
    await f.waitFor(run.id, (r) => r.status === 'waiting_approval');
    await f.engine.decide(run.id, 'rejected', who, 'not this one');
    const done = await f.waitFor(run.id, (r) => r.status === 'rejected');
    assert.deepEqual(done.steps.map((s) => s.status), ['succeeded', 'cancelled', 'cancelled']);
    assert.match(done.error!, /rejected by alice: not this one/);
    assert.equal(f.calls.filter((c) => c.key === `${run.id}/after`).length, 0);
  });

  it('a timeout applies the default outcome: reject stops, approve goes on', async () => {
    const rejected = await f.engine.start('gated-reject', { inputs: {}, dryRun: false, actor: 'bob' });
    const approved = await f.engine.start('gated-approve', { inputs: {}, dryRun: false, actor: 'bob' });
    const r1 = await f.waitFor(rejected.id, (r) => r.status === 'rejected');
    const r2 = await f.waitFor(approved.id, (r) => r.status === 'succeeded');
    assert.equal(r1.steps[1]!.approval!.decided_by, 'timeout');
    assert.equal(r1.steps[1]!.approval!.decision, 'rejected');
    assert.equal(r2.steps[1]!.approval!.decision, 'approved');
    assert.deepEqual(r2.steps.map((s) => s.status), ['succeeded', 'succeeded', 'succeeded']);
  });

  it('retries with back-off until it succeeds; a final failure stops the run unless continue_on_error', async () => {
    f.failures.set('f', 2);
    const run = await f.engine.start('flaky', { inputs: {}, dryRun: false, actor: 'bob' });
    const done = await f.waitFor(run.id, (r) => r.status === 'succeeded');
    assert.equal(done.steps[0]!.attempts, 3);
    assert.equal(f.calls.filter((c) => c.key === `${run.id}/flaky`).length, 3, 'same idempotency key on every attempt');

    f.failures.set('f', 5);
    const failing = await f.engine.start('flaky', { inputs: {}, dryRun: false, actor: 'bob' });
    const failed = await f.waitFor(failing.id, (r) => r.status === 'failed');
    assert.deepEqual(failed.steps.map((s) => s.status), ['failed', 'cancelled']);
    assert.match(failed.error!, /flaky f failed/);

    f.failures.set('b', 1);
    const tolerant = await f.engine.start('tolerant', { inputs: {}, dryRun: false, actor: 'bob' });
    const ok = await f.waitFor(tolerant.id, (r) => r.status === 'succeeded');
    assert.deepEqual(ok.steps.map((s) => s.status), ['failed', 'succeeded']);
  });

  it('cancel stops a waiting run; undo reverses completed steps last first', async () => {
    const run = await f.engine.start('gated-reject', { inputs: {}, dryRun: false, actor: 'bob' });
    await f.waitFor(run.id, (r) => r.status === 'waiting_approval');
    await f.engine.cancel(run.id, 'alice');
    const cancelled = await f.waitFor(run.id, (r) => r.status === 'cancelled');
    assert.deepEqual(cancelled.steps.map((s) => s.status), ['succeeded', 'cancelled', 'cancelled']);
    await assert.rejects(f.engine.cancel(run.id, 'alice'), /only a pending, running or waiting run/);

    const three = await f.engine.start('three', { inputs: { target: 'u' }, dryRun: false, actor: 'bob' });
    await f.waitFor(three.id, (r) => r.status === 'succeeded');
    await f.engine.undo(three.id, 'carol');
    const undone = await f.waitFor(three.id, (r) => r.status === 'undone');
    assert.deepEqual(undone.steps.map((s) => s.status), ['undone', 'undone', 'undone']);
    const undos = f.calls.filter((c) => c.undo && c.key?.startsWith(three.id));
    assert.deepEqual(undos.map((c) => c.params.target), ['n-three', 'u-1-2', 'u-1'], 'reverse order');
    await assert.rejects(f.engine.undo(three.id, 'carol'), /already undone/);
    const audit = await f.store.query<{ id: string; result: string; on_behalf_of: string }>('audit', { filter: { run_id: three.id, result: 'undone' }, size: 10 });
    assert.equal(audit.items.length, 3);
    assert.ok(audit.items.every((a) => a.record.on_behalf_of === 'carol'));
  });

  it('a step another responder left mid-flight is retried with the same key; completed steps are not repeated', async () => {
    const run = await f.engine.start('slow', { inputs: {}, dryRun: false, actor: 'bob' });
    await f.waitFor(run.id, (r) => r.steps[1]!.status === 'running');
    // Simulate that responder dying: its lease on the step ran out, and the journal is all that is left.
    await f.engine.journal.mutateStep(run.id, 'slow', (s) => ({ ...s, owner: 'responder-dead', lease_until: new Date(Date.now() - 1).toISOString() }));
    const other = f.second();
    await other.advance(run.id);
    const done = await f.waitFor(run.id, (r) => r.status === 'succeeded');
    assert.equal(f.calls.filter((c) => c.key === `${run.id}/quick`).length, 1, 'the completed step ran once');
    assert.ok(done.steps[1]!.attempts >= 2);
    assert.equal(f.calls.filter((c) => c.key === `${run.id}/last`).length, 1);
  });

  it('records every step on the incident timeline', async () => {
    const alert = await f.cases.recordAlert({
      id: 'alr-timeline',
      rule: { id: 'r', name: 'rule r', level: 'high', tags: [] },
      severity: 'high',
      group_key: 'prod/api',
      entity: { kind: 'workload', namespace: 'prod', value: 'api' },
      event_ids: ['e1'],
      first_seen: new Date().toISOString(),
      last_seen: new Date().toISOString(),
      source: 'rule',
    });
    const incidentId = alert.incident_id!;
    const incident = (await f.store.get<Incident>('incidents', incidentId))!.record;
    const run = await f.engine.start('three', { inputs: { target: 't' }, dryRun: false, actor: 'bob', incident });
    await f.waitFor(run.id, (r) => r.status === 'succeeded');
    const timeline = (await f.cases.getIncident(incidentId)).record.timeline.filter((e) => e.kind === 'action');
    assert.deepEqual(timeline.map((e) => e.ref), [`${run.id}/first`, `${run.id}/second`, `${run.id}/third`]);
    assert.match(timeline[0]!.summary, /three: test\.mark: marked t-1/);
  });

  it("undo uses the playbook's explicit undo action, or the action's inverse, and leaves `undo: none` steps alone", async () => {
    const run = await f.engine.start('undo-forms', { inputs: {}, dryRun: false, actor: 'bob' });
    await f.waitFor(run.id, (r) => r.status === 'succeeded');
    await f.engine.undo(run.id, 'carol');
    const undone = await f.waitFor(run.id, (r) => r.status === 'undone');
    assert.deepEqual(undone.steps.map((s) => s.status), ['undone', 'undone', 'succeeded']);
    assert.match(undone.steps[2]!.undo_summary!, /undo: none/);
    const after = f.calls.filter((c) => c.key?.startsWith(`${run.id}/`) && c.key.endsWith('/undo'));
    assert.deepEqual(after.map((c) => [c.action, c.params.target, Boolean(c.undo)]), [
      ['test.note', 'undo-b', false],
      ['test.mark', 'a', true],
    ]);
  });

  it('a step that failed midway is reversed by undo too, from what it checkpointed', async () => {
    const run = await f.engine.start('partial', { inputs: {}, dryRun: false, actor: 'bob' });
    const failed = await f.waitFor(run.id, (r) => r.status === 'failed');
    assert.deepEqual(JSON.parse(failed.steps[1]!.undo_json!), { target: 'p' }, 'the checkpoint is in the journal');
    await f.engine.undo(run.id, 'carol');
    const undone = await f.waitFor(run.id, (r) => r.status === 'undone');
    assert.deepEqual(undone.steps.map((s) => s.status), ['undone', 'undone']);
    const undos = f.calls.filter((c) => c.undo && c.key?.startsWith(run.id));
    assert.deepEqual(undos.map((c) => [c.action, c.params.target]), [['test.partial', 'p'], ['test.mark', 'w']]);
  });

  it('a parameter the action refuses is journaled as field: message', async () => {
    const run = await f.engine.start('bad-param', { inputs: { target: '' }, dryRun: false, actor: 'bob' });
    const failed = await f.waitFor(run.id, (r) => r.status === 'failed');
    assert.match(failed.steps[0]!.error!, /^bad parameters: target: /);
  });
});
