/**
 * What the decoders make of representative records, per dataset: the ECS side of the field catalogue the rule lint
 * checks fields against (`@bulwark/detection` field-catalogue.ts). The records are the fullest a source writes (an
 * audit event at RequestResponse level with its objects, a Falco alert with the output fields the mapping reads, a
 * CRI line from a Kubernetes log path, OTLP and Kubernetes Events with their identity), so every path a decoder can
 * set appears; open objects beneath them are declared as open, not enumerated.
 */
import type { Event } from '@bulwark/schema';
import { decodeContainerLogs } from './container-logs.js';
import { decodeFalco } from './falco.js';
import { decodeK8sAudit } from './k8s-audit.js';
import { kubernetesEvent } from './k8s-events.js';
import { decodeOtlpLogs } from './otlp.js';

const NOW = new Date('2026-01-01T00:00:00Z');
const buf = (v: unknown) => Buffer.from(JSON.stringify(v));

const AUDIT = {
  kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'RequestResponse', auditID: '0f1e2d3c-0000-4000-8000-000000000001', stage: 'ResponseComplete',
  requestURI: '/api/v1/namespaces/shop/pods/web-1/exec?command=sh', verb: 'create',
  user: { username: 'alice@example.com', uid: 'u-1', groups: ['dev', 'system:authenticated'], extra: { 'authentication.kubernetes.io/credential-id': ['x'] } },
  impersonatedUser: { username: 'bob', groups: ['ops'] },
  sourceIPs: ['10.0.0.7'], userAgent: 'kubectl/v1.37.2',
  objectRef: { resource: 'pods', namespace: 'shop', name: 'web-1', uid: 'p-1', apiGroup: '', apiVersion: 'v1', resourceVersion: '12', subresource: 'exec' },
  responseStatus: { metadata: {}, status: 'Failure', message: 'denied', reason: 'Forbidden', code: 403 },
  requestObject: { kind: 'Pod', spec: { containers: [{ name: 'app', image: 'x', securityContext: { privileged: true } }] } },
  responseObject: { kind: 'Status' },
  requestReceivedTimestamp: '2026-01-01T00:00:00.000000Z', stageTimestamp: '2026-01-01T00:00:00.100000Z',
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC' },
};

const FALCO = {
  hostname: 'node-1', output: 'shell', priority: 'Warning', rule: 'Terminal shell in container', source: 'syscall', tags: ['container', 'shell'],
  time: '2026-01-01T00:00:00.000000000Z', uuid: '0f1e2d3c-0000-4000-8000-000000000002',
  output_fields: {
    'container.id': 'abcdef123456', 'container.name': 'app', 'container.image.repository': 'nginx', 'container.image.tag': '1',
    'k8s.ns.name': 'shop', 'k8s.pod.name': 'web-1', 'proc.cmdline': 'sh -i', 'proc.name': 'sh', 'proc.pid': 7, 'proc.exepath': '/bin/sh',
    'proc.pcmdline': 'bash', 'proc.pname': 'bash', 'proc.ppid': 1, 'user.name': 'root', 'user.uid': 0, 'fd.name': '10.0.0.1:4444', 'fd.sip': '10.0.0.1', 'fd.sport': 4444,
    'fd.cip': '10.0.0.2', 'fd.cport': 5555, 'evt.type': 'execve',
  },
};

const OTLP = {
  resourceLogs: [{
    resource: { attributes: ['k8s.namespace.name', 'k8s.pod.name', 'k8s.pod.uid', 'k8s.container.name', 'k8s.node.name', 'container.id', 'container.name', 'container.image.name', 'service.name', 'service.version', 'host.name'].map((key) => ({ key, value: { stringValue: 'x' } })) },
    scopeLogs: [{ scope: { name: 'app', version: '1' }, logRecords: [{ timeUnixNano: '1767225600000000000', severityText: 'ERROR', body: { kvlistValue: { values: [] } }, traceId: 'ab'.repeat(16), spanId: 'cd'.repeat(8) }] }],
  }],
};

const K8S_EVENT = {
  metadata: { name: 'web-1.1', namespace: 'shop', uid: 'e-1', resourceVersion: '9', creationTimestamp: '2026-01-01T00:00:00Z' },
  eventTime: '2026-01-01T00:00:00.000000Z', series: { count: 2, lastObservedTime: '2026-01-01T00:00:01.000000Z' }, reportingController: 'kubelet',
  reportingInstance: 'node-1', action: 'Syncing', reason: 'BackOff', note: 'Back-off', type: 'Warning',
  regarding: { kind: 'Pod', namespace: 'shop', name: 'web-1', uid: 'p-1', apiVersion: 'v1', fieldPath: 'spec.containers{app}' },
};

/** Per dataset, decoded events of representative records, and the paths beneath which anything may appear. */
export function decodedFieldSamples(): Map<string, { events: Event[]; open: string[] }> {
  const out = new Map<string, { events: Event[]; open: string[] }>();
  const put = (events: Event[], open: string[]) => {
    for (const e of events) {
      const entry = out.get(e.event.dataset) ?? { events: [], open };
      entry.events.push(e);
      out.set(e.event.dataset, entry);
    }
  };
  put(decodeK8sAudit(buf(AUDIT), { now: NOW }).events, ['labels', 'kubernetes.audit.requestObject', 'kubernetes.audit.responseObject', 'kubernetes.audit.annotations', 'kubernetes.audit.user.extra']);
  put(decodeFalco(buf(FALCO), { now: NOW }).events, ['labels', 'falco.output_fields']);
  const cri = '2026-01-01T00:00:00.000000000Z stdout F GET /index.html 200\n';
  put(decodeContainerLogs(Buffer.from(cri), { now: NOW, path: '/var/log/pods/shop_web-1_p-1/app/0.log' }).events, ['labels']);
  put(decodeContainerLogs(Buffer.from(`${JSON.stringify({ log: 'GET / 200\n', stream: 'stdout', time: '2026-01-01T00:00:00Z' })}\n`), { now: NOW }).events, ['labels']);
  put(decodeOtlpLogs(buf(OTLP), 'application/json', { now: NOW }).events, ['attributes', 'resource.attributes', 'body']);
  put([kubernetesEvent(K8S_EVENT, 'default', NOW.toISOString())!], ['kubernetes.event']);
  return out;
}
