/**
 * A realistic mixed timeline for the explorer benchmark, in the shapes the decoders store (packages/ingest): about
 * half Kubernetes audit events (ECS fields plus the native event under `kubernetes.audit`), 45% container log lines
 * (`kubernetes.container_logs`, pod named from the log path), 5% Falco alerts. Deterministic (seeded) so runs compare.
 */
import type { Event } from '@bulwark/schema';
import { pick, prng } from './lib.js';

const NAMESPACES = ['payments', 'checkout', 'default', 'monitoring', 'storefront', 'kube-system', 'ci', 'search'];
const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const RESOURCES = ['pods', 'deployments', 'configmaps', 'secrets', 'services', 'rolebindings', 'serviceaccounts', 'replicasets'];
const USERS = [
  'system:serviceaccount:kube-system:replicaset-controller',
  'system:serviceaccount:ci:deployer',
  'alice@example.com',
  'bob@example.com',
  'system:kube-scheduler',
  'system:node:worker-1',
];
const RULES = ['Terminal shell in container', 'Read sensitive file untrusted', 'Launch Package Management Process in Container', 'Contact K8S API Server From Container'];
const LEVELS = ['INFO', 'INFO', 'INFO', 'WARN', 'ERROR', 'DEBUG'];
const PATHS = ['/api/v2/items', '/api/v2/cart', '/healthz', '/api/v2/checkout', '/metrics', '/login'];

const provenance = (protocol: string, source: 'k8s-audit' | 'falco' | 'logs') => ({
  provenance: { route: `/v1/ingest/${protocol}`, protocol, source, token: { id: `tok-${source}`, name: source }, token_sources: [source] },
});

function uid(r: () => number): string {
  const hex = () => Math.floor(r() * 0x10000).toString(16).padStart(4, '0');
  return `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-8${hex().slice(1)}-${hex()}${hex()}${hex()}`;
}

/** Pods the timeline talks about: a name, a namespace and a uid, shared by audit, Falco and container events. */
function pods(r: () => number, n: number): Array<{ ns: string; name: string; uid: string; container: string }> {
  return Array.from({ length: n }, (_, i) => {
    const ns = NAMESPACES[i % NAMESPACES.length]!;
    const app = `${['web', 'api', 'worker', 'cache'][i % 4]}`;
    return { ns, name: `${app}-${Math.floor(r() * 1e9).toString(36)}-${Math.floor(r() * 1e5).toString(36)}`, uid: uid(r), container: app };
  });
}

/** `count` events, oldest first, spread evenly over `spanMs` ending at `endMs`. */
export function* explorerEvents(count: number, endMs: number, spanMs: number, seed = 7): Generator<Event> {
  const r = prng(seed);
  const podList = pods(r, 400);
  const step = spanMs / count;
  for (let i = 0; i < count; i++) {
    const ts = new Date(Math.floor(endMs - spanMs + i * step)).toISOString();
    const pod = pick(r, podList);
    const kind = r();
    if (kind < 0.5) yield audit(i, ts, r, pod);
    else if (kind < 0.95) yield containerLog(i, ts, r, pod);
    else yield falco(i, ts, r, pod);
  }
}

function audit(i: number, ts: string, r: () => number, pod: { ns: string; name: string }): Event {
  const resource = pick(r, RESOURCES);
  const verb = pick(r, VERBS);
  const user = pick(r, USERS);
  const name = resource === 'pods' ? pod.name : `${resource.slice(0, -1)}-${Math.floor(r() * 500)}`;
  const code = r() < 0.95 ? 200 : 403;
  const ip = `10.${Math.floor(r() * 4)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`;
  const auditId = `${i.toString(16).padStart(8, '0')}-4c1e-4b7a-9f0e-${Math.floor(r() * 1e12).toString(16).padStart(12, '0')}`;
  const native = {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: auditId, stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${pod.ns}/${resource}/${name}`, verb,
    user: { username: user, groups: ['system:authenticated'] }, sourceIPs: [ip], userAgent: 'kubectl/v1.31.2 (linux/amd64)',
    objectRef: { resource, namespace: pod.ns, name, apiVersion: 'v1' }, responseStatus: { metadata: {}, code },
    requestReceivedTimestamp: ts, stageTimestamp: ts,
    annotations: { 'authorization.k8s.io/decision': code === 200 ? 'allow' : 'forbid', 'authorization.k8s.io/reason': 'RBAC: allowed by ClusterRoleBinding' },
  };
  return {
    '@timestamp': ts,
    message: `${user} ${verb} ${resource} ${pod.ns}/${name} -> ${code}`,
    event: { id: `${auditId}-ResponseComplete`, kind: 'event', dataset: 'kubernetes.audit', module: 'kubernetes', action: verb, outcome: code === 200 ? 'success' : 'failure' },
    user: { name: user, roles: ['system:authenticated'] },
    source: { ip },
    user_agent: { original: 'kubectl/v1.31.2 (linux/amd64)' },
    orchestrator: { type: 'kubernetes', namespace: pod.ns, resource: { type: resource, name } },
    kubernetes: { namespace: pod.ns, ...(resource === 'pods' ? { pod: { name } } : {}), audit: native },
    bulwark: provenance('k8s-audit', 'k8s-audit'),
  } as Event;
}

function containerLog(i: number, ts: string, r: () => number, pod: { ns: string; name: string; uid: string; container: string }): Event {
  const level = pick(r, LEVELS);
  const path = pick(r, PATHS);
  const message = `${level} handled GET ${path}/${Math.floor(r() * 1e6)} status=${r() < 0.97 ? 200 : 500} in ${Math.floor(r() * 900)}ms`;
  return {
    '@timestamp': ts,
    message,
    event: { id: `cl-${i.toString(36)}`, kind: 'event', dataset: 'kubernetes.container_logs', module: 'container' },
    log: { level: level.toLowerCase(), file: { path: `/var/log/pods/${pod.ns}_${pod.name}_${pod.uid}/${pod.container}/0.log` } },
    stream: 'stdout',
    kubernetes: { namespace: pod.ns, pod: { name: pod.name, uid: pod.uid }, container: { name: pod.container } },
    orchestrator: { type: 'kubernetes', namespace: pod.ns },
    container: { id: pod.uid.replaceAll('-', '').padEnd(64, '0') },
    bulwark: provenance('container-logs', 'logs'),
  } as Event;
}

function falco(i: number, ts: string, r: () => number, pod: { ns: string; name: string; uid: string; container: string }): Event {
  const rule = pick(r, RULES);
  const proc = pick(r, ['sh', 'bash', 'cat', 'apt-get', 'curl']);
  return {
    '@timestamp': ts,
    message: `${ts} Warning ${rule} (user=root process=${proc} container=${pod.container} k8s.ns=${pod.ns} k8s.pod=${pod.name})`,
    event: { id: `fa-${i.toString(36)}`, kind: 'alert', dataset: 'falco.alerts', module: 'falco', action: 'execve', severity: 50 },
    rule: { name: rule },
    log: { level: 'warning' },
    host: { name: 'worker-1' },
    user: { name: 'root', id: '0' },
    process: { name: proc, executable: `/bin/${proc}`, command_line: `${proc} -c id`, pid: Math.floor(r() * 30000) },
    kubernetes: { namespace: pod.ns, pod: { name: pod.name, uid: pod.uid } },
    orchestrator: { type: 'kubernetes', namespace: pod.ns },
    container: { id: pod.uid.replaceAll('-', '').slice(0, 12), name: pod.container },
    falco: { priority: 'Warning', source: 'syscall', output_fields: { 'proc.name': proc, 'k8s.pod.name': pod.name, 'k8s.ns.name': pod.ns } },
    tags: ['container', 'mitre_execution'],
    bulwark: provenance('falco', 'falco'),
  } as Event;
}
