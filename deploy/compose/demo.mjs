// The compose file's `demo` profile: what a newcomer's cluster would send, so alerts and an incident show within a
// minute. Once: a breach as the Kubernetes API server's audit webhook posts it (a user execs into a pod, reads a
// secret, binds themself to cluster-admin: the bundled rules fire and the multi-stage correlation raises a critical
// incident; the same sequence as test/support/attack.ts). Then, every SEND_EVERY_S seconds: application logs through
// the Elasticsearch `_bulk` API (as Fluent Bit, Vector or Filebeat send them) and now and then a Falco event.
//
//   DEMO_URL=http://bulwark:8080 DEMO_TOKEN=<admin or ingest token> node deploy/compose/demo.mjs
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';

const url = (process.env.DEMO_URL ?? 'http://bulwark:8080').replace(/\/$/, '');
const token = process.env.DEMO_TOKEN;
const SEND_EVERY_S = Number(process.env.DEMO_SEND_EVERY_S ?? 10);
if (!token) {
  console.error('DEMO_TOKEN is not set (the compose file passes BULWARK_BOOTSTRAP_TOKEN)');
  process.exit(2);
}
const say = (msg) => console.log(`[demo] ${msg}`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function post(path, body, contentType = 'application/json') {
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await fetch(url + path, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': contentType },
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      if (res.ok) return text;
      if (res.status < 500 && res.status !== 429) throw new Error(`${path}: ${res.status} ${text.slice(0, 300)}`);
      say(`${path}: ${res.status}, retrying`);
    } catch (err) {
      if (err instanceof Error && err.message.startsWith(path)) throw err;
      if (attempt % 10 === 1) say(`${url} not answering yet (${err instanceof Error ? err.message : err}), retrying`);
    }
    await sleep(Math.min(1000 * attempt, 5000));
  }
}

const USER = 'dev-mallory@example.com';
const run = randomUUID().slice(0, 8);
const t0 = Date.now() - 5 * 60_000;
const iso = (offsetMs) => new Date(t0 + offsetMs).toISOString();
const auditEvent = (n, offsetMs, fields) => ({
  level: 'RequestResponse',
  auditID: `demo-${run}-${n}`,
  stage: 'ResponseComplete',
  user: { username: USER, groups: ['developers', 'system:authenticated'] },
  sourceIPs: ['203.0.113.45'],
  userAgent: 'kubectl/v1.31.0 (linux/amd64) kubernetes/abc',
  requestReceivedTimestamp: iso(offsetMs),
  stageTimestamp: iso(offsetMs + 40),
  annotations: { 'authorization.k8s.io/decision': 'allow', 'authorization.k8s.io/reason': 'RBAC: allowed by RoleBinding "dev"' },
  ...fields,
});
const breach = {
  kind: 'EventList',
  apiVersion: 'audit.k8s.io/v1',
  metadata: {},
  items: [
    auditEvent(1, 0, {
      requestURI: '/api/v1/namespaces/payments/pods/api-7f9c/exec?command=sh&container=api&stdin=true&tty=true',
      verb: 'create',
      objectRef: { resource: 'pods', subresource: 'exec', namespace: 'payments', name: 'api-7f9c', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 101 },
    }),
    auditEvent(2, 2 * 60_000, {
      requestURI: '/api/v1/namespaces/payments/secrets/db-credentials',
      verb: 'get',
      objectRef: { resource: 'secrets', namespace: 'payments', name: 'db-credentials', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 200 },
    }),
    auditEvent(3, 4 * 60_000, {
      requestURI: '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings',
      verb: 'create',
      objectRef: { resource: 'clusterrolebindings', name: 'mallory-admin', apiGroup: 'rbac.authorization.k8s.io', apiVersion: 'v1' },
      responseStatus: { metadata: {}, code: 201 },
      requestObject: {
        kind: 'ClusterRoleBinding',
        apiVersion: 'rbac.authorization.k8s.io/v1',
        metadata: { name: 'mallory-admin' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' },
        subjects: [{ kind: 'User', apiGroup: 'rbac.authorization.k8s.io', name: USER }],
      },
    }),
  ],
};

function falcoMiner() {
  const now = new Date().toISOString();
  return {
    uuid: randomUUID(),
    hostname: 'node-a',
    output: `${now}: Critical Possible miner running (command=xmrig -o stratum+tcp://pool.supportxmr.com:3333 k8s.ns=shop k8s.pod=cart-5d8f)`,
    priority: 'Critical',
    rule: 'Detect crypto miners using the Stratum protocol',
    source: 'syscall',
    tags: ['container', 'mitre_impact', 'T1496'],
    time: now,
    output_fields: {
      'container.id': 'ba92dbab2801',
      'container.name': 'cart',
      'evt.type': 'execve',
      'k8s.ns.name': 'shop',
      'k8s.pod.name': 'cart-5d8f',
      'proc.cmdline': 'xmrig -o stratum+tcp://pool.supportxmr.com:3333',
      'proc.exepath': '/tmp/.x/xmrig',
      'proc.name': 'xmrig',
      'user.name': 'root',
    },
  };
}

const MESSAGES = ['GET /api/cart 200 12ms', 'payment declined order=81', 'GET /healthz 200 1ms', 'POST /api/checkout 201 48ms', 'upstream timeout after 5000ms'];
let seq = 0;
// Without an _id, an event's id is a hash of its content: each line differs (its sequence number), so none is
// mistaken for a retry of another.
function bulkLogs(n) {
  const lines = [];
  const now = Date.now();
  for (let i = 0; i < n; i++) {
    lines.push(JSON.stringify({ create: { _index: 'logs-shop-default' } }));
    lines.push(
      JSON.stringify({
        '@timestamp': new Date(now - (n - i)).toISOString(),
        message: `${MESSAGES[Math.floor(Math.random() * MESSAGES.length)]} seq=${seq++}`,
        log: { level: 'info' },
        kubernetes: { namespace: 'shop', pod: { name: `cart-5d8f-${i % 3}` }, container: { name: 'cart' } },
      }),
    );
  }
  return lines.join('\n') + '\n';
}

say(`sending to ${url}`);
await post('/v1/ingest/k8s-audit', breach);
writeFileSync('/tmp/breach-sent', new Date().toISOString());
say(`breach sent: ${USER} exec -> secret read -> cluster-admin binding. See the incident:`);
say(`  curl -s -H "Authorization: Bearer $TOKEN" localhost:8080/v1/incidents     (scale profile: the api's port)`);
let round = 0;
for (;;) {
  await post('/_bulk', bulkLogs(20), 'application/x-ndjson');
  if (round % 6 === 0) await post('/v1/ingest/falco', falcoMiner());
  if (round % 30 === 0) say(`round ${round}: _bulk logs every ${SEND_EVERY_S}s, a Falco event every minute`);
  round++;
  await sleep(SEND_EVERY_S * 1000);
}
