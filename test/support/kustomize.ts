/**
 * Renders deploy/kubernetes with the real `kustomize` binary, and fetches the prometheus-operator CRDs its monitoring
 * component needs, both from the Go module proxy with the machine's Go (as test/services/k8s.sh builds the API
 * server): built or downloaded once, cached under test/.cache, so later runs start nothing but `kustomize build`.
 *
 * The rendering is an overlay written to a temporary directory on top of deploy/kubernetes — exactly what an operator
 * applies — that moves everything into the test's own namespace and suffixes cluster-scoped names, so runs never touch
 * each other's objects or the shared server's `bulwark-responder` role.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import type { KubernetesObject } from '@kubernetes/client-node';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const KUBERNETES_DIR = join(root, 'deploy/kubernetes');

/** kustomize 5.8.2: the newest release whose module builds with Go 1.26 (5.8.3 asks for Go 1.27). */
export const KUSTOMIZE_VERSION = 'v5.8.2';
/** The prometheus-operator release whose CRDs (example/prometheus-operator-crd/) the test server gets. */
export const PROMETHEUS_OPERATOR_VERSION = 'v0.85.0';

function requireGo(): void {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
  } catch {
    throw new Error('Go is missing: kustomize and the prometheus-operator CRDs come from the Go module proxy (Go 1.26+)');
  }
}

/** The kustomize binary, built once with `go install` into test/.cache/kustomize/<version>/. */
export function kustomizeBinary(): string {
  const dir = join(root, 'test/.cache/kustomize', KUSTOMIZE_VERSION);
  const bin = join(dir, 'kustomize');
  if (existsSync(bin)) return bin;
  requireGo();
  mkdirSync(dir, { recursive: true });
  execFileSync('go', ['install', `sigs.k8s.io/kustomize/kustomize/v5@${KUSTOMIZE_VERSION}`], {
    env: { ...process.env, GOBIN: dir, GOFLAGS: '-mod=mod' },
    cwd: dir,
    stdio: ['ignore', 'ignore', 'inherit'],
    timeout: 20 * 60_000,
  });
  return bin;
}

/** `kustomize build` of a directory, as operators run it (README.md in deploy/kubernetes), parsed into objects. */
export function kustomizeBuild(dir: string): KubernetesObject[] {
  const out = execFileSync(kustomizeBinary(), ['build', '--load-restrictor=LoadRestrictionsNone', dir], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return parseAllDocuments(out).map((doc) => {
    if (doc.errors.length) throw new Error(`kustomize printed invalid YAML: ${doc.errors[0]!.message}`);
    return doc.toJS() as KubernetesObject;
  });
}

export interface TestOverlay {
  /** Everything namespaced goes here; the rendered Namespace object is renamed to it. */
  namespace: string;
  /** Appended to every name (ClusterRole and ClusterRoleBinding included), and followed by kustomize's references. */
  suffix: string;
  /** More kustomization keys, e.g. a configMapGenerator merge. */
  extra?: Record<string, unknown>;
}

/**
 * deploy/kubernetes rendered under an overlay that gives it `namespace` and `suffix`. The explicit
 * NamespaceTransformer with `setRoleBindingSubjects: allServiceAccounts` also moves the ClusterRoleBinding's subject
 * (the plain `namespace:` field only rewrites subjects still in `default`), so the binding names the test's account.
 */
export function renderOverlay(overlay: TestOverlay): KubernetesObject[] {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-kustomize-'));
  try {
    const kustomization = {
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace: overlay.namespace,
      nameSuffix: overlay.suffix,
      resources: [relative(dir, KUBERNETES_DIR)],
      transformers: [
        JSON.stringify({
          apiVersion: 'builtin',
          kind: 'NamespaceTransformer',
          metadata: { name: 'test-namespace', namespace: overlay.namespace },
          setRoleBindingSubjects: 'allServiceAccounts',
          unsetOnly: false,
        }),
      ],
      ...overlay.extra,
    };
    writeFileSync(join(dir, 'kustomization.yaml'), JSON.stringify(kustomization, null, 2));
    return kustomizeBuild(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A CRD YAML of the prometheus-operator module (`go mod download`, cached in the Go module cache). */
export function prometheusOperatorCrd(resource: 'servicemonitors' | 'prometheusrules'): KubernetesObject {
  requireGo();
  const info = JSON.parse(
    execFileSync('go', ['mod', 'download', '-json', `github.com/prometheus-operator/prometheus-operator@${PROMETHEUS_OPERATOR_VERSION}`], {
      encoding: 'utf8',
      cwd: tmpdir(),
      timeout: 10 * 60_000,
    }),
  ) as { Dir?: string; Error?: string };
  if (!info.Dir) throw new Error(`go mod download failed: ${info.Error ?? 'no Dir'}`);
  const file = join(info.Dir, 'example/prometheus-operator-crd', `monitoring.coreos.com_${resource}.yaml`);
  return parseAllDocuments(readFileSync(file, 'utf8'))[0]!.toJS() as KubernetesObject;
}
