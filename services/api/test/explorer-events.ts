/**
 * The explorer tests' timeline, made by the real decoders (packages/ingest) from what the sources send, so the
 * stored shapes are the ones production stores: one pod's audit trail as the API server's audit webhook posts it
 * (pods and RBAC bindings at RequestResponse level, as deploy/audit-policy.yaml records them), its container log
 * lines (CRI format, the pod named by the log path) and a Falco alert on it; five log lines sharing one timestamp.
 */
import { readFileSync } from 'node:fs';
import type { Event } from '@bulwark/schema';
import { decodeContainerLogs, decodeFalco, decodeK8sAudit } from '@bulwark/ingest';

export const T0 = Date.parse('2026-11-20T10:00:00.000Z');
export const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();
export const NS = 'payments';
export const RS = 'api-5d8f7c9b6';
export const POD = `${RS}-xk2lp`;
export const POD_UID = '3f6c2a1e-8b4d-4c9e-a7f1-52d0e6b9c814';
export const NODE = 'worker-1';
export const ATTACKER = 'dev-mallory@example.com';
export const ATTACKER_IP = '203.0.113.45';
/** A log line an attacker wrote to become a spreadsheet formula in an analyst's export. */
export const FORMULA = '=HYPERLINK("http://evil.example/x","click"), "quoted"';

let auditSeq = 0;
function audit(offsetMs: number, fields: Record<string, unknown>): Record<string, unknown> {
  auditSeq++;
  return {
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'RequestResponse',
    auditID: `0c2b9a7e-51f3-4d8e-9a1b-${auditSeq.toString(16).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    user: { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] },
    sourceIPs: ['10.0.0.10'],
    userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc',
    requestReceivedTimestamp: iso(offsetMs),
    stageTimestamp: iso(offsetMs),
    responseStatus: { metadata: {}, code: 201 },
    ...fields,
  };
}

const podObject = {
  kind: 'Pod',
  apiVersion: 'v1',
  metadata: {
    name: POD,
    generateName: `${RS}-`,
    namespace: NS,
    uid: POD_UID,
    labels: { app: 'api', 'pod-template-hash': '5d8f7c9b6' },
    ownerReferences: [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: RS, uid: '9e1d7c44-0b6a-4f2e-8d3c-1a2b3c4d5e6f', controller: true, blockOwnerDeletion: true }],
  },
  spec: { serviceAccountName: 'api', nodeName: NODE, containers: [{ name: 'api', image: 'registry.example/api:1.4.2' }] },
  status: { phase: 'Pending' },
};

function binding(kind: 'RoleBinding' | 'ClusterRoleBinding', name: string, role: string, subjects: unknown[]): Record<string, unknown> {
  return {
    kind,
    apiVersion: 'rbac.authorization.k8s.io/v1',
    metadata: { name, ...(kind === 'RoleBinding' ? { namespace: NS } : {}), uid: `b-${name}` },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: kind === 'RoleBinding' ? 'Role' : 'ClusterRole', name: role },
    subjects,
  };
}
const apiAccount = { kind: 'ServiceAccount', name: 'api', namespace: NS };

function bindingCall(offsetMs: number, verb: string, object: Record<string, unknown>): Record<string, unknown> {
  const meta = object.metadata as { name: string; namespace?: string };
  const resource = object.kind === 'RoleBinding' ? 'rolebindings' : 'clusterrolebindings';
  return audit(offsetMs, {
    verb,
    requestURI: `/apis/rbac.authorization.k8s.io/v1/${meta.namespace ? `namespaces/${meta.namespace}/` : ''}${resource}${verb === 'create' ? '' : `/${meta.name}`}`,
    objectRef: { resource, ...(meta.namespace ? { namespace: meta.namespace } : {}), name: meta.name, apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
    ...(verb === 'delete' ? { responseStatus: { metadata: {}, code: 200 } } : { requestObject: object, responseObject: object }),
  });
}

/** The audit trail: the pod created, bindings made (one of them deleted again), an exec by an attacker. */
export const auditItems = [
  audit(0, {
    verb: 'create',
    requestURI: `/api/v1/namespaces/${NS}/pods`,
    objectRef: { resource: 'pods', namespace: NS, name: POD, apiVersion: 'v1' },
    requestObject: { ...podObject, metadata: { ...podObject.metadata, name: undefined, uid: undefined } },
    responseObject: podObject,
  }),
  bindingCall(1000, 'create', binding('RoleBinding', 'api-reader', 'secret-reader', [apiAccount])),
  bindingCall(2000, 'create', binding('ClusterRoleBinding', 'api-view', 'view', [apiAccount])),
  bindingCall(3000, 'create', binding('ClusterRoleBinding', 'api-admin-temp', 'cluster-admin', [apiAccount])),
  bindingCall(4000, 'delete', binding('ClusterRoleBinding', 'api-admin-temp', 'cluster-admin', [apiAccount])),
  bindingCall(5000, 'create', binding('RoleBinding', 'other-reader', 'secret-reader', [{ kind: 'ServiceAccount', name: 'other', namespace: NS }])),
  audit(60_000, {
    user: { username: ATTACKER, groups: ['developers', 'system:authenticated'] },
    sourceIPs: [ATTACKER_IP],
    verb: 'create',
    requestURI: `/api/v1/namespaces/${NS}/pods/${POD}/exec?command=sh&container=api&stdin=true&tty=true`,
    objectRef: { resource: 'pods', subresource: 'exec', namespace: NS, name: POD, apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 101 },
  }),
  audit(120_000, {
    user: { username: ATTACKER, groups: ['developers', 'system:authenticated'] },
    sourceIPs: [ATTACKER_IP],
    level: 'Metadata',
    verb: 'get',
    requestURI: `/api/v1/namespaces/${NS}/secrets/db-credentials`,
    objectRef: { resource: 'secrets', namespace: NS, name: 'db-credentials', apiVersion: 'v1' },
    responseStatus: { metadata: {}, code: 200 },
  }),
];

export const LOG_PATH = `/var/log/pods/${NS}_${POD}_${POD_UID}/api/0.log`;
/** The offset (ms after T0) the five tied lines share. */
export const TIE_AT = 90_000;

/** Container lines: one every 10 s from 30 s on, five at TIE_AT exactly, and the attacker's formula line. */
function containerLines(): string {
  const line = (offsetMs: number, text: string) => `${new Date(T0 + offsetMs).toISOString().replace('Z', '000000Z')} stdout F ${text}`;
  const lines: string[] = [];
  for (let s = 30; s <= 150; s += 10) if (s * 1000 !== TIE_AT) lines.push(line(s * 1000, `GET /api/v2/items served in ${s} ms`));
  for (let i = 0; i < 5; i++) lines.push(line(TIE_AT, `tied line ${i}`));
  lines.push(line(160_000, FORMULA));
  return `${lines.join('\n')}\n`;
}

const falcoAlert = {
  hostname: NODE,
  output: `Terminal shell in container (user=root container=api k8s.ns=${NS} k8s.pod=${POD})`,
  priority: 'Notice',
  rule: 'Terminal shell in container',
  source: 'syscall',
  tags: ['container', 'shell', 'mitre_execution'],
  time: new Date(T0 + 61_000).toISOString(),
  output_fields: {
    'container.id': 'c0ffee123456',
    'container.name': 'api',
    'k8s.ns.name': NS,
    'k8s.pod.name': POD,
    'k8s.pod.uid': POD_UID,
    'proc.name': 'sh',
    'user.name': 'root',
    'evt.type': 'execve',
  },
};

function decoded(result: { events: Event[]; errors: unknown[] }): Event[] {
  if (result.errors.length) throw new Error(`decode errors: ${JSON.stringify(result.errors)}`);
  return result.events;
}

/** Every event of the timeline, in the order they are appended (ties: `tied line 0` … `4`). */
export function timeline(): Event[] {
  const now = new Date(T0 + 200_000);
  return [
    ...decoded(decodeK8sAudit(Buffer.from(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: auditItems })), { now })),
    ...decoded(decodeContainerLogs(Buffer.from(containerLines()), { now, path: LOG_PATH })),
    ...decoded(decodeFalco(Buffer.from(JSON.stringify(falcoAlert)), { now })),
  ];
}

/** `n` plain log events one second apart from `startMs`, dataset `filler.logs`: enough to page across. */
export function filler(n: number, startMs: number): Event[] {
  return Array.from({ length: n }, (_, i) => ({
    '@timestamp': new Date(startMs + i * 1000).toISOString(),
    message: `filler line ${i}`,
    event: { id: `filler-${i}`, kind: 'event', dataset: 'filler.logs' },
    labels: { batch: String(i % 7) },
  })) as Event[];
}

/** Audit events recorded from the real test kube-apiserver (fixtures/record-pivot-audit.ts), as it posted them. */
export function recordedPivotAudit(): { namespace: string; pod: string; events: Event[] } {
  const recorded = JSON.parse(readFileSync(new URL('./fixtures/pivot-audit.json', import.meta.url), 'utf8')) as { namespace: string; items: Array<Record<string, unknown>> };
  const pod = recorded.items.map((i) => i.responseObject as { kind?: string; metadata?: { name?: string } } | undefined).find((o) => o?.kind === 'Pod')?.metadata?.name;
  if (!pod) throw new Error('the recording holds no pod');
  const body = Buffer.from(JSON.stringify({ kind: 'EventList', apiVersion: 'audit.k8s.io/v1', items: recorded.items }));
  return { namespace: recorded.namespace, pod, events: decoded(decodeK8sAudit(body)) };
}
