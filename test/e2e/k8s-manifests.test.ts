// services: k8s
/**
 * deploy/kubernetes on the real test kube-apiserver. The manifests are rendered with the real kustomize (built from the
 * Go module proxy, test/support/kustomize.ts) under an overlay that moves them into this run's namespace and suffixes
 * every name; every object is then server-side applied with dryRun=All as the admin, the prometheus-operator CRDs
 * (from the operator's own module) installed for real first. The pods the Deployments would make are dry-run created
 * under the namespace's enforced Pod Security "restricted" level.
 *
 * The responder's RBAC is proven on the server with the manifests' own accounts, created for real here, bound to the
 * rendered copy of deploy/responder-clusterrole.yaml and speaking with TokenRequest tokens: every right an action
 * declares is allowed, what it must not do is denied, and beyond what every account may do it holds exactly the
 * declared rights; the collector, api and correlator accounts hold nothing beyond that baseline.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import * as k8s from '@kubernetes/client-node';
import { ACTIONS, rbacRules } from '@bulwark/actions';
import { loadConfig } from '@bulwark/config';
import { BUNDLED_RULES_DIR, findRuleFiles } from '@bulwark/detection';
import { kubeConfigFor, kubeEnv } from '../support/kube.js';
import { KUBERNETES_DIR, prometheusOperatorCrd, renderOverlay } from '../support/kustomize.js';
import { allowed, describeAccess, difference, expandRules, heldRights, serviceAccountToken, type Access } from '../support/kube-access.js';
import { createAsIs, dryRunApply, kubeRequest } from '../support/server-side-apply.js';
import { until } from '../support/until.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = randomBytes(3).toString('hex');
const namespace = `bwk-manifests-${run}`;
const suffix = `-${run}`;
const FIELD_MANAGER = 'bulwark-manifests-test';
const SERVICES = ['collector', 'api', 'correlator', 'responder'] as const;

type Obj = k8s.KubernetesObject & Record<string, any>;
const admin = kubeConfigFor(kubeEnv('KUBE_ADMIN_TOKEN'));
const objects = (): Obj[] => rendered;
let rendered: Obj[] = [];
const find = (kind: string, name: string): Obj => {
  const found = rendered.find((o) => o.kind === kind && o.metadata?.name === name);
  assert.ok(found, `no ${kind} ${name} in the rendered manifests`);
  return found;
};
const deployment = (service: string): Obj => find('Deployment', `bulwark-${service}${suffix}`);

async function installCrd(resource: 'servicemonitors' | 'prometheusrules'): Promise<void> {
  const ext = admin.makeApiClient(k8s.ApiextensionsV1Api);
  const crd = prometheusOperatorCrd(resource);
  // Cluster-scoped and harmless: created once for real and left for any other suite (never replaced or deleted).
  await createAsIs(crd);
  await until(`the ${resource} CRD established`, async () => {
    const current = await ext.readCustomResourceDefinition({ name: crd.metadata!.name! });
    return current.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True') ?? false;
  });
}

describe('deploy/kubernetes on the real API server', () => {
  before(async () => {
    rendered = renderOverlay({ namespace, suffix }) as Obj[];
    await installCrd('servicemonitors');
    await installCrd('prometheusrules');
    // The namespace itself is created for real (a namespaced dry-run needs it), from the rendered object: its
    // Pod Security labels are what the pod checks below run under.
    await createAsIs(find('Namespace', namespace));
  });

  after(async () => {
    const rbac = admin.makeApiClient(k8s.RbacAuthorizationV1Api);
    await rbac.deleteClusterRoleBinding({ name: `bulwark-responder${suffix}` }).catch(() => undefined);
    await rbac.deleteClusterRole({ name: `bulwark-responder${suffix}` }).catch(() => undefined);
    await admin.makeApiClient(k8s.CoreV1Api).deleteNamespace({ name: namespace }).catch(() => undefined);
  });

  it('renders every piece: four Deployments with Services and budgets, policies, accounts, RBAC, ConfigMaps, monitoring', () => {
    const count = (kind: string): number => objects().filter((o) => o.kind === kind).length;
    assert.deepEqual(
      Object.fromEntries(['Deployment', 'Service', 'PodDisruptionBudget', 'ServiceAccount', 'NetworkPolicy', 'ConfigMap', 'ClusterRole', 'ClusterRoleBinding', 'ServiceMonitor', 'PrometheusRule', 'Namespace'].map((k) => [k, count(k)])),
      { Deployment: 4, Service: 4, PodDisruptionBudget: 4, ServiceAccount: 4, NetworkPolicy: 5, ConfigMap: 3, ClusterRole: 1, ClusterRoleBinding: 1, ServiceMonitor: 1, PrometheusRule: 1, Namespace: 1 },
    );
    assert.equal(objects().length, 29, 'no object beyond those counted');
  });

  it('every rendered object is accepted by the API server (server-side apply, dryRun=All)', async () => {
    const refused: string[] = [];
    const accepted: string[] = [];
    for (const obj of objects()) {
      if (obj.kind === 'Namespace') continue; // created for real in before()
      // A CRD's kind can take a moment to be served after it is Established: retried briefly.
      const res = await until(`${obj.kind} served`, () => dryRunApply(obj, FIELD_MANAGER).catch(() => null));
      if (res.status === 200 || res.status === 201) accepted.push(`${obj.kind}/${obj.metadata!.name}`);
      else refused.push(`${obj.kind} ${obj.metadata?.name}: ${res.status} ${res.body}`);
    }
    assert.deepEqual(refused, []);
    assert.equal(accepted.length, objects().length - 1);
    // dryRun=All persisted nothing.
    const deployments = await admin.makeApiClient(k8s.AppsV1Api).listNamespacedDeployment({ namespace });
    assert.equal(deployments.items.length, 0);
  });

  it('the pods every Deployment makes are admitted under the enforced Pod Security "restricted" level', async () => {
    const podOf = (d: Obj, name: string): Obj => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: d.spec.template.metadata.labels }, spec: structuredClone(d.spec.template.spec) });
    const dryRunCreate = (pod: Obj) => kubeRequest('POST', `/api/v1/namespaces/${namespace}/pods?dryRun=All&fieldValidation=Strict`, JSON.stringify(pod));
    for (const service of SERVICES) {
      const res = await dryRunCreate(podOf(deployment(service), `pod-${service}`));
      assert.equal(res.status, 201, `the ${service} pod was refused: ${res.body}`);
    }
    // The check can fail: the same pod allowed to run as root and escalate is refused.
    const loose = podOf(deployment('collector'), 'pod-loose');
    delete loose.spec.securityContext.runAsNonRoot;
    loose.spec.securityContext.runAsUser = 0;
    loose.spec.containers[0].securityContext.allowPrivilegeEscalation = true;
    const refused = await dryRunCreate(loose);
    assert.equal(refused.status, 403);
    assert.match((JSON.parse(refused.body) as { message: string }).message, /violates PodSecurity "restricted/);
  });

  it('each Deployment: its service command, probes, resources, non-root, read-only root with /tmp, spread, budget, token only for the responder', () => {
    for (const service of SERVICES) {
      const d = deployment(service);
      const pod = d.spec.template.spec;
      const [container] = pod.containers;
      const script = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts[`start:${service}`]!;
      assert.deepEqual(container.args, script.split(' '), `${service} runs \`npm run start:${service}\``);
      assert.equal(container.image, 'bulwark:0.1.0');
      assert.deepEqual([container.livenessProbe.httpGet.path, container.readinessProbe.httpGet.path], ['/healthz', '/readyz']);
      assert.ok(container.resources.requests.cpu && container.resources.requests.memory && container.resources.limits.memory);
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      const tmp = container.volumeMounts.find((m: Obj) => m.mountPath === '/tmp');
      assert.ok(pod.volumes.find((v: Obj) => v.name === tmp?.name)?.emptyDir, `${service}: /tmp is an emptyDir`);
      assert.deepEqual(pod.topologySpreadConstraints.map((c: Obj) => c.topologyKey), ['kubernetes.io/hostname', 'topology.kubernetes.io/zone']);
      assert.deepEqual(container.envFrom[0].secretRef, { name: 'bulwark-secrets' }, `${service} takes its credentials from the Secret`);
      assert.equal(pod.serviceAccountName, `bulwark-${service}${suffix}`);
      const sa = find('ServiceAccount', `bulwark-${service}${suffix}`);
      const mountsToken = service === 'responder';
      assert.equal(pod.automountServiceAccountToken, mountsToken, `${service}: token mounted only for the responder`);
      assert.equal(sa.automountServiceAccountToken, mountsToken);
      const pdb = find('PodDisruptionBudget', `bulwark-${service}${suffix}`);
      assert.deepEqual(pdb.spec.selector.matchLabels, d.spec.selector.matchLabels);
      assert.deepEqual(find('Service', `bulwark-${service}${suffix}`).spec.selector, d.spec.selector.matchLabels);
    }
  });

  it('the base lists exactly the bundled rule files and playbooks, and the rendered ClusterRole is the generated one', () => {
    const base = parse(readFileSync(join(KUBERNETES_DIR, 'base/kustomization.yaml'), 'utf8')) as { configMapGenerator: { name: string; files: string[] }[] };
    const filesOf = (name: string): string[] =>
      base.configMapGenerator.find((g) => g.name === name)!.files.map((f) => resolve(KUBERNETES_DIR, 'base', f.split('=').pop()!)).sort();
    assert.deepEqual(filesOf('bulwark-rules'), findRuleFiles(BUNDLED_RULES_DIR).map((f) => resolve(f)).sort(), 'add or remove the rule in deploy/kubernetes/base/kustomization.yaml');
    const playbooks = readdirSync(join(root, 'playbooks')).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(root, 'playbooks', f)).sort();
    assert.deepEqual(filesOf('bulwark-playbooks'), playbooks, 'add or remove the playbook in deploy/kubernetes/base/kustomization.yaml');
    // Their content reaches the ConfigMaps unchanged.
    const rules = objects().find((o) => o.kind === 'ConfigMap' && o.metadata!.name!.startsWith('bulwark-rules'))!;
    assert.equal(rules.data['kubernetes.secret_read.yml'], readFileSync(join(root, 'rules/kubernetes/secret_read.yml'), 'utf8'));
    const generated = parse(readFileSync(join(root, 'deploy/responder-clusterrole.yaml'), 'utf8')) as { rules: unknown };
    assert.deepEqual(find('ClusterRole', `bulwark-responder${suffix}`).rules, generated.rules);
    assert.deepEqual(generated.rules, rbacRules(ACTIONS.values()), 'deploy/responder-clusterrole.yaml is stale: npm run rbac:generate');
  });

  it('a changed rule renames the rules ConfigMap, so the api and correlator pods roll and the others do not', () => {
    const changed = renderOverlay({
      namespace,
      suffix,
      extra: { configMapGenerator: [{ name: 'bulwark-rules', behavior: 'merge', literals: ['kubernetes.secret_read.yml=title: changed'] }] },
    }) as Obj[];
    const nameOf = (objs: Obj[]): string => objs.find((o) => o.kind === 'ConfigMap' && o.metadata!.name!.startsWith('bulwark-rules'))!.metadata!.name!;
    assert.notEqual(nameOf(changed), nameOf(rendered));
    assert.match(nameOf(rendered), new RegExp(`^bulwark-rules${suffix}-[a-z0-9]{10}$`), 'the name carries a content hash');
    for (const service of SERVICES) {
      const before = deployment(service).spec.template;
      const afterChange = changed.find((o) => o.kind === 'Deployment' && o.metadata!.name === `bulwark-${service}${suffix}`)!.spec.template;
      const rolls = service === 'api' || service === 'correlator';
      assert.equal(JSON.stringify(afterChange) !== JSON.stringify(before), rolls, `${service} ${rolls ? 'rolls' : 'stays'}`);
      if (rolls) assert.ok(afterChange.spec.volumes.some((v: Obj) => v.configMap?.name === nameOf(changed)));
    }
  });

  it('the audit webhook kubeconfig for the API server points at the collector Service', () => {
    const kc = new k8s.KubeConfig();
    kc.loadFromString(readFileSync(join(KUBERNETES_DIR, 'api-server/audit-webhook.kubeconfig'), 'utf8'));
    const url = new URL(kc.getCurrentCluster()!.server);
    const service = find('Service', `bulwark-collector${suffix}`);
    assert.equal(url.protocol, 'https:', 'the API server sends its token only over TLS');
    assert.equal(url.hostname, 'bulwark-collector.bulwark.svc');
    assert.equal(Number(url.port), service.spec.ports.find((p: Obj) => p.name === 'https')?.port, 'the Service\'s https port');
    assert.equal(url.pathname, '/v1/ingest/k8s-audit');
  });

  it('the api forwards the runs API to the responder Service, and the network policies let exactly that through', () => {
    const [api] = deployment('api').spec.template.spec.containers;
    const value = api.env.find((e: Obj) => e.name === 'BULWARK_API_RESPONDER_URL')?.value;
    assert.ok(value, 'the api is told where the responders are');
    assert.equal(loadConfig({ BULWARK_API_RESPONDER_URL: value }).api.responder_url, value, 'a valid api.responder_url');
    const url = new URL(value);
    // The base's Service name, in the pod's own namespace (this test's overlay suffixes names; env values stay).
    assert.equal(url.hostname, 'bulwark-responder');
    const service = find('Service', `bulwark-responder${suffix}`);
    const port = service.spec.ports.find((p: Obj) => p.name === 'http');
    assert.equal(Number(url.port), port.port, 'the Service\'s http port');
    const [responder] = deployment('responder').spec.template.spec.containers;
    assert.ok(responder.ports.some((p: Obj) => p.name === port.targetPort), 'which reaches the responder container');
    const labelsOf = (service: string) => deployment(service).spec.template.metadata.labels as Record<string, string>;
    const selects = (selector: Obj | undefined, service: string) =>
      !!selector?.matchLabels && Object.entries(selector.matchLabels).every(([k, v]) => labelsOf(service)[k] === v);
    const egress = find('NetworkPolicy', `bulwark-api${suffix}`).spec.egress as Obj[];
    assert.ok(
      egress.some((r) => r.to?.some((peer: Obj) => !peer.namespaceSelector && selects(peer.podSelector, 'responder')) && r.ports?.some((p: Obj) => p.port === 'http')),
      'the api may connect to the responder pods\' http port',
    );
    const ingress = find('NetworkPolicy', `bulwark-responder${suffix}`).spec.ingress as Obj[];
    assert.ok(
      ingress.some((r) => r.from?.some((peer: Obj) => !peer.namespaceSelector && selects(peer.podSelector, 'api')) && r.ports?.some((p: Obj) => p.port === 'http')),
      'the responder takes connections from the api pods on http',
    );
  });

  it('the PrometheusRule carries the alert groups shipped in deploy/prometheus/bulwark-alerts.yaml', (t) => {
    const shipped = join(root, 'deploy/prometheus/bulwark-alerts.yaml');
    if (!existsSync(shipped)) return t.skip('deploy/prometheus/bulwark-alerts.yaml is not in this tree yet (the placeholder group stands in)');
    assert.deepEqual(find('PrometheusRule', `bulwark${suffix}`).spec.groups, (parse(readFileSync(shipped, 'utf8')) as { groups: unknown }).groups);
  });

  describe('RBAC of the manifests\' accounts, real on the server', () => {
    const tokens = new Map<string, string>();
    let baseline: Set<string>;

    before(async () => {
      const core = admin.makeApiClient(k8s.CoreV1Api);
      for (const service of SERVICES) await createAsIs(find('ServiceAccount', `bulwark-${service}${suffix}`));
      await createAsIs(find('ClusterRole', `bulwark-responder${suffix}`));
      await createAsIs(find('ClusterRoleBinding', `bulwark-responder${suffix}`));
      for (const service of SERVICES) tokens.set(service, await serviceAccountToken(admin, namespace, `bulwark-${service}${suffix}`));
      // What any account holds with no binding of its own (discovery, self reviews): the yardstick for "nothing".
      await core.createNamespacedServiceAccount({ namespace, body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'baseline' } } });
      baseline = await heldRights(await serviceAccountToken(admin, namespace, 'baseline'), namespace);
      // The authorizer sees a new binding through its informer: wait until it does.
      await until('the responder binding seen by the authorizer', () => allowed(tokens.get('responder')!, { group: '', resource: 'pods', verb: 'patch' }));
    });

    it('the responder is allowed every verb on every resource each action declares, in every namespace', async () => {
      const denied: string[] = [];
      for (const action of ACTIONS.values()) {
        for (const rule of action.rbac) {
          for (const group of rule.apiGroups) for (const resource of rule.resources) for (const verb of rule.verbs) {
            const access = { group, resource, verb };
            if (!(await allowed(tokens.get('responder')!, access))) denied.push(`${action.name}: ${describeAccess(access)}`);
          }
        }
      }
      assert.deepEqual(denied, []);
      // The bundled playbooks use only registered actions, so the loop above covered them.
      const used = readdirSync(join(root, 'playbooks')).filter((f) => f.endsWith('.yml')).flatMap((f) => (parse(readFileSync(join(root, 'playbooks', f), 'utf8')) as { steps: { action: string }[] }).steps.map((s) => s.action));
      assert.deepEqual(used.filter((a) => !ACTIONS.has(a)), []);
      assert.ok(used.includes('k8s.quarantinePod') && used.includes('credentials.revokeServiceAccount'));
    });

    it('the responder holds exactly the declared rights beyond what every account may do', async () => {
      const held = await heldRights(tokens.get('responder')!, namespace);
      const declared = expandRules(rbacRules(ACTIONS.values()));
      assert.deepEqual(difference(held, baseline).filter((right) => !declared.has(right)), [], 'held but not declared');
      assert.deepEqual(difference(declared, held), [], 'declared but not held');
    });

    it('the responder is denied reading secrets, exec, minting tokens, escalating, impersonating and other workloads\' changes', async () => {
      const forbidden: Access[] = [
        ...['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'].map((verb) => ({ group: '', resource: 'secrets', verb })),
        { group: '', resource: 'secrets', verb: 'get', namespace: 'kube-system' },
        { group: '', resource: 'pods/exec', verb: 'create' },
        { group: '', resource: 'pods/attach', verb: 'create' },
        { group: '', resource: 'pods/portforward', verb: 'create' },
        { group: '', resource: 'serviceaccounts/token', verb: 'create' },
        { group: '', resource: 'nodes/proxy', verb: 'get' },
        { group: '', resource: 'nodes', verb: 'delete' },
        { group: '', resource: 'namespaces', verb: 'delete' },
        { group: '', resource: 'configmaps', verb: 'get' },
        { group: 'apps', resource: 'deployments', verb: 'create' },
        { group: 'apps', resource: 'daemonsets', verb: 'delete' },
        { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'escalate' },
        { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'create' },
        { group: 'rbac.authorization.k8s.io', resource: 'clusterroles', verb: 'update' },
        { group: 'rbac.authorization.k8s.io', resource: 'roles', verb: 'escalate' },
        { group: '', resource: 'users', verb: 'impersonate' },
        { group: '', resource: 'serviceaccounts', verb: 'impersonate' },
        { group: 'apiextensions.k8s.io', resource: 'customresourcedefinitions', verb: 'create' },
        { group: 'admissionregistration.k8s.io', resource: 'validatingwebhookconfigurations', verb: 'delete' },
        { group: 'certificates.k8s.io', resource: 'certificatesigningrequests/approval', verb: 'update' },
      ];
      const granted: string[] = [];
      for (const access of forbidden) if (await allowed(tokens.get('responder')!, access)) granted.push(describeAccess(access));
      assert.deepEqual(granted, []);
    });

    it('the collector, api and correlator accounts can do nothing beyond what every account may', async () => {
      for (const service of ['collector', 'api', 'correlator']) {
        const token = tokens.get(service)!;
        assert.deepEqual(difference(await heldRights(token, namespace), baseline), [], `${service} holds rights`);
        for (const access of [{ group: '', resource: 'pods', verb: 'get' }, { group: '', resource: 'secrets', verb: 'list', namespace }, { group: '', resource: 'events', verb: 'create', namespace }]) {
          assert.equal(await allowed(token, access), false, `${service} may ${describeAccess(access)}`);
        }
      }
    });
  });
});
