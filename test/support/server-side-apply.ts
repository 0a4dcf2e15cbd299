/**
 * Server-side apply of a manifest exactly as written, as the admin of the test API server. The typed clients of
 * @kubernetes/client-node serialize through their models, which silently drop any key a model does not know (a
 * misspelt field, a CRD schema's `x-kubernetes-*` markers): the server would then judge another object than the
 * manifest. Here the rendered JSON goes on the wire unchanged, with `fieldValidation=Strict`, so an unknown or
 * duplicated field is refused rather than warned about.
 */
import { request } from 'node:https';
import { readFileSync } from 'node:fs';
import { kubeEnv } from './kube.js';

export interface KubeResponse {
  status: number;
  body: string;
}

export function kubeRequest(method: string, path: string, body?: string, contentType = 'application/json'): Promise<KubeResponse> {
  const url = new URL(path, kubeEnv('KUBE_API_URL'));
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method, ca: readFileSync(kubeEnv('KUBE_CA_FILE')), headers: { authorization: `Bearer ${kubeEnv('KUBE_ADMIN_TOKEN')}`, 'content-type': contentType, accept: 'application/json' } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

interface Manifest {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string };
}

/** The REST path of a manifest's object, from the server's discovery of its group version (so CRDs work too). */
export async function objectPath(obj: Manifest): Promise<string> {
  const groupVersion = obj.apiVersion!;
  const base = groupVersion.includes('/') ? `/apis/${groupVersion}` : `/api/${groupVersion}`;
  const discovery = await kubeRequest('GET', base);
  if (discovery.status !== 200) throw new Error(`discovery of ${groupVersion}: ${discovery.status} ${discovery.body}`);
  const resource = (JSON.parse(discovery.body) as { resources: { name: string; kind: string; namespaced: boolean }[] }).resources.find(
    (r) => r.kind === obj.kind && !r.name.includes('/'),
  );
  if (!resource) throw new Error(`the server does not serve ${obj.kind} in ${groupVersion}`);
  const scope = resource.namespaced ? `/namespaces/${obj.metadata!.namespace}` : '';
  return `${base}${scope}/${resource.name}/${obj.metadata!.name}`;
}

/** Server-side apply with dryRun=All: the server admits, validates and defaults the object and persists nothing. */
export async function dryRunApply(obj: Manifest, fieldManager: string): Promise<KubeResponse> {
  const query = new URLSearchParams({ dryRun: 'All', fieldManager, force: 'true', fieldValidation: 'Strict' });
  return kubeRequest('PATCH', `${await objectPath(obj)}?${query}`, JSON.stringify(obj), 'application/apply-patch+yaml');
}

/** Creates a manifest for real, unchanged (CRDs: their schemas carry keys the typed models drop). 409 is "already there". */
export async function createAsIs(obj: Manifest): Promise<'created' | 'exists'> {
  const path = await objectPath(obj);
  const res = await kubeRequest('POST', `${path.slice(0, path.lastIndexOf('/'))}?fieldValidation=Strict`, JSON.stringify(obj));
  if (res.status === 409) return 'exists';
  if (res.status !== 201) throw new Error(`creating ${obj.kind} ${obj.metadata?.name}: ${res.status} ${res.body}`);
  return 'created';
}
