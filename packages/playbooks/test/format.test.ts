/**
 * The playbook format's pieces: `{{ }}` references (lookups that evaluate nothing), triggers and their deterministic
 * run ids, inputs bound from the alert and incident (typed, patterns on RE2), and the loader on the bundled playbooks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Alert, Incident } from '@bulwark/schema';
import { loadPlaybooks, matchesTrigger, render, resolveInputs, triggeredRunId, type TemplateContext } from '../src/index.js';
import { playbookFrom, testActions } from './helpers.js';

const ctx: TemplateContext = {
  inputs: { pod: 'api-1', replicas: 3, names: ['a', 'b'] },
  steps: { first: { status: 'succeeded', outputs: { sha256: 'abc' } } },
  alert: { rule: { name: 'Shell in container' } },
  incident: null,
  run: { id: 'run-1', playbook: 'p' },
};

describe('references', () => {
  it('a whole-string reference keeps its type; inside text it is rendered as text; objects and lists are walked', () => {
    assert.equal(render('{{ inputs.replicas }}', ctx), 3);
    assert.deepEqual(render('{{inputs.names}}', ctx), ['a', 'b']);
    assert.equal(render('pod {{ inputs.pod }} x{{ inputs.replicas }}', ctx), 'pod api-1 x3');
    assert.deepEqual(render({ a: ['{{ steps.first.outputs.sha256 }}', 1], b: { c: '{{ run.id }}' } }, ctx), { a: ['abc', 1], b: { c: 'run-1' } });
  });

  it('evaluates nothing: expressions and prototype paths are not references or resolve to nothing', () => {
    assert.equal(render('{{ inputs.pod + 1 }}', ctx), '{{ inputs.pod + 1 }}', 'not a reference: left as text');
    assert.equal(render("{{ constructor.constructor('return process')() }}", ctx), "{{ constructor.constructor('return process')() }}");
    assert.throws(() => render('{{ inputs.__proto__ }}', ctx), /has no value/);
    assert.throws(() => render('{{ inputs.toString }}', ctx), /has no value/);
    assert.throws(() => render('{{ incident.id }}', ctx), /\{\{ incident\.id \}\} has no value/);
    // A value that looks like a template is data, never rendered again.
    const nested = { ...ctx, inputs: { pod: '{{ run.id }}' } };
    assert.equal(render('{{ inputs.pod }}', nested), '{{ run.id }}');
  });
});

const alert = (over: Partial<Alert> = {}): Alert =>
  ({
    id: 'alr-1',
    rule: { id: 'r1', name: 'Shell in container', level: 'critical', tags: ['attack.execution'] },
    severity: 'critical',
    status: 'open',
    group_key: 'workload:prod/api-1',
    entity: { kind: 'workload', namespace: 'prod', value: 'api-1' },
    event_ids: [],
    count: 1,
    first_seen: '2026-11-30T00:00:00Z',
    last_seen: '2026-11-30T00:00:00Z',
    source: 'falco',
    labels: {},
    annotations: { pod_namespace: 'payments', pod_name: 'web-2' },
    incident_id: 'inc-1',
    ...over,
  }) as Alert;
const incident = { id: 'inc-1', severity: 'critical', alert_count: 3, status: 'open' } as Incident;

describe('triggers and inputs', () => {
  const actions = testActions([]);
  const playbook = playbookFrom(
    `
name: t
description: d
trigger: { tags: [attack.execution], min_severity: high, entity_kinds: [workload], incident: { min_alerts: 2 } }
inputs:
  namespace: { from: [alert.annotations.pod_namespace, alert.entity.namespace], pattern: '[a-z0-9-]+' }
  pod: { from: [alert.annotations.missing, alert.entity.value] }
  count: { type: number, from: incident.alert_count }
  dry: { type: boolean, default: false }
  note: { required: false }
steps:
  - { id: s, action: test.mark, with: { target: '{{ inputs.pod }}' } }
`,
    actions,
  );

  it('every condition must hold; within a list any value matches', () => {
    assert.equal(matchesTrigger(playbook, alert(), incident), true);
    assert.equal(matchesTrigger(playbook, alert({ severity: 'medium' }), incident), false);
    assert.equal(matchesTrigger(playbook, alert({ rule: { id: 'r', name: 'n', level: 'high', tags: ['other'] } }), incident), false);
    assert.equal(matchesTrigger(playbook, alert({ entity: { kind: 'user', value: 'bob' } }), incident), false);
    assert.equal(matchesTrigger(playbook, alert(), { ...incident, alert_count: 1 }), false);
    assert.equal(matchesTrigger(playbook, alert(), null), false, 'incident conditions need an incident');
    assert.equal(matchesTrigger({ ...playbook, enabled: false }, alert(), incident), false);
    assert.equal(matchesTrigger(playbook, alert({ status: 'resolved' }), incident), false, 'a resolved alert starts nothing');
    assert.equal(matchesTrigger(playbook, alert({ status: 'suppressed' }), incident), false);
  });

  it('one run per incident by default: same id for every alert of the incident', () => {
    assert.equal(triggeredRunId(playbook, alert(), incident), triggeredRunId(playbook, alert({ id: 'alr-2' }), incident));
    assert.notEqual(triggeredRunId(playbook, alert(), incident), triggeredRunId(playbook, alert(), { ...incident, id: 'inc-2' }));
    const perAlert = { ...playbook, trigger: { ...playbook.trigger!, once_per: 'alert' as const } };
    assert.notEqual(triggeredRunId(perAlert, alert(), incident), triggeredRunId(perAlert, alert({ id: 'alr-2' }), incident));
  });

  it('binds inputs: first `from` with a value, typed, defaults, patterns; given values win; unknown ones refused', () => {
    assert.deepEqual(resolveInputs(playbook, {}, { alert: alert(), incident }), { namespace: 'payments', pod: 'api-1', count: 3, dry: false });
    assert.deepEqual(resolveInputs(playbook, { pod: 'x', count: '7', dry: 'true' }, { alert: alert(), incident }), { namespace: 'payments', pod: 'x', count: 7, dry: true });
    assert.throws(() => resolveInputs(playbook, { count: 'many' }, { alert: alert(), incident }), /input count: must be a number/);
    assert.throws(() => resolveInputs(playbook, { namespace: 'Payments; rm -rf /' }, { alert: alert(), incident }), /does not match/);
    assert.throws(() => resolveInputs(playbook, { other: 1 }, { alert: alert(), incident }), /has no input other/);
    assert.throws(() => resolveInputs(playbook, {}, { alert: null, incident: null }), (err: Error & { details?: { field?: string } }) => err.details?.field === 'inputs.namespace');
  });

  it('the bundled playbooks load without a problem', () => {
    const { playbooks, problems } = loadPlaybooks([fileURLToPath(new URL('../../../playbooks/', import.meta.url))], actions);
    assert.deepEqual(problems, []);
    assert.deepEqual([...playbooks.keys()].sort(), ['contain-compromised-pod', 'notify-low-severity', 'respond-to-crypto-miner', 'revoke-service-account']);
  });
});
