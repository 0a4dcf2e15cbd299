/**
 * The entities an incident is about, as its timeline looks for them (docs/ARCHITECTURE.md, "Alerts and incidents"): the
 * pod (uid, namespace/name), container, service account, user and source IP named by its alerts and by their evidence
 * events, and the search that finds the other events about them.
 *
 * Every value here was written by someone Bulwark does not trust (a log line, an audit request, an alert's fields), so
 * the search is built as the query AST directly: a value is one `term` node's value, never text a parser reads, and
 * quotes, colons, parentheses or `OR` inside it stay part of the value.
 */
import type { Alert, Event } from '@bulwark/schema';
import type { QueryNode } from '@bulwark/store';

export type TimelineEntityKind = 'pod_uid' | 'pod' | 'container' | 'service_account' | 'user' | 'source_ip';

export interface TimelineEntity {
  kind: TimelineEntityKind;
  /** The event field the value is matched on. */
  field: string;
  value: string;
  /** A pod's namespace (matched on `kubernetes.namespace` together with the name). */
  namespace?: string;
}

/** More entities than this would make a search nobody can read; the alerts' own come first. */
export const MAX_TIMELINE_ENTITIES = 64;

const SERVICE_ACCOUNT = /^system:serviceaccount:([^:]+):([^:]+)$/;
/** Falco prints a container id cut to 12 hex digits; runtimes and log paths carry all 64. */
const SHORT_CONTAINER_ID = /^[0-9a-f]{12}$/;
const FULL_CONTAINER_ID = /^[0-9a-f]{64}$/;
/**
 * Loopback names no one: every control-plane component and local proxy comes from it, so it would pull in the whole
 * cluster's traffic rather than the attacker's.
 */
const LOOPBACK = /^(127\.|::1$|::ffff:127\.)/;

type Json = Record<string, unknown>;

function at(doc: unknown, path: string): unknown {
  let cur: unknown = doc;
  for (const key of path.split('.')) {
    if (cur === null || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Json)[key];
  }
  return cur;
}

function text(doc: unknown, path: string): string | undefined {
  const value = at(doc, path);
  return typeof value === 'string' && value !== '' && value.length <= 512 ? value : undefined;
}

/** Collects entities once each, in the order found, up to the cap. */
export class EntitySet {
  private readonly seen = new Map<string, TimelineEntity>();

  get list(): TimelineEntity[] {
    return [...this.seen.values()];
  }

  add(entity: TimelineEntity): void {
    if (this.seen.size >= MAX_TIMELINE_ENTITIES) return;
    const key = JSON.stringify([entity.kind, entity.field, entity.value, entity.namespace ?? null]);
    if (!this.seen.has(key)) this.seen.set(key, entity);
  }

  user(name: string | undefined): void {
    if (!name) return;
    const sa = SERVICE_ACCOUNT.exec(name);
    this.add({ kind: sa ? 'service_account' : 'user', field: 'user.name', value: name });
  }

  serviceAccount(namespace: string | undefined, name: string | undefined): void {
    if (namespace && name) this.add({ kind: 'service_account', field: 'user.name', value: `system:serviceaccount:${namespace}:${name}` });
  }

  pod(namespace: string | undefined, name: string | undefined): void {
    if (name) this.add({ kind: 'pod', field: 'kubernetes.pod.name', value: name, ...(namespace ? { namespace } : {}) });
  }

  sourceIp(ip: string | undefined): void {
    if (ip && !LOOPBACK.test(ip)) this.add({ kind: 'source_ip', field: 'source.ip', value: ip });
  }
}

/** What an alert names: its entity, and the pod and service account its annotations carry for playbooks. */
export function addAlertEntities(set: EntitySet, alert: Alert): void {
  const { entity } = alert;
  if (entity.kind === 'user') set.user(entity.value);
  else if (entity.kind === 'source_ip') set.sourceIp(entity.value);
  else if (entity.namespace) set.pod(entity.namespace, entity.value);
  const notes = alert.annotations ?? {};
  if (notes.pod_name) set.pod(notes.pod_namespace, notes.pod_name);
  set.serviceAccount(notes.sa_namespace, notes.sa_name);
}

/**
 * What an evidence event names. Pod and container fields come from every source. The acting user and source IP are
 * taken from audit events only: in a Falco event `user.name` is the Unix user (`root` would match every container)
 * and in a log line they are whatever the writer chose. A pod created through the API gives its uid and service
 * account from the audited request and response.
 */
export function addEventEntities(set: EntitySet, event: Event): void {
  const uid = text(event, 'kubernetes.pod.uid');
  if (uid) set.add({ kind: 'pod_uid', field: 'kubernetes.pod.uid', value: uid });
  set.pod(text(event, 'kubernetes.namespace') ?? text(event, 'orchestrator.namespace'), text(event, 'kubernetes.pod.name'));
  const container = text(event, 'container.id');
  if (container) set.add({ kind: 'container', field: 'container.id', value: container });
  if (event.event.dataset !== 'kubernetes.audit') return;
  set.user(text(event, 'user.name'));
  set.sourceIp(text(event, 'source.ip'));
  if (text(event, 'kubernetes.audit.objectRef.resource') === 'pods' && !text(event, 'kubernetes.audit.objectRef.subresource')) {
    const createdUid = text(event, 'kubernetes.audit.responseObject.metadata.uid');
    if (createdUid) set.add({ kind: 'pod_uid', field: 'kubernetes.pod.uid', value: createdUid });
    const namespace = text(event, 'kubernetes.audit.objectRef.namespace');
    set.serviceAccount(namespace, text(event, 'kubernetes.audit.requestObject.spec.serviceAccountName') ?? text(event, 'kubernetes.audit.responseObject.spec.serviceAccountName'));
  }
}

const term = (field: string, value: string, prefix = false): QueryNode => ({ type: 'term', field, value, phrase: false, prefix });

/**
 * One entity as a clause: a pod by namespace and name together; a container by its id in both the lengths it is
 * written in (a short id as a prefix of the full one, a full id also as its first 12 digits).
 */
export function entityClause(entity: TimelineEntity): QueryNode {
  if (entity.kind === 'pod' && entity.namespace) {
    return { type: 'and', children: [term('kubernetes.namespace', entity.namespace), term(entity.field, entity.value)] };
  }
  if (entity.kind === 'container' && SHORT_CONTAINER_ID.test(entity.value)) return term(entity.field, entity.value, true);
  if (entity.kind === 'container' && FULL_CONTAINER_ID.test(entity.value)) {
    return { type: 'or', children: [term(entity.field, entity.value), term(entity.field, entity.value.slice(0, 12))] };
  }
  return term(entity.field, entity.value);
}

/** Events about any of the entities (of one source kind, if given); null when there is no entity to look for. */
export function surroundingQuery(entities: readonly TimelineEntity[], source?: string): QueryNode | null {
  if (entities.length === 0) return null;
  const about: QueryNode = entities.length === 1 ? entityClause(entities[0]!) : { type: 'or', children: entities.map(entityClause) };
  return source === undefined ? about : { type: 'and', children: [term('bulwark.provenance.source', source), about] };
}
