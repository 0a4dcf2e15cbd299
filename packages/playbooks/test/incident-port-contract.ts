/**
 * The IncidentPort contract (packages/actions/src/action.ts): what actions may do to a run's incident, run against
 * the real implementation (`incidentPort` over the case service) on each real case store — the SQLite file and the
 * OpenSearch indices, opened as the product opens them. Until now only in-test fakes exercised the port.
 *
 * What it proves: `summary` reflects the stored incident and its newest alerts (null for none); `update` applies
 * status, severity, tags and a comment, reports before/after and whether anything changed, is audited under the
 * run's actor, refuses bad values with a catalogue error naming the field, and two responders updating one
 * incident at once both land; `addEvidence` stores the content whole with its SHA-256 in the append-only audit trail
 * and on the timeline, once however often a retried action adds it, and refuses a wrong hash or an oversize bundle.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, it } from 'node:test';
import type { IncidentPort } from '@bulwark/actions';
import { CaseService } from '@bulwark/cases';
import { BulwarkError, type AlertInput, type Incident } from '@bulwark/schema';
import type { CaseStore } from '@bulwark/store';
import { incidentPort, MAX_EVIDENCE_BYTES } from '../src/index.js';

/** A fresh, initialised case store nobody else uses, and how to drop it. */
export interface CaseStoreScope {
  store: CaseStore;
  cleanup(): Promise<void>;
}

const T0 = Date.parse('2026-11-20T10:00:00.000Z');
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

function alertOf(id: string, minute: number, rule: string, severity: AlertInput['severity']): AlertInput {
  return {
    id,
    rule: { id: rule, name: `rule ${rule}`, level: severity, tags: [] },
    severity,
    group_key: 'prod/api',
    entity: { kind: 'workload', namespace: 'prod', value: 'api' },
    event_ids: [`ev-${id}`],
    first_seen: at(minute),
    last_seen: at(minute),
    source: 'rule',
    provenance: { origin: 'rule', sources: ['k8s-audit'], received_at: at(minute) },
  };
}

const evidenceOf = (content: string, name = 'pod-logs.txt') => ({
  name,
  mediaType: 'text/plain',
  content,
  sha256: createHash('sha256').update(content).digest('hex'),
});

async function refusal(work: Promise<unknown>): Promise<BulwarkError> {
  const error = await work.then(
    () => assert.fail('the call was accepted'),
    (err: unknown) => err,
  );
  assert.ok(error instanceof BulwarkError, `a catalogue error, got ${String(error)}`);
  return error;
}

export function runIncidentPortContract(name: string, newScope: () => Promise<CaseStoreScope>): void {
  describe(`IncidentPort contract: ${name}`, () => {
    const scopes: CaseStoreScope[] = [];
    after(async () => {
      for (const s of scopes) await s.cleanup();
    });

    /** A case service and port on a new store, with one incident from two alerts (a medium one, then a high one). */
    async function incidentFixture(): Promise<{ cases: CaseService; store: CaseStore; port: IncidentPort; incident: Incident }> {
      const scope = await newScope();
      scopes.push(scope);
      const cases = new CaseService(scope.store, { now: () => at(24 * 60) });
      await cases.recordAlert(alertOf('a1', 0, 'k8s-exec', 'medium'));
      const second = await cases.recordAlert(alertOf('a2', 5, 'k8s-secret-read', 'high'));
      const incident = (await cases.getIncident(second.alert.incident_id!)).record;
      return { cases, store: scope.store, port: incidentPort(cases, () => 'responder:contain-pod'), incident };
    }

    it('summarises the stored incident and its newest alerts first, and answers null for an unknown one', async () => {
      const { port, incident } = await incidentFixture();
      const summary = await port.summary(incident.id);
      assert.deepEqual(summary, {
        id: incident.id,
        title: incident.title,
        severity: 'high',
        status: 'open',
        entity: 'workload:prod/api',
        alert_count: 2,
        first_seen: at(0),
        last_seen: at(5),
        alerts: [
          { rule: 'rule k8s-secret-read', severity: 'high', at: at(5) },
          { rule: 'rule k8s-exec', severity: 'medium', at: at(0) },
        ],
      });
      assert.equal(await port.summary('inc-does-not-exist'), null);
    });

    it('applies status, severity, tags and a comment, reports before and after, and audits them under the run', async () => {
      const { cases, store, port, incident } = await incidentFixture();
      const result = await port.update(incident.id, { status: 'acknowledged', severity: 'critical', addTags: ['contained'], comment: 'pod quarantined' });
      assert.deepEqual(result, {
        before: { status: 'open', severity: 'high', tags: incident.tags },
        after: { status: 'acknowledged', severity: 'critical', tags: [...incident.tags, 'contained'] },
        changed: true,
      });
      const stored = (await cases.getIncident(incident.id)).record;
      assert.equal(stored.status, 'acknowledged');
      assert.equal(stored.severity, 'critical');
      assert.ok(stored.tags.includes('contained'));
      assert.deepEqual(stored.comments.map((c) => [c.author, c.text]), [['responder:contain-pod', 'pod quarantined']]);
      const audited = await store.query<{ id: string; action: string; actor: string }>('audit', { filter: { target_id: incident.id }, size: 100 });
      const actions = audited.items.map((i) => i.record).filter((r) => r.actor === 'responder:contain-pod').map((r) => r.action).sort();
      assert.deepEqual(actions, ['incident.comment', 'incident.severity', 'incident.status', 'incident.tags']);
      const again = await port.update(incident.id, { status: 'acknowledged', removeTags: ['not-there'] });
      assert.equal(again.changed, false, 'setting what is already set changes nothing');
      assert.deepEqual(again.before, again.after);
    });

    it('refuses an unknown status or severity naming the field, and an unknown incident with BWK_NOT_FOUND', async () => {
      const { cases, port, incident } = await incidentFixture();
      const status = await refusal(port.update(incident.id, { status: 'exploded' }));
      assert.deepEqual([status.code, status.details?.field], ['BWK_BAD_REQUEST', 'status']);
      const severity = await refusal(port.update(incident.id, { severity: 'apocalyptic' }));
      assert.deepEqual([severity.code, severity.details?.field], ['BWK_BAD_REQUEST', 'severity']);
      const missing = await refusal(port.update('inc-does-not-exist', { status: 'resolved' }));
      assert.equal(missing.code, 'BWK_NOT_FOUND');
      assert.equal((await cases.getIncident(incident.id)).record.status, 'open', 'a refused update changed nothing');
    });

    it('lands two responders\' updates of one incident made at the same time', async () => {
      const { cases, port, incident } = await incidentFixture();
      const other = incidentPort(cases, () => 'responder:notify');
      await Promise.all([
        port.update(incident.id, { addTags: ['from-first'] }),
        other.update(incident.id, { addTags: ['from-second'], comment: 'paged on-call' }),
        port.update(incident.id, { severity: 'critical' }),
      ]);
      const stored = (await cases.getIncident(incident.id)).record;
      assert.ok(stored.tags.includes('from-first') && stored.tags.includes('from-second'), `tags ${stored.tags.join(', ')}`);
      assert.equal(stored.severity, 'critical');
      assert.equal(stored.comments.length, 1);
    });

    it('stores evidence whole with its hash in the audit trail and on the timeline, once however often it is added', async () => {
      const { cases, store, port, incident } = await incidentFixture();
      const evidence = evidenceOf('line 1\nline 2 — ünïcode\n');
      const ref = await port.addEvidence(incident.id, evidence);
      assert.equal(ref, `evd-${evidence.sha256.slice(0, 40)}`);
      // A retried action (the job queue is at-least-once) adds the same bundle again.
      assert.equal(await port.addEvidence(incident.id, evidence), ref);
      const stored = await store.get<Record<string, unknown> & { id: string }>('audit', ref);
      assert.ok(stored, 'the evidence is in the audit trail');
      assert.equal(stored.record.content, evidence.content);
      assert.equal(stored.record.sha256, evidence.sha256);
      assert.equal(stored.record.bytes, Buffer.byteLength(evidence.content));
      assert.equal(stored.record.incident_id, incident.id);
      assert.equal(stored.record.actor, 'responder:contain-pod');
      const timeline = (await cases.getIncident(incident.id)).record.timeline.filter((e) => e.kind === 'evidence');
      assert.deepEqual(timeline.map((e) => e.ref), [ref], 'one timeline entry for the bundle');
    });

    it('refuses evidence whose hash does not match its content, or larger than the limit, storing nothing', async () => {
      const { cases, store, port, incident } = await incidentFixture();
      const wrong = await refusal(port.addEvidence(incident.id, { ...evidenceOf('real content'), sha256: evidenceOf('other').sha256 }));
      assert.deepEqual([wrong.code, wrong.details?.field], ['BWK_BAD_REQUEST', 'sha256']);
      const big = await refusal(port.addEvidence(incident.id, evidenceOf('x'.repeat(MAX_EVIDENCE_BYTES + 1))));
      assert.deepEqual([big.code, big.details?.field], ['BWK_BAD_REQUEST', 'evidence']);
      const audited = await store.query('audit', { filter: { action: 'evidence.capture' }, size: 10 });
      assert.equal(audited.items.length, 0);
      assert.equal((await cases.getIncident(incident.id)).record.timeline.filter((e) => e.kind === 'evidence').length, 0);
    });
  });
}
