/** Field resolution on realistic Kubernetes audit events, ECS names, dotted keys and arrays. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileFieldPath } from '../src/index.js';
import { auditEvent, matches } from './helpers.js';

/** An `audit.k8s.io/v1` Event as the API server sends it: `kubectl exec` into a pod. */
const execAudit = {
  kind: 'Event',
  apiVersion: 'audit.k8s.io/v1',
  level: 'Metadata',
  auditID: '5c9f1e4a-0d4c-4c8e-9d2e-1c2a3b4c5d6e',
  stage: 'ResponseStarted',
  requestURI: '/api/v1/namespaces/payments/pods/api-7f9c/exec?command=sh&container=api&stdin=true&tty=true',
  verb: 'create',
  user: { username: 'system:serviceaccount:ci:deployer', groups: ['system:serviceaccounts', 'system:authenticated'] },
  sourceIPs: ['10.12.0.7'],
  userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc123',
  objectRef: { resource: 'pods', namespace: 'payments', name: 'api-7f9c', apiVersion: 'v1', subresource: 'exec' },
  responseStatus: { metadata: {}, code: 101 },
  annotations: {
    'authorization.k8s.io/decision': 'allow',
    'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding "ci-admin"',
  },
};

const ecs = { user: { name: 'system:serviceaccount:ci:deployer' }, source: { ip: '10.12.0.7' } };

describe('audit field resolution', () => {
  const rule = `sel:
  verb: create
  objectRef.resource: pods
  objectRef.subresource:
    - exec
    - attach
  objectRef.namespace: payments
  responseStatus.code: 101
  requestURI|contains: '/exec?'
  userAgent|startswith: 'kubectl/'
  user.username|startswith: 'system:serviceaccount:'
  sourceIPs|cidr: 10.0.0.0/8
  annotations.authorization.k8s.io/decision: allow
condition: sel`;

  it('resolves native audit names under kubernetes.audit', () => {
    assert.equal(matches(rule, auditEvent(execAudit, ecs)), true);
  });

  it('misses when one audit field differs', () => {
    const attachToOther = { ...execAudit, objectRef: { ...execAudit.objectRef, subresource: 'log' } };
    assert.equal(matches(rule, auditEvent(attachToOther, ecs)), false);
    const denied = { ...execAudit, annotations: { 'authorization.k8s.io/decision': 'forbid' } };
    assert.equal(matches(rule, auditEvent(denied, ecs)), false);
  });

  it('resolves ECS names directly on the same event', () => {
    const ecsRule = "sel:\n  user.name|endswith: ':deployer'\n  source.ip|cidr: 10.12.0.0/16\ncondition: sel";
    assert.equal(matches(ecsRule, auditEvent(execAudit, ecs)), true);
    assert.equal(matches(ecsRule, auditEvent(execAudit, { user: { name: 'alice' }, source: { ip: '10.12.0.7' } })), false);
  });

  it('matches a value in nested arrays (privileged container in a pod spec)', () => {
    const created = {
      ...execAudit,
      objectRef: { resource: 'pods', namespace: 'default', name: 'x' },
      requestObject: {
        kind: 'Pod',
        spec: {
          containers: [
            { name: 'a', securityContext: { privileged: false } },
            { name: 'b', securityContext: { privileged: true } },
          ],
        },
      },
    };
    const privileged = 'sel:\n  objectRef.resource: pods\n  requestObject.spec.containers.securityContext.privileged: true\ncondition: sel';
    assert.equal(matches(privileged, auditEvent(created)), true);
    const harmless = { ...created, requestObject: { spec: { containers: [{ securityContext: { privileged: false } }] } } };
    assert.equal(matches(privileged, auditEvent(harmless)), false);
  });

  it('does not look under kubernetes.audit for events of other datasets', () => {
    const resolve = compileFieldPath('verb');
    const falco = { event: { dataset: 'falco.alerts' }, kubernetes: { audit: { verb: 'create' } } };
    assert.deepEqual(resolve(falco), { found: false, values: [] });
    assert.deepEqual(resolve(auditEvent({ verb: 'get' })), { found: true, values: ['get'] });
  });

  it('never resolves inherited properties, and keeps null as a present value', () => {
    const ev = { event: { dataset: 'container.logs' }, a: null };
    assert.deepEqual(compileFieldPath('constructor')(ev), { found: false, values: [] });
    assert.deepEqual(compileFieldPath('event.toString')(ev), { found: false, values: [] });
    assert.deepEqual(compileFieldPath('a')(ev), { found: true, values: [null] });
  });

  it('resolves flat dotted keys such as Falco output fields', () => {
    const resolve = compileFieldPath('falco.output_fields.proc.cmdline');
    const ev = { event: { dataset: 'falco.alerts' }, falco: { output_fields: { 'proc.cmdline': 'sh -i' } } };
    assert.deepEqual(resolve(ev).values, ['sh -i']);
  });
});
