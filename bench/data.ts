/**
 * Realistic ingest traffic for the benchmark: Kubernetes audit events of about 1 KB as a file tailer ships them
 * (the native audit.k8s.io/v1 line plus `@timestamp`), and container log lines of about 200 B as Fluent Bit's
 * kubernetes filter enriches them. Deterministic (seeded) so runs compare.
 */
import { pick, prng } from './lib.js';

const VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'];
const RESOURCES = ['pods', 'deployments', 'configmaps', 'secrets', 'services', 'rolebindings', 'serviceaccounts'];
const USERS = ['system:serviceaccount:kube-system:replicaset-controller', 'alice@example.com', 'bob@example.com', 'system:kube-scheduler', 'ci-deployer'];
const NAMESPACES = ['payments', 'checkout', 'default', 'monitoring', 'storefront'];

export function auditDoc(i: number, r: () => number, baseMs: number): Record<string, unknown> {
  const ns = pick(r, NAMESPACES);
  const resource = pick(r, RESOURCES);
  const verb = pick(r, VERBS);
  const name = `${resource.slice(0, -1)}-${Math.floor(r() * 5000)}`;
  const ts = new Date(baseMs + i * 7).toISOString();
  return {
    '@timestamp': ts,
    kind: 'Event',
    apiVersion: 'audit.k8s.io/v1',
    level: 'Metadata',
    auditID: `a${i.toString(16).padStart(7, '0')}-4c1e-4b7a-9f0e-${Math.floor(r() * 1e12).toString(16).padStart(12, '0')}`,
    stage: 'ResponseComplete',
    requestURI: `/api/v1/namespaces/${ns}/${resource}/${name}?timeout=30s`,
    verb,
    user: { username: pick(r, USERS), uid: '6b0a3c1e-2f4d-4e5f-8a9b-0c1d2e3f4a5b', groups: ['system:authenticated', 'system:masters'] },
    sourceIPs: [`10.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}`],
    userAgent: 'kube-controller-manager/v1.31.2 (linux/amd64) kubernetes/5864a46/system:serviceaccount:kube-system:generic-garbage-collector',
    objectRef: { resource, namespace: ns, name, apiVersion: 'v1', resourceVersion: String(Math.floor(r() * 1e7)) },
    responseStatus: { metadata: {}, code: r() < 0.95 ? 200 : 403 },
    requestReceivedTimestamp: ts,
    stageTimestamp: ts,
    annotations: {
      'authorization.k8s.io/decision': 'allow',
      'authorization.k8s.io/reason': `RBAC: allowed by ClusterRoleBinding "system:controller:generic-garbage-collector" of ClusterRole "system:controller:generic-garbage-collector" to ServiceAccount "generic-garbage-collector/kube-system"`,
    },
  };
}

export function containerDoc(i: number, r: () => number, baseMs: number): Record<string, unknown> {
  const ns = pick(r, NAMESPACES);
  return {
    '@timestamp': new Date(baseMs + i * 3).toISOString(),
    log: `${['INFO', 'WARN', 'ERROR'][Math.floor(r() * 3)]} handled GET /api/v2/items/${Math.floor(r() * 1e6)} in ${Math.floor(r() * 900)}ms`,
    stream: 'stdout',
    kubernetes: { pod_name: `web-${Math.floor(r() * 40)}`, namespace_name: ns, container_name: 'web' },
  };
}

/**
 * NDJSON `_bulk` bodies of `batch` documents each; `auditShare` of them audit events. `firstMs` and `endMs` bound the
 * documents' `@timestamp`s (inclusive, exclusive), for a query over exactly this load.
 */
export function bulkBodies(
  total: number,
  batch: number,
  auditShare: number,
  seed: number,
): { bodies: Buffer[]; audit: number; container: number; bytes: number; firstMs: number; endMs: number } {
  const r = prng(seed);
  const base = Date.parse('2026-11-29T00:00:00.000Z') + seed * 1_000_000;
  const action = '{"create":{"_index":"logs-bench-default"}}\n';
  const bodies: Buffer[] = [];
  let audit = 0;
  let container = 0;
  let bytes = 0;
  let firstMs = Infinity;
  let endMs = -Infinity;
  for (let start = 0; start < total; start += batch) {
    const lines: string[] = [];
    for (let i = start; i < Math.min(total, start + batch); i++) {
      const isAudit = r() < auditShare;
      const doc = isAudit ? auditDoc(i, r, base) : containerDoc(i, r, base);
      const ms = Date.parse(doc['@timestamp'] as string);
      if (ms < firstMs) firstMs = ms;
      if (ms + 1 > endMs) endMs = ms + 1;
      if (isAudit) audit++;
      else container++;
      lines.push(action, JSON.stringify(doc), '\n');
    }
    const body = Buffer.from(lines.join(''));
    bytes += body.length;
    bodies.push(body);
  }
  return { bodies, audit, container, bytes, firstMs, endMs };
}
