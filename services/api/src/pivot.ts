/**
 * Pivots from an entity to the Kubernetes entities it is tied to — pod → workload → service account → role bindings,
 * and node — derived only from stored events: the audit policy (deploy/audit-policy.yaml) records pods and RBAC
 * bindings at RequestResponse level, so their audit events carry the objects themselves (`requestObject`,
 * `responseObject`): a pod's `ownerReferences`, `spec.serviceAccountName`, `spec.nodeName`; a binding's `subjects`.
 * ReplicaSets are recorded at Metadata level (no object), so a ReplicaSet's Deployment is named the way the
 * Deployment controller names it: the ReplicaSet's name less its `-<pod-template-hash>` suffix. Container log lines
 * and Falco alerts carry the pod's uid, namespace and name, which lead to the pod. Each related entity has a query
 * finding its events, and the id of the event it was learnt from.
 */
import { BulwarkError, type Event } from '@bulwark/schema';
import { parseQuery, type LogStore } from '@bulwark/store';
import { quote } from './context.js';
import { newestMatching } from './fields.js';

export type RelatedKind = 'pod' | 'workload' | 'service_account' | 'binding' | 'node';

export interface Related {
  kind: RelatedKind;
  namespace?: string;
  name: string;
  /** For workloads and bindings: the resource, e.g. `replicasets`, `deployments`, `clusterrolebindings`. */
  resource?: string;
  /** How the tie was found: `ownerReferences`, `pod-template-hash`, `spec.serviceAccountName`, `subjects`, … */
  via: string;
  query: string;
  seen_in?: string;
}

export interface PivotResult {
  entity: { kind: RelatedKind; namespace?: string; name: string };
  related: Related[];
}

/** Audit events read per lookup at most: pivots stay a bounded read whatever the store holds. */
const SCAN = 2000;
const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;
const AUDIT = 'kubernetes.audit';

type Obj = Record<string, unknown>;
const obj = (v: unknown): Obj | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/** The Kubernetes objects an audit event carries (the response first: it is what was stored). */
function objectsOf(event: Event): Obj[] {
  const audit = obj(event.kubernetes?.audit);
  return [obj(audit?.responseObject), obj(audit?.requestObject)].filter((o): o is Obj => o !== undefined);
}

const scan = async (store: LogStore, q: string, limit = SCAN): Promise<Event[]> => (await newestMatching(store, parseQuery(q), {}, limit)).events;

/** The indexed field first (the embedded store tests an AND's terms in order; see context.ts). */
const podQuery = (ns: string, name: string) => `kubernetes.pod.name:${quote(name)} AND kubernetes.namespace:${quote(ns)}`;
const resourceQuery = (resource: string, name: string, ns?: string) =>
  `orchestrator.resource.type:${quote(resource)} AND orchestrator.resource.name:${quote(name)}${ns ? ` AND orchestrator.namespace:${quote(ns)}` : ''}`;
const saQuery = (ns: string, name: string) => `user.name:${quote(`system:serviceaccount:${ns}:${name}`)} OR (${resourceQuery('serviceaccounts', name, ns)})`;
const nodeQuery = (name: string) => `kubernetes.node.name:${quote(name)} OR host.name:${quote(name)} OR user.name:${quote(`system:node:${name}`)}`;

export async function pivot(store: LogStore, field: string, value: string): Promise<PivotResult> {
  const sa = SERVICE_ACCOUNT.exec(value);
  if ((field === 'user.name' || field === `${AUDIT}.user.username`) && sa) return serviceAccountPivot(store, sa[1]!, sa[2]!);
  if (field === 'kubernetes.node.name' || field === 'host.name') return nodePivot(store, value);
  if (field === 'kubernetes.pod.name' || field === 'kubernetes.pod.uid' || field === 'container.id') {
    const pod = await findPod(store, field, value);
    if (!pod) throw new BulwarkError('BWK_NOT_FOUND', `no stored event names a pod with ${field} ${JSON.stringify(value)}`, { field, value });
    return podPivot(store, pod.namespace, pod.name);
  }
  throw new BulwarkError(
    'BWK_BAD_PARAM',
    'parameter "field": pivots start from kubernetes.pod.name (name or namespace/name), kubernetes.pod.uid, container.id, user.name (a service account), kubernetes.node.name or host.name',
    { param: 'field' },
  );
}

/** The pod's namespace and name, from `namespace/name` or the newest event carrying the field. */
async function findPod(store: LogStore, field: string, value: string): Promise<{ namespace: string; name: string } | null> {
  const slash = value.indexOf('/');
  if (field === 'kubernetes.pod.name' && slash > 0) return { namespace: value.slice(0, slash), name: value.slice(slash + 1) };
  const q = field === 'kubernetes.pod.uid' ? `kubernetes.pod.uid:${quote(value)} OR ${AUDIT}.responseObject.metadata.uid:${quote(value)}` : `${field}:${quote(value)}`;
  for (const event of await scan(store, q, 50)) {
    const podMeta = obj(objectsOf(event).find((o) => o.kind === 'Pod')?.metadata);
    const ns = str(event.kubernetes?.namespace) ?? str(podMeta?.namespace);
    const name = str(event.kubernetes?.pod?.name) ?? str(podMeta?.name);
    if (ns && name) return { namespace: ns, name };
  }
  return null;
}

async function podPivot(store: LogStore, ns: string, name: string): Promise<PivotResult> {
  // A pod its controller creates has no name in the request (generateName): the create's objectRef has none, only
  // the response object does — which the search engines do not index — so creates without a name are read as well.
  const about = `${AUDIT}.objectRef.resource:pods AND ${AUDIT}.objectRef.namespace:${quote(ns)} AND ` +
    `(${AUDIT}.objectRef.name:${quote(name)} OR NOT ${AUDIT}.objectRef.name:*)`;
  const related: Related[] = [];
  let owner: { kind: string; name: string; seen: string } | undefined;
  let hash: string | undefined;
  let account: { name: string; seen: string } | undefined;
  let node: { name: string; seen: string } | undefined;
  for (const event of await scan(store, about)) {
    for (const o of objectsOf(event)) {
      if (o.kind !== 'Pod') continue;
      const meta = obj(o.metadata);
      const spec = obj(o.spec);
      if (meta?.name !== name) continue; // another pod's create, or the request of a generated name
      const controller = (Array.isArray(meta?.ownerReferences) ? meta.ownerReferences : []).map(obj).find((r) => r?.controller === true) ?? obj((meta?.ownerReferences as unknown[] | undefined)?.[0]);
      if (!owner && controller && str(controller.kind) && str(controller.name)) owner = { kind: controller.kind as string, name: controller.name as string, seen: event.event.id };
      hash ??= str(obj(meta?.labels)?.['pod-template-hash']);
      if (!account && str(spec?.serviceAccountName)) account = { name: spec!.serviceAccountName as string, seen: event.event.id };
      if (!node && str(spec?.nodeName)) node = { name: spec!.nodeName as string, seen: event.event.id };
    }
    if (owner && account && node) break;
  }
  if (owner) {
    const resource = `${owner.kind.toLowerCase()}s`;
    related.push({ kind: 'workload', namespace: ns, name: owner.name, resource, via: 'ownerReferences', query: workloadQuery(resource, owner.name, ns), seen_in: owner.seen });
    const suffix = hash ? `-${hash}` : undefined;
    if (owner.kind === 'ReplicaSet' && suffix && owner.name.endsWith(suffix) && owner.name.length > suffix.length) {
      const deployment = owner.name.slice(0, -suffix.length);
      related.push({ kind: 'workload', namespace: ns, name: deployment, resource: 'deployments', via: 'pod-template-hash', query: workloadQuery('deployments', deployment, ns), seen_in: owner.seen });
    }
  }
  if (account) {
    related.push({ kind: 'service_account', namespace: ns, name: account.name, via: 'spec.serviceAccountName', query: saQuery(ns, account.name), seen_in: account.seen });
    related.push(...(await bindingsNaming(store, ns, account.name)));
  }
  if (node) related.push({ kind: 'node', name: node.name, via: 'spec.nodeName', query: nodeQuery(node.name), seen_in: node.seen });
  return { entity: { kind: 'pod', namespace: ns, name }, related };
}

/** The workload's own audit events, and its pods' events (named `<workload>-…` by its controller). */
function workloadQuery(resource: string, name: string, ns: string): string {
  const own = resourceQuery(resource, name, ns);
  return /^[a-z0-9.-]+$/.test(name) ? `(${own}) OR (kubernetes.namespace:${quote(ns)} AND kubernetes.pod.name:${name}-*)` : own;
}

/**
 * The role bindings and cluster role bindings whose subjects name the service account, as last seen: the newest event
 * of each binding decides, so one deleted since is left out.
 */
async function bindingsNaming(store: LogStore, ns: string, account: string): Promise<Related[]> {
  const events = await scan(store, `${AUDIT}.objectRef.resource:(rolebindings OR clusterrolebindings)`);
  const decided = new Set<string>();
  const out: Related[] = [];
  for (const event of events) {
    const ref = obj(obj(event.kubernetes?.audit)?.objectRef);
    const resource = str(ref?.resource);
    const name = str(ref?.name) ?? str(obj(objectsOf(event)[0]?.metadata)?.name);
    if (!resource || !name) continue;
    const bindingNs = resource === 'rolebindings' ? str(ref?.namespace) : undefined;
    const key = `${resource}/${bindingNs ?? ''}/${name}`;
    if (decided.has(key)) continue;
    const verb = str(obj(event.kubernetes?.audit)?.verb);
    const code = obj(obj(event.kubernetes?.audit)?.responseStatus)?.code;
    if (typeof code === 'number' && code >= 300) continue; // a refused request changed nothing
    if (verb === 'delete') {
      decided.add(key);
      continue;
    }
    const binding = objectsOf(event).find((o) => Array.isArray(o.subjects));
    if (!binding) continue; // a Metadata-level event or a partial patch: an older event may still hold the object
    decided.add(key);
    const names = (binding.subjects as unknown[]).map(obj).some(
      (s) => s?.kind === 'ServiceAccount' && s.name === account && (str(s.namespace) ?? bindingNs) === ns,
    );
    if (!names) continue;
    out.push({
      kind: 'binding',
      ...(bindingNs ? { namespace: bindingNs } : {}),
      name,
      resource,
      via: `subjects (role ${str(obj(binding.roleRef)?.name) ?? 'unknown'})`,
      query: resourceQuery(resource, name, bindingNs),
      seen_in: event.event.id,
    });
  }
  return out;
}

async function serviceAccountPivot(store: LogStore, ns: string, name: string): Promise<PivotResult> {
  const related = await bindingsNaming(store, ns, name);
  related.push(...(await podsWhere(store, ns, (spec) => spec.serviceAccountName === name, 'spec.serviceAccountName')));
  return { entity: { kind: 'service_account', namespace: ns, name }, related };
}

async function nodePivot(store: LogStore, name: string): Promise<PivotResult> {
  return { entity: { kind: 'node', name }, related: await podsWhere(store, undefined, (spec) => spec.nodeName === name, 'spec.nodeName') };
}

/**
 * Pods whose stored objects' spec satisfies `test`, newest first, once each. The objects are read and tested here, not
 * queried: the search engines keep them unindexed (packages/store/src/search/mapping.ts), so a query on their fields
 * would find nothing there while SQLite found them. Hence the bounded scan of the newest pod writes.
 */
async function podsWhere(store: LogStore, ns: string | undefined, test: (spec: Obj) => boolean, via: string): Promise<Related[]> {
  const seen = new Map<string, Related>();
  const q = `${AUDIT}.objectRef.resource:pods AND ${AUDIT}.verb:(create OR update OR patch)${ns ? ` AND ${AUDIT}.objectRef.namespace:${quote(ns)}` : ''}`;
  for (const event of await scan(store, q)) {
    const pod = objectsOf(event).find((o) => o.kind === 'Pod' && obj(o.spec) !== undefined && test(obj(o.spec)!));
    const meta = obj(pod?.metadata);
    const podNs = str(meta?.namespace);
    const name = str(meta?.name);
    if (!podNs || !name || seen.has(`${podNs}/${name}`)) continue;
    seen.set(`${podNs}/${name}`, { kind: 'pod', namespace: podNs, name, via, query: podQuery(podNs, name), seen_in: event.event.id });
    if (seen.size >= 100) break;
  }
  return [...seen.values()];
}
