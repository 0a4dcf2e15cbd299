/**
 * The playbook format's pieces: `{{ }}` references (lookups that evaluate nothing), triggers and their deterministic
 * run ids, inputs bound from the alert and incident (typed, patterns on RE2), and the loader on the bundled playbooks.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import type { Alert, Incident } from '@bulwark/schema';
import { checkPlaybook, loadPlaybooks, matchesTrigger, render, resolveInputs, triggeredRunId, type TemplateContext } from '../src/index.js';
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

describe('trust, approvers and secrets in the format', () => {
  const actions = testActions([]);
  const problemsOf = (yaml: string) => checkPlaybook(yaml, 'p.yml', actions).problems.map((p) => `${p.path}: ${p.message}`);

  it('a trigger trusts the audit webhook and Falco by default; untrusted evidence gets a run id of its own per alert', () => {
    const playbook = playbookFrom('name: p\ndescription: d\ntrigger: { min_severity: high }\nsteps: [{ id: s, action: test.mark, with: { target: x } }]\n', actions);
    assert.deepEqual(playbook.trigger!.trust, ['k8s-audit', 'falco']);
    assert.equal(playbook.trigger!.untrusted, 'approve');
    assert.equal(playbook.separation_of_duties, true);
    const trusted = triggeredRunId(playbook, alert(), incident, true);
    assert.equal(triggeredRunId(playbook, alert({ id: 'alr-2' }), incident, true), trusted, 'trusted: one per incident');
    const decoy = triggeredRunId(playbook, alert(), incident, false);
    assert.notEqual(decoy, trusted, 'a decoy never takes the incident run');
    assert.notEqual(triggeredRunId(playbook, alert({ id: 'alr-2' }), incident, false), decoy, 'untrusted: one per alert');
    assert.deepEqual(problemsOf('name: p\ndescription: d\ntrigger: { min_severity: high, trust: [syslog] }\nsteps: [{ id: s, action: test.mark, with: { target: x } }]\n').length, 1);
  });

  it('approvals need the approve scope: respond is refused as an approver', () => {
    const yaml = (approvers: string) => `name: p\ndescription: d\nsteps:\n  - { id: s, action: test.mark, with: { target: x }, approval: { approvers: [${approvers}] } }\n`;
    assert.deepEqual(problemsOf(yaml('approve')), []);
    assert.deepEqual(problemsOf(yaml('admin')), []);
    assert.match(problemsOf(yaml('respond')).join('\n'), /steps\.0\.approval\.approvers: approver scope "respond": approvals need the approve scope/);
    assert.deepEqual(playbookFrom(yaml('approve'), actions).steps[0]!.approval, { required: true, approvers: ['approve'], default: 'reject' });
    const byDefault = playbookFrom('name: p\ndescription: d\nsteps:\n  - { id: s, action: test.mark, with: { target: x }, approval: {} }\n', actions);
    assert.deepEqual((byDefault.steps[0]!.approval as { approvers: string[] }).approvers, ['approve']);
  });

  it('a webhook URL is never filled in from inputs or the alert; *_ref parameters are secret references or secret inputs', () => {
    const webhook = (inputs: string, withs: string) => `name: w\ndescription: d\ninputs:\n${inputs}\nsteps:\n  - id: n\n    action: notify.webhook\n    with: { format: slack, text: hi, ${withs} }\n`;
    assert.match(problemsOf(webhook('  url: { required: false }', "url: '{{ inputs.url }}'")).join('\n'), /steps\.0\.with\.url: a webhook URL is a credential/);
    assert.match(problemsOf(webhook('  x: { required: false }', "url: '{{ alert.annotations.hook }}'")).join('\n'), /a webhook URL is a credential/);
    assert.match(problemsOf(webhook('  hook: { required: false }', "url_ref: '{{ inputs.hook }}'")).join('\n'), /steps\.0\.with\.url_ref: a secret reference comes from the playbook itself or an input of type secret/);
    assert.match(problemsOf(webhook('  x: { required: false }', "url_ref: 'https://hooks.slack.com/services/T/B/x'")).join('\n'), /url_ref: is not a secret reference/);
    assert.deepEqual(problemsOf(webhook('  hook: { type: secret, required: false }', "url_ref: '{{ inputs.hook }}'")), []);
    assert.deepEqual(problemsOf(webhook('  x: { required: false }', "url_ref: 'env:SLACK_URL'")), []);
    assert.match(problemsOf(webhook('  hook: { type: secret, from: alert.annotations.hook }', "url_ref: '{{ inputs.hook }}'")).join('\n'), /inputs\.hook\.from: a secret input is never taken from the alert/);
    assert.match(problemsOf(webhook("  hook: { type: secret, default: 'https://example.com/x' }", "url_ref: '{{ inputs.hook }}'")).join('\n'), /inputs\.hook\.default: is not a secret reference/);
  });

  it('a secret input takes only a reference, never the secret itself', () => {
    const playbook = playbookFrom("name: s\ndescription: d\ninputs:\n  hook: { type: secret }\nsteps: [{ id: s, action: test.mark, with: { target: x, url_ref: '{{ inputs.hook }}' } }]\n", actions);
    assert.deepEqual(resolveInputs(playbook, { hook: 'env:SLACK_URL' }, { alert: null, incident: null }), { hook: 'env:SLACK_URL' });
    assert.deepEqual(resolveInputs(playbook, { hook: 'file:/run/secrets/slack' }, { alert: null, incident: null }), { hook: 'file:/run/secrets/slack' });
    assert.throws(() => resolveInputs(playbook, { hook: 'https://hooks.slack.com/services/T/B/x' }, { alert: null, incident: null }), /input hook: must be a secret reference/);
  });

  it('the bundled playbooks: containment trusts only audit and Falco, scale to zero always needs approval, webhooks are secret references', () => {
    const { playbooks } = loadPlaybooks([fileURLToPath(new URL('../../../playbooks/', import.meta.url))], actions);
    const contain = playbooks.get('contain-compromised-pod')!;
    assert.deepEqual([contain.trigger!.trust, contain.trigger!.untrusted], [['k8s-audit', 'falco'], 'approve']);
    assert.equal(contain.inputs.webhook_ref!.type, 'secret');
    const miner = playbooks.get('respond-to-crypto-miner')!;
    const scale = miner.steps.find((s) => s.action === 'k8s.scaleWorkload')!;
    assert.notEqual(scale.approval, 'auto');
    assert.deepEqual(scale.approval, { required: true, approvers: ['approve'], timeout: 3_600_000, default: 'reject' });
    const revoke = playbooks.get('revoke-service-account')!.steps[0]!;
    assert.deepEqual((revoke.approval as { approvers: string[] }).approvers, ['approve']);
    for (const p of playbooks.values()) {
      assert.equal(p.separation_of_duties, true, p.name);
      for (const s of p.steps.filter((x) => x.action === 'notify.webhook')) assert.equal(s.with.url, undefined, `${p.name}: ${s.id}`);
    }
  });
});
