/** Incident operations on the SQLite CaseStore: versions, conflicts, merge, audit. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { BulwarkError, Alert } from '@bulwark/schema';
import { alertOf, incidentAlertIds, openFixture, type Fixture } from './helpers.js';

const isConflict = (err: BulwarkError) => err.code === 'BWK_CONFLICT' && err.status === 409;

describe('incident operations', () => {
  let f: Fixture;
  before(async () => {
    f = await openFixture();
  });
  after(async () => f.close());

  async function incidentFor(pod: string, severity: Alert['severity'] = 'medium') {
    const r = await f.cases.recordAlert(alertOf(`${pod}-a`, { pod, severity }));
    return f.cases.getIncident(r.incident_id!);
  }

  it('acknowledge, assign, tag, comment and resolve, each with the version read', async () => {
    let inc = await incidentFor('life');
    const c = (version: string) => ({ id: inc.record.id, expectedVersion: version, actor: 'alice' });
    inc = await f.cases.acknowledge(c(inc.version));
    assert.equal(inc.record.status, 'acknowledged');
    inc = await f.cases.assign(c(inc.version), 'bob');
    assert.equal(inc.record.assignee, 'bob');
    inc = await f.cases.tag(c(inc.version), ['triage', 'prod'], ['attack.t1609']);
    assert.deepEqual(inc.record.tags, ['triage', 'prod']);
    inc = await f.cases.comment(c(inc.version), 'looking at the pod');
    assert.equal(inc.record.comments[0]!.author, 'alice');
    assert.equal(inc.record.comments[0]!.text, 'looking at the pod');
    inc = await f.cases.setStatus(c(inc.version), 'contained');
    inc = await f.cases.setStatus(c(inc.version), 'resolved', 'pod deleted, credentials rotated');
    assert.equal(inc.record.status, 'resolved');
    assert.equal(inc.record.resolution, 'pod deleted, credentials rotated');
    const kinds = inc.record.timeline.map((t) => t.kind);
    assert.deepEqual(kinds, ['alert', 'status', 'assign', 'tags', 'comment', 'status', 'status']);
    const audit = await f.store.query<{ id: string; action: string; actor: string; before: any; after: any }>('audit', {
      filter: { target_id: inc.record.id },
      sort: { field: 'at', order: 'asc' },
      size: 50,
    });
    const actions = audit.items.map((i) => i.record.action).sort();
    assert.deepEqual(actions, ['incident.acknowledge', 'incident.assign', 'incident.comment', 'incident.status', 'incident.status', 'incident.tags'].sort());
    const assign = audit.items.find((i) => i.record.action === 'incident.assign')!.record;
    assert.equal(assign.actor, 'alice');
    assert.equal(assign.before.assignee, null);
    assert.equal(assign.after.assignee, 'bob');
  });

  it('severity is set either way with the version read, recorded in the timeline and audited; the same one writes nothing', async () => {
    let inc = await incidentFor('severity', 'high');
    const c = (version: string) => ({ id: inc.record.id, expectedVersion: version, actor: 'alice' });
    const read = inc.version;
    inc = await f.cases.setSeverity(c(read), 'low');
    assert.equal(inc.record.severity, 'low');
    const same = await f.cases.setSeverity(c(inc.version), 'low');
    assert.equal(same.version, inc.version, 'the same severity is no change');
    await assert.rejects(f.cases.setSeverity(c(read), 'critical'), isConflict);
    inc = await f.cases.setSeverity(c(inc.version), 'critical');
    const entries = inc.record.timeline.filter((t) => t.kind === 'severity').map((t) => t.summary);
    assert.deepEqual(entries, ['severity high → low by alice', 'severity low → critical by alice']);
    const audit = await f.store.query<{ id: string; action: string; actor: string; before: any; after: any }>('audit', {
      filter: { target_id: inc.record.id },
      sort: { field: 'at', order: 'asc' },
      size: 50,
    });
    const changes = audit.items.map((i) => i.record).filter((r) => r.action === 'incident.severity');
    // The fixture's clock stands still, so both records share one time: compared as a set.
    assert.deepEqual(changes.map((r) => `${r.actor}: ${r.before.severity} → ${r.after.severity}`).sort(), ['alice: high → low', 'alice: low → critical']);
    // A person's lower severity holds until an alert of a higher one joins the incident.
    inc = await f.cases.setSeverity(c(inc.version), 'info');
    await f.cases.recordAlert(alertOf('severity-b', { pod: 'severity', rule: 'second', minute: 1, severity: 'medium' }));
    assert.equal((await f.cases.getIncident(inc.record.id)).record.severity, 'medium');
  });

  it('a stale version is refused with 409 and changes nothing', async () => {
    const inc = await incidentFor('stale');
    const fresh = await f.cases.assign({ id: inc.record.id, expectedVersion: inc.version, actor: 'alice' }, 'alice');
    await assert.rejects(f.cases.assign({ id: inc.record.id, expectedVersion: inc.version, actor: 'bob' }, 'bob'), isConflict);
    const now = await f.cases.getIncident(inc.record.id);
    assert.equal(now.record.assignee, 'alice');
    assert.equal(now.version, fresh.version);
  });

  it('two concurrent updates from the same read: one wins, the other gets 409', async () => {
    const inc = await incidentFor('concurrent');
    const results = await Promise.allSettled([
      f.cases.assign({ id: inc.record.id, expectedVersion: inc.version, actor: 'alice' }, 'alice'),
      f.cases.comment({ id: inc.record.id, expectedVersion: inc.version, actor: 'bob' }, 'mine'),
    ]);
    const ok = results.filter((r) => r.status === 'fulfilled');
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    assert.equal(ok.length, 1);
    assert.equal(failed.length, 1);
    assert.equal((failed[0]!.reason as BulwarkError).code, 'BWK_CONFLICT');
  });

  it('an unknown incident is 404', async () => {
    await assert.rejects(f.cases.acknowledge({ id: 'inc-nope', expectedVersion: '1', actor: 'a' }), (e: BulwarkError) => e.status === 404);
  });

  it('merge moves B into A: alerts move, counts and severity follow, B is resolved and points at A', async () => {
    const a = await incidentFor('merge-a', 'low');
    const b = await incidentFor('merge-b', 'high');
    await f.cases.recordAlert(alertOf('merge-b-2', { pod: 'merge-b', rule: 'second', minute: 1 }));
    const bNow = await f.cases.getIncident(b.record.id);
    assert.equal(bNow.record.alert_count, 2);
    const merged = await f.cases.merge({ id: a.record.id, expectedVersion: a.version, actor: 'carol' }, b.record.id, bNow.version);
    assert.equal(merged.record.alert_count, 3);
    assert.equal(merged.record.severity, 'high');
    assert.deepEqual((await incidentAlertIds(f, a.record.id)).sort(), ['merge-a-a', 'merge-b-2', 'merge-b-a']);
    assert.deepEqual(merged.record.timeline.filter((t) => t.kind === 'alert').map((t) => t.ref).sort(), ['merge-a-a', 'merge-b-2', 'merge-b-a']);
    assert.ok(merged.record.timeline.some((t) => t.kind === 'merge' && t.ref === b.record.id));
    const source = (await f.cases.getIncident(b.record.id)).record;
    assert.equal(source.merged_into, a.record.id);
    assert.equal(source.status, 'resolved');
    for (const id of ['merge-b-a', 'merge-b-2']) assert.equal((await f.cases.getAlert(id))!.record.incident_id, a.record.id);
    // A replayed alert of B stays with A; merging a merged incident is refused; stale source version is 409.
    const replay = await f.cases.recordAlert(alertOf('merge-b-2', { pod: 'merge-b', rule: 'second', minute: 1 }));
    assert.equal(replay.incident_id, a.record.id);
    const aNow = await f.cases.getIncident(a.record.id);
    await assert.rejects(
      f.cases.merge({ id: aNow.record.id, expectedVersion: aNow.version, actor: 'carol' }, b.record.id),
      (e: BulwarkError) => e.code === 'BWK_CASE_INVALID_STATE',
    );
    const c = await incidentFor('merge-c');
    await assert.rejects(f.cases.merge({ id: aNow.record.id, expectedVersion: aNow.version, actor: 'carol' }, c.record.id, '999999'), isConflict);
    await assert.rejects(f.cases.merge({ id: aNow.record.id, expectedVersion: aNow.version, actor: 'carol' }, aNow.record.id), (e: BulwarkError) => e.status === 400);
  });
});
