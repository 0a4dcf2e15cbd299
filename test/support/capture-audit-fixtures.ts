/**
 * `npm run rules:capture`: fixtures from the real test API server's own audit output. It starts the API server
 * (test/services/k8s.sh) and `npm start` as its audit webhook target, performs the attacker's and a service account's
 * moves each bundled audit rule is about (and ordinary calls beside them), reads back every audit event Bulwark stored,
 * and adds to each rule's fixtures up to two real events it matches (true positives) and two real events of the same
 * resource it does not (true negatives), marked `captured: <date>` in a comment. Fixtures stay decoder output: the
 * stored event without the collector's `bulwark` stamp (the fixture-shape test redecodes each one).
 *
 * Rules no real call here can trigger (anonymous access: the test API server refuses anonymous requests) keep their
 * hand-written fixtures only.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { request } from 'node:https';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseDocument, type YAMLSeq } from 'yaml';
import { compileRules, loadRule, type SigmaRule } from '@bulwark/detection';
import { kubeConfigFor, kubeEnv, postExec } from './kube.js';
import { startWebhookBulwark } from './webhook-bulwark.js';

const root = new URL('../../', import.meta.url).pathname;
execFileSync(join(root, 'test/services/up'), ['k8s'], { stdio: 'inherit' });
for (const line of readFileSync(join(root, 'test/.services.env'), 'utf8').split('\n')) {
  const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
  if (m) process.env[m[1]!] = m[2]!;
}

const ns = `capture-${Date.now().toString(36)}`;
const admin = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN'));
const attacker = kubeConfigFor(kubeEnv('KUBE_ATTACKER_TOKEN'));
const aCore = attacker.makeApiClient(k8s.CoreV1Api);
const aRbac = attacker.makeApiClient(k8s.RbacAuthorizationV1Api);
const core = admin.makeApiClient(k8s.CoreV1Api);
const { p, dir } = await startWebhookBulwark('bwk-capture-');
const reader = (await p.mint('capture', ['read'])).token;
const started = new Date(Date.now() - 1000).toISOString();
const ignore = async (f: () => Promise<unknown>) => f().catch(() => undefined);
const pod = (name: string, spec: Partial<k8s.V1PodSpec> = {}): k8s.V1Pod => ({ metadata: { name }, spec: { containers: [{ name: 'app', image: 'busybox' }], ...spec } });

await core.createNamespace({ body: { metadata: { name: ns } } });
await core.createNamespacedSecret({ namespace: ns, body: { metadata: { name: 'db' }, stringData: { password: 'x' } } });
await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'builder' } } });
// The attacker's moves.
await ignore(() => aCore.createNamespacedPod({ namespace: ns, body: pod('web') }));
await ignore(() => aCore.createNamespacedPod({ namespace: ns, body: pod('priv', { containers: [{ name: 'app', image: 'busybox', securityContext: { privileged: true } }] }) }));
await ignore(() => aCore.createNamespacedPod({ namespace: ns, body: pod('hostpid', { hostPID: true, hostNetwork: true }) }));
await ignore(() => aCore.createNamespacedPod({ namespace: ns, body: pod('hostpath', { volumes: [{ name: 'root', hostPath: { path: '/etc' } }], containers: [{ name: 'app', image: 'busybox', volumeMounts: [{ name: 'root', mountPath: '/host' }] }] }) }));
await ignore(() => aCore.createNamespacedPod({ namespace: 'kube-system', body: pod(`sys-${ns}`) }));
await postExec(kubeEnv('KUBE_ATTACKER_TOKEN'), ns, 'web');
await ignore(() => aCore.readNamespacedSecret({ namespace: ns, name: 'db' }));
await ignore(() => aCore.listSecretForAllNamespaces());
await ignore(() => aCore.createNamespacedServiceAccountToken({ namespace: ns, name: 'builder', body: { spec: { expirationSeconds: 600, audiences: [] } } }));
await ignore(() => aRbac.createClusterRoleBinding({ body: { metadata: { name: `${ns}-admin` }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'cluster-admin' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'mallory@example.com' }] } }));
await ignore(() => admin.makeApiClient(k8s.RbacAuthorizationV1Api).createClusterRole({ body: { metadata: { name: `${ns}-wild` }, rules: [{ apiGroups: ['*'], resources: ['*'], verbs: ['*'] }] } }));
await ignore(() => admin.makeApiClient(k8s.BatchV1Api).createNamespacedCronJob({ namespace: ns, body: { metadata: { name: 'cleanup' }, spec: { schedule: '*/5 * * * *', jobTemplate: { spec: { template: { spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } } } } } } }));
await ignore(() => core.deleteCollectionNamespacedEvent({ namespace: ns }));
await ignore(() => core.patchNamespacedPodEphemeralcontainers({ namespace: ns, name: 'web', body: [{ op: 'add', path: '/spec/ephemeralContainers', value: [{ name: 'debug', image: 'busybox' }] }] }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch)));
// A webhook that selects nothing and fails open: the API server it is left on (if this script dies) is unharmed.
await ignore(() => admin.makeApiClient(k8s.AdmissionregistrationV1Api).createValidatingWebhookConfiguration({ body: { metadata: { name: `${ns}-hook` }, webhooks: [{ name: 'deny.example.com', admissionReviewVersions: ['v1'], sideEffects: 'None', clientConfig: { url: 'https://hooks.example.com/validate' }, failurePolicy: 'Ignore', timeoutSeconds: 1, namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': `${ns}-none` } }, rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }] }] } }));
await ignore(() => admin.makeApiClient(k8s.AdmissionregistrationV1Api).deleteValidatingWebhookConfiguration({ name: `${ns}-hook` }));
await ignore(() => raw(kubeEnv('KUBE_ATTACKER_TOKEN'), 'POST', `/api/v1/namespaces/${ns}/pods/web/portforward?ports=8080`));
await ignore(() => raw(kubeEnv('KUBE_ADMIN_TOKEN'), 'GET', '/api/v1/nodes/worker-1/proxy/pods'));
// A service account's moves: its token used to read secrets it may not, and to ask what it may do.
const saToken = (await core.createNamespacedServiceAccountToken({ namespace: ns, name: 'builder', body: { spec: { expirationSeconds: 600, audiences: [] } } })).status!.token;
const sa = kubeConfigFor(saToken);
await ignore(() => sa.makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ namespace: ns, name: 'db' }));
await ignore(() => sa.makeApiClient(k8s.CoreV1Api).listNamespacedSecret({ namespace: ns }));
await ignore(() => sa.makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectRulesReview({ body: { spec: { namespace: ns } } }));
// And one allowed to read them, reading them.
const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'reader' } } });
await rbac.createNamespacedRole({ namespace: ns, body: { metadata: { name: 'read-secrets' }, rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['get', 'list'] }] } });
await rbac.createNamespacedRoleBinding({ namespace: ns, body: { metadata: { name: 'reader' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'read-secrets' }, subjects: [{ kind: 'ServiceAccount', name: 'reader', namespace: ns }] } });
const readerToken = (await core.createNamespacedServiceAccountToken({ namespace: ns, name: 'reader', body: { spec: { expirationSeconds: 600, audiences: [] } } })).status!.token;
await ignore(() => kubeConfigFor(readerToken).makeApiClient(k8s.CoreV1Api).readNamespacedSecret({ namespace: ns, name: 'db' }));
// A refused request and a bad token.
await ignore(() => kubeConfigFor('bwk-not-a-token').makeApiClient(k8s.CoreV1Api).listNamespacedPod({ namespace: ns }));
// Ordinary calls beside them: reads and updates of the same resources.
await core.listNamespacedPod({ namespace: ns });
await ignore(() => core.readNamespacedPod({ namespace: ns, name: 'web' }));
await core.listNamespacedSecret({ namespace: ns });
await core.listNamespacedServiceAccount({ namespace: ns });
await new Promise((r) => setTimeout(r, 4000)); // the webhook's batches

const events: Array<Record<string, any>> = [];
let cursor: string | null = null;
do {
  const page: { hits: Array<Record<string, any>>; cursor: string | null } = await p.get(`/v1/search?q=${encodeURIComponent('event.dataset:kubernetes.audit')}&from=${started}&size=1000&sort=asc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, reader);
  events.push(...page.hits);
  cursor = page.cursor;
} while (cursor);
await p.stop();
execFileSync('rm', ['-rf', dir]);
await core.deleteNamespace({ name: ns }).catch(() => {});
for (const name of [`${ns}-admin`]) await admin.makeApiClient(k8s.RbacAuthorizationV1Api).deleteClusterRoleBinding({ name }).catch(() => {});
await admin.makeApiClient(k8s.RbacAuthorizationV1Api).deleteClusterRole({ name: `${ns}-wild` }).catch(() => {});

/** A request the typed client has no call for (port-forward, node proxy), answered or not: only its audit matters. */
function raw(token: string, method: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(`${kubeEnv('KUBE_API_URL')}${path}`), { method, ca: readFileSync(kubeEnv('KUBE_CA_FILE')), headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

const fixtureOf = (e: Record<string, any>) => {
  const { bulwark: _stamp, ...rest } = e;
  return rest;
};
const date = new Date().toISOString().slice(0, 10);
const CAPTURED = "captured from the test API server's audit webhook";
let added = 0;
for (const file of execFileSync('ls', [join(root, 'rules/kubernetes')]).toString().split('\n').filter((f) => f.endsWith('.yml') && !f.endsWith('.fixtures.yml'))) {
  const path = join(root, 'rules/kubernetes', file);
  const rule: SigmaRule = loadRule(readFileSync(path, 'utf8'), path);
  const set = compileRules([rule]);
  const matches = events.filter((e) => set.match(e).length > 0);
  const resource = matches[0]?.kubernetes?.audit?.objectRef?.resource;
  const others = events.filter((e) => set.match(e).length === 0 && (!resource || e.kubernetes?.audit?.objectRef?.resource === resource));
  const fixtures = join(root, 'rules/kubernetes', file.replace(/\.yml$/, '.fixtures.yml'));
  if (!existsSync(fixtures) || matches.length === 0) {
    process.stdout.write(`${file}: no real event matched (hand-written fixtures kept)\n`);
    continue;
  }
  // A rule that has captured fixtures keeps them: a rerun fills only the rules still without.
  if (readFileSync(fixtures, 'utf8').includes(CAPTURED)) {
    process.stdout.write(`${file}: has captured fixtures already\n`);
    continue;
  }
  // Edited as a YAML document, so the comments explaining hand-written fixtures stay.
  const doc = parseDocument(readFileSync(fixtures, 'utf8'));
  const plain = doc.toJS() as { true_positives: unknown[]; true_negatives: unknown[] };
  const known = new Set([...plain.true_positives, ...plain.true_negatives].map((f) => (f as { event?: { id?: string } }).event?.id));
  const tps = matches.filter((e) => !known.has(e.event.id)).slice(0, 2).map(fixtureOf);
  const tns = others.filter((e) => !known.has(e.event.id)).slice(0, 2).map(fixtureOf);
  for (const [key, items] of [['true_positives', tps], ['true_negatives', tns]] as const) {
    const seq = doc.get(key) as YAMLSeq;
    for (const item of items) {
      const node = doc.createNode(item);
      if (item === items[0]) node.commentBefore = ` ${CAPTURED} (npm run rules:capture, ${date})`;
      seq.add(node);
    }
  }
  writeFileSync(fixtures, doc.toString({ lineWidth: 0 }));
  added += tps.length + tns.length;
  process.stdout.write(`${file}: +${tps.length} true positives, +${tns.length} true negatives from ${events.length} real audit events\n`);
}
process.stdout.write(`captured ${events.length} audit events; ${added} fixtures added\n`);
process.exit(0);
