/**
 * `bulwark runs show` for a run an untrusted alert started (docs/ARCHITECTURE.md, "What acts without a person"): the
 * evidence, its provenance and why it is not trusted are printed with the plan each waiting step would run with — what
 * the person approving needs to see.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { printRun, type RunView } from '../src/run-format.js';

const run: RunView = {
  id: 'run-1',
  playbook: 'contain-compromised-pod',
  status: 'waiting_approval',
  dry_run: false,
  trigger: { kind: 'alert', actor: 'responder', token_id: null, alert_id: 'ext-1', incident_id: 'inc-1' },
  evidence: {
    alert_id: 'ext-1',
    rule: { id: 'breach', name: 'Breach detected' },
    severity: 'critical',
    entity: 'workload:prod/web-1',
    event_ids: ['ev-1'],
    event_count: 3,
    provenance: { origin: 'external', sources: ['external'], received_at: '2026-12-01T10:00:00.000Z', token: { id: 'a1b2', name: 'monitoring' }, route: '/v1/alerts', untrusted_fields: ['entity', 'annotations'] },
    trust: ['k8s-audit', 'falco'],
    trusted: false,
    on_untrusted: 'approve',
    reason: 'an alert posted by another system (token monitoring) through /v1/alerts; this playbook trusts k8s-audit, falco',
    untrusted_inputs: ['namespace', 'pod'],
  },
  inputs: { namespace: 'prod', pod: 'web-1' },
  steps: [
    {
      id: 'evidence',
      action: 'k8s.captureEvidence',
      status: 'waiting_approval',
      attempts: 0,
      next_attempt_at: null,
      changed: null,
      summary: 'untrusted evidence: …',
      error: null,
      approval: { reason: 'untrusted_evidence', approvers: ['approve'], requested_at: '2026-12-01T10:00:01.000Z', deadline: null, default: 'reject', decision: null, decided_by: null, decided_at: null, comment: null },
      params: { namespace: 'prod', pod: 'web-1' },
      plan: null,
      outputs: null,
      undo_summary: null,
    },
  ],
  error: null,
  created_at: '2026-12-01T10:00:01.000Z',
  updated_at: '2026-12-01T10:00:01.000Z',
  finished_at: null,
  undo_requested_by: null,
};

describe('runs show: evidence and provenance', () => {
  it('names the evidence, where it came from, why it is not trusted, and the plan to approve', () => {
    let out = '';
    printRun({ stdout: { write: (t: string) => (out += t) }, stderr: { write: () => {} } }, run);
    assert.match(out, /^ {2}trigger: {2}alert by responder; incident inc-1; alert ext-1$/m);
    assert.match(out, /^ {2}evidence: alert ext-1, rule "Breach detected" \(breach\), critical, about workload:prod\/web-1; events ev-1 \(\+2 more\)$/m);
    assert.match(out, /^ {2}provenance: posted by another system over external by token monitoring \(a1b2\) via \/v1\/alerts, received 2026-12-01T10:00:00\.000Z; sender-chosen fields: entity, annotations$/m);
    assert.match(out, /^ {2}trust: {4}NOT trusted: an alert posted by another system .*; inputs from sender-chosen fields: namespace, pod — every acting step waits for a person$/m);
    assert.match(out, /^ {7}approval: waiting for a decision by approve \(or admin\), no deadline \(untrusted evidence\)$/m);
    assert.match(out, /^ {7}would run with: \{"namespace":"prod","pod":"web-1"\}$/m);
  });
});
