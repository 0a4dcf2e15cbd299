/**
 * `npm run bench:benign`: the bundled rules' false-positive rate on ordinary cluster work. The real test control plane
 * and node (test/services/node.sh) do a day's routine in minutes — a CI service account applying manifests and
 * rolling a Deployment, scaling, a person reading pods, logs and events, the controllers, scheduler and kubelet
 * reconciling — while their audit webhook feeds `npm start` with the bundled rules. Then the recorded audit events
 * are replayed through the bundled rules offline too (every rule's matches, correlations included), and the alerts per
 * 10,000 benign events go to bench/RESULTS.md. The goal for the bundled rules is zero.
 *
 * Usage: tsx bench/benign.ts [--rounds=N (default 6)] [--no-write]
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { compileCorrelations, CorrelationEngine, InMemoryCorrelationState, loadSigmaFiles, compileRules, findRuleFiles, BUNDLED_RULES_DIR } from '@bulwark/detection';
import { kubeConfigFor, kubeEnv } from '../test/support/kube.js';
import { startWebhookBulwark } from '../test/support/webhook-bulwark.js';
import { benchArgs, readServicesEnv, root } from './lib.js';
import { machine } from './npm-start.js';

const args = benchArgs();
const ROUNDS = Number(args.get('rounds') ?? 6);
execFileSync(join(root, 'test/services/up'), ['k8s', 'node'], { stdio: 'inherit' });
Object.assign(process.env, readServicesEnv());

const admin = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN'));
const core = admin.makeApiClient(k8s.CoreV1Api);
const apps = admin.makeApiClient(k8s.AppsV1Api);
const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
const ns = `benign-${Date.now().toString(36)}`;
const image = kubeEnv('KUBE_NODE_IMAGE');
const { p, dir } = await startWebhookBulwark('bwk-benign-');
const reader = (await p.mint('bench', ['read'])).token;

// The CI identity: a service account with `edit` in its namespace, as deploy pipelines run.
await core.createNamespace({ body: { metadata: { name: ns } } });
await core.createNamespacedServiceAccount({ namespace: ns, body: { metadata: { name: 'ci-deployer' } } });
await rbac.createNamespacedRoleBinding({ namespace: ns, body: { metadata: { name: 'ci-deployer-edit' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'edit' }, subjects: [{ kind: 'ServiceAccount', name: 'ci-deployer', namespace: ns }] } });
const ciToken = (await core.createNamespacedServiceAccountToken({ namespace: ns, name: 'ci-deployer', body: { spec: { expirationSeconds: 3600, audiences: [] } } })).status!.token;
const ci = kubeConfigFor(ciToken);
const ciApps = ci.makeApiClient(k8s.AppsV1Api);
const ciCore = ci.makeApiClient(k8s.CoreV1Api);
// The measurement starts after the bench's own setup: handing CI its token is an administrator's TokenRequest, which a
// bundled rule rightly reports (pipelines in a cluster get theirs from a projected volume), and not routine work.
await new Promise((r) => setTimeout(r, 3_000));
const started = Date.now();

/** A read-modify-write that lost to a controller's status update is read and written again, as `kubectl apply` does. */
async function retryConflict(write: () => Promise<void>): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await write();
    } catch (err) {
      if ((err as { code?: number }).code !== 409 || attempt >= 5) throw err;
    }
  }
}

const deployment = (version: number): k8s.V1Deployment => ({
  metadata: { name: 'web', labels: { app: 'web' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    template: {
      metadata: { labels: { app: 'web' }, annotations: { 'example.com/release': String(version) } },
      spec: { terminationGracePeriodSeconds: 1, containers: [{ name: 'web', image, imagePullPolicy: 'Never', command: ['httpd', '-f', '-p', '8080', '-h', '/www'], env: [{ name: 'RELEASE', value: String(version) }] }] },
    },
  },
});

await ciApps.createNamespacedDeployment({ namespace: ns, body: deployment(1) });
await ciCore.createNamespacedService({ namespace: ns, body: { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ port: 80, targetPort: 8080 }] } } });
await ciCore.createNamespacedConfigMap({ namespace: ns, body: { metadata: { name: 'web-config' }, data: { mode: 'production' } } });
for (let round = 2; round <= ROUNDS + 1; round++) {
  // A release: the pipeline replaces the Deployment (a rollout), updates its config, scales for the day's load.
  await retryConflict(async () => {
    const current = await ciApps.readNamespacedDeployment({ namespace: ns, name: 'web' });
    await ciApps.replaceNamespacedDeployment({ namespace: ns, name: 'web', body: { ...deployment(round), metadata: { ...deployment(round).metadata, resourceVersion: current.metadata!.resourceVersion! } } });
  });
  await ciCore.patchNamespacedConfigMap({ namespace: ns, name: 'web-config', body: [{ op: 'replace', path: '/data/mode', value: `release-${round}` }] }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch));
  await ciApps.patchNamespacedDeploymentScale({ namespace: ns, name: 'web', body: [{ op: 'replace', path: '/spec/replicas', value: round % 2 === 0 ? 3 : 2 }] }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch));
  // A person looking: pods, their logs, events, the Deployment.
  const pods = (await core.listNamespacedPod({ namespace: ns })).items;
  for (const pod of pods.slice(0, 2)) await core.readNamespacedPodLog({ namespace: ns, name: pod.metadata!.name! }).catch(() => '');
  await core.listNamespacedEvent({ namespace: ns });
  await apps.readNamespacedDeployment({ namespace: ns, name: 'web' });
  await new Promise((r) => setTimeout(r, 10_000)); // controllers, scheduler and kubelet reconcile the release
}
await new Promise((r) => setTimeout(r, 5_000)); // the webhook's last batch

// The recorded corpus: every audit event Bulwark stored during the run.
const corpus: unknown[] = [];
let cursor: string | null = null;
do {
  const page: { hits: unknown[]; cursor: string | null } = await p.get(`/v1/search?q=${encodeURIComponent('event.dataset:kubernetes.audit')}&from=${new Date(started).toISOString()}&size=1000&sort=asc${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, reader);
  corpus.push(...page.hits);
  cursor = page.cursor;
} while (cursor);
const live = (await p.get<{ items: Array<{ rule: { id: string; name: string }; first_seen: string }> }>('/v1/alerts?size=1000', reader)).items.filter((a) => Date.parse(a.first_seen) >= started);
await p.stop();
rmSync(dir, { recursive: true, force: true });
await core.deleteNamespace({ name: ns }).catch(() => {});
execFileSync(join(root, 'test/services/down'), ['node'], { stdio: 'inherit' });

// The replay: every bundled rule and correlation over the corpus, in time order.
const files = findRuleFiles(BUNDLED_RULES_DIR);
const { rules, correlations } = loadSigmaFiles(files.map((file) => ({ file, source: readFileSync(file, 'utf8') })));
const ruleset = compileRules(rules);
const correlationSet = compileCorrelations(correlations, rules);
const engine = new CorrelationEngine(correlationSet, { state: new InMemoryCorrelationState(), allowedLatenessMs: 3_600_000 });
const byRule = new Map<string, number>();
// What would alert: rules that stand alone (a correlation's members with `generate: false` only feed it) and
// completed correlations.
const count = (title: string) => byRule.set(title, (byRule.get(title) ?? 0) + 1);
for (const event of corpus) {
  const matched = ruleset.match(event).map((m) => m.rule);
  for (const rule of matched) if (correlationSet.standalone(rule)) count(rule.title);
  if (matched.length) for (const m of await engine.process(event, matched.map((r) => r.id ?? r.title))) if (correlationSet.standalone(m.rule)) count(m.rule.title);
}
const replayed = [...byRule.values()].reduce((a, b) => a + b, 0);
const per10k = (n: number) => (corpus.length ? (n * 10_000) / corpus.length : 0).toFixed(1);
const lines = [
  `benign corpus: ${corpus.length} audit events over ${((Date.now() - started) / 60_000).toFixed(1)} min (${ROUNDS} releases)`,
  `live alerts (npm start, bundled rules): ${live.length} = ${per10k(live.length)} per 10,000 events${live.length ? ` (${[...new Set(live.map((a) => a.rule.name))].join(', ')})` : ''}`,
  `replayed alerts (rules and correlations): ${replayed} = ${per10k(replayed)} per 10,000 events${replayed ? ` (${[...byRule].map(([t, n]) => `${t}: ${n}`).join(', ')})` : ''}`,
];
process.stdout.write(`${lines.join('\n')}\n`);
if (!args.has('no-write')) {
  const file = join(root, 'bench/RESULTS.md');
  const section = [
    `## benign — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `Machine: ${machine()}. \`npm run bench:benign -- --rounds=${ROUNDS}\`: the real test control plane and node doing routine work, measured after the bench's setup (a namespace, a CI service account and its token) — a CI service account (\`edit\` in its namespace) creating a Deployment, Service and ConfigMap, then ${ROUNDS} releases (Deployment replaced, ConfigMap patched, scaled), a person reading pods, logs and events, the controllers, scheduler and kubelet reconciling — audited into \`npm start\` with the bundled rules (deploy/audit-policy.yaml), then the recorded audit events replayed through every bundled rule and correlation.`,
    '',
    '| benign audit events | live alerts | per 10,000 | replayed alerts | per 10,000 | goal |',
    '|---:|---:|---:|---:|---:|---|',
    `| ${corpus.length} | ${live.length} | ${per10k(live.length)} | ${replayed} | ${per10k(replayed)} | 0: ${live.length === 0 && replayed === 0 ? 'met' : 'not met'} |`,
    '',
    ...(replayed || live.length ? [`What fired: ${lines.slice(1).join('; ')}.`, ''] : []),
  ].join('\n');
  const text = readFileSync(file, 'utf8');
  const at = text.indexOf('\n## ');
  writeFileSync(file, `${text.slice(0, at).trimEnd()}\n\n${section}\n${text.slice(at + 1)}`);
  process.stdout.write('wrote bench/RESULTS.md\n');
}
process.exit(0);
