/**
 * Turning rule matches into alerts: deterministic ids so a redelivered batch or a replayed event is
 * recognised by `CaseService.recordAlert` instead of stored twice, and the entity incidents are grouped by.
 *
 * Every alert carries the provenance of its evidence (see provenance.ts). The entity and the pod
 * annotations are read from the event as stored: for evidence of source `logs` they say what a log line claimed, not
 * what the cluster did, and `provenance.sources` is what tells a playbook so — it is never widened here.
 */
import { createHash } from 'node:crypto';
import { entityKey, type AlertInput, type AlertProvenance, type Entity, type Severity } from '@bulwark/schema';
import type { CorrelationMatch, SigmaCorrelation, SigmaRule } from '@bulwark/detection';
import { at, provenanceOf } from './provenance.js';


/** Sigma levels to alert severities: the one renamed level is `informational`. */
export function severityOf(level: string | undefined): Severity {
  switch (level) {
    case 'critical':
    case 'high':
    case 'medium':
    case 'low':
      return level;
    default:
      return 'info';
  }
}

/** The id rules are referenced by (correlations accept id or name), and alerts carry. */
export function ruleRef(rule: SigmaRule | SigmaCorrelation): string {
  return rule.id ?? rule.name ?? rule.title;
}

function text(doc: unknown, ...paths: string[]): string | undefined {
  for (const path of paths) {
    const value = at(doc, path);
    if (typeof value === 'string' && value !== '') return value;
    if (Array.isArray(value) && typeof value[0] === 'string' && value[0] !== '') return value[0];
  }
  return undefined;
}

/**
 * What an event is about, in the order incidents should group it: the acting user of an audit event; the
 * namespace/workload of a container or Falco event; else the source IP (else the host, as a workload).
 */
export function entityOf(event: unknown): Entity {
  const dataset = text(event, 'event.dataset');
  if (dataset === 'kubernetes.audit') {
    const user = text(event, 'kubernetes.audit.user.username', 'user.name');
    if (user) return { kind: 'user', value: user.slice(0, 512) };
  }
  const pod = text(event, 'kubernetes.pod.name', 'falco.output_fields.k8s.pod.name', 'container.name');
  if (pod && dataset !== 'kubernetes.audit') {
    const namespace = text(event, 'kubernetes.namespace', 'orchestrator.namespace', 'falco.output_fields.k8s.ns.name');
    return { kind: 'workload', value: pod.slice(0, 512), ...(namespace ? { namespace: namespace.slice(0, 256) } : {}) };
  }
  const user = text(event, 'user.name');
  if (user) return { kind: 'user', value: user.slice(0, 512) };
  const ip = text(event, 'source.ip', 'kubernetes.audit.sourceIPs');
  if (ip) return { kind: 'source_ip', value: ip };
  return { kind: 'workload', value: (text(event, 'host.name', 'host.hostname') ?? 'unknown').slice(0, 512) };
}

function isoOf(event: unknown, fallbackMs: number): string {
  const ts = at(event, '@timestamp');
  const ms = typeof ts === 'number' ? ts : typeof ts === 'string' ? Date.parse(ts) : Number.NaN;
  return new Date(Number.isFinite(ms) ? ms : fallbackMs).toISOString();
}

function tagsOf(rule: SigmaRule | SigmaCorrelation): string[] {
  return (rule.tags ?? []).slice(0, 64).map((t) => t.slice(0, 128));
}

/**
 * A single-event rule matched: id = sha256(rule id, event id), so the same event never alerts twice for a rule.
 * `handledMs`: when the correlator handles the event, the received time of an event stored without `event.ingested`.
 */
export function alertForRule(rule: SigmaRule, event: unknown, eventId: string, eventMs: number, handledMs = Date.now()): AlertInput {
  const entity = entityOf(event);
  const seen = isoOf(event, eventMs);
  const ref = ruleRef(rule);
  const pod = podOf(event);
  return {
    id: `alr-${createHash('sha256').update(`${ref}\u0000${eventId}`).digest('hex').slice(0, 40)}`,
    rule: { id: ref, name: rule.title.slice(0, 512), level: severityOf(rule.level), tags: tagsOf(rule) },
    severity: severityOf(rule.level),
    group_key: entityKey(entity).slice(0, 1024),
    entity,
    event_ids: [eventId],
    first_seen: seen,
    last_seen: seen,
    source: 'rule',
    ...annotationsOf(entity, pod),
    provenance: provenanceOf([{ doc: event, handledMs }]),
  };
}

/**
 * A correlation matched: the match id is already deterministic (rule, group key, window start). The entity comes
 * from the group-by values (a user, a source IP, a namespace/workload), else from the event that completed it.
 * `provenance`: the correlator passes the union over all the evidence it can see (see provenance.ts); by default the
 * completing and first events only.
 */
export function alertForCorrelation(
  match: CorrelationMatch,
  lastEvent: unknown,
  firstEvent?: unknown,
  provenance: AlertProvenance = provenanceOf([lastEvent, ...(firstEvent === undefined ? [] : [firstEvent])].map((doc) => ({ doc, handledMs: Date.now() }))),
): AlertInput {
  const entity = entityOfGroup(match.group) ?? entityOf(lastEvent);
  const ref = ruleRef(match.rule);
  const labels: Record<string, string> = {};
  for (const [field, value] of Object.entries(match.group)) labels[labelKey(field)] = value.slice(0, 8192);
  const pod = firstEvent === undefined ? undefined : podOf(firstEvent);
  return {
    id: `cor-${match.id}`,
    rule: { id: ref, name: match.rule.title.slice(0, 512), level: severityOf(match.rule.level), tags: tagsOf(match.rule) },
    severity: severityOf(match.rule.level),
    group_key: match.groupKey.slice(0, 1024),
    entity,
    event_ids: match.eventIds.slice(-1000),
    count: Math.max(1, match.count ?? match.eventIds.length),
    first_seen: new Date(Date.parse(match.window.start)).toISOString(),
    last_seen: new Date(Date.parse(match.window.end)).toISOString(),
    window: { start: new Date(Date.parse(match.window.start)).toISOString(), end: new Date(Date.parse(match.window.end)).toISOString() },
    source: 'rule',
    labels,
    ...annotationsOf(entity, pod),
    provenance,
  };
}

/**
 * What playbooks bind their inputs to: the pod (`pod`, `pod_namespace`, `pod_name`) and a service account acting
 * (`sa_namespace`, `sa_name` from `system:serviceaccount:<ns>:<name>`). Omitted when there is nothing to say.
 */
function annotationsOf(entity: Entity, pod: string | undefined): { annotations?: Record<string, string> } {
  const sa = entity.kind === 'user' ? /^system:serviceaccount:([^:]+):([^:]+)$/.exec(entity.value) : null;
  const annotations = { ...(pod ? podAnnotations(pod) : {}), ...(sa ? { sa_namespace: sa[1]!, sa_name: sa[2]! } : {}) };
  return Object.keys(annotations).length > 0 ? { annotations } : {};
}

/** `pod` as `namespace/name`, and each part alone for playbooks to bind (`alert.annotations.pod_name`). */
function podAnnotations(pod: string): Record<string, string> {
  const slash = pod.indexOf('/');
  return slash === -1 ? { pod, pod_name: pod } : { pod, pod_namespace: pod.slice(0, slash), pod_name: pod.slice(slash + 1) };
}

/** Alert label keys may not contain `.` (they become document fields): `user.username` → `user_username`. */
function labelKey(field: string): string {
  return field.replace(/[^A-Za-z0-9_@/:-]/g, '_').slice(0, 128) || '_';
}

/** `namespace/name` of the pod an event is about (audit objectRef of a pod, or the event's kubernetes.pod). */
function podOf(event: unknown): string | undefined {
  const auditPod = text(event, 'kubernetes.audit.objectRef.resource') === 'pods' ? text(event, 'kubernetes.audit.objectRef.name') : undefined;
  const name = auditPod ?? text(event, 'kubernetes.pod.name');
  if (!name) return undefined;
  const namespace = text(event, 'kubernetes.audit.objectRef.namespace', 'kubernetes.namespace', 'orchestrator.namespace');
  return namespace ? `${namespace}/${name}` : name;
}

function entityOfGroup(group: Record<string, string>): Entity | undefined {
  const entries = Object.entries(group);
  const find = (re: RegExp): string | undefined => entries.find(([field, value]) => re.test(field) && value !== '')?.[1];
  const user = find(/(^|\.)(user(name)?|user\.name)$|^user\.|username$/i);
  if (user) return { kind: 'user', value: user.slice(0, 512) };
  const ip = find(/(^|\.)(ip|sourceIPs)$/i);
  if (ip) return { kind: 'source_ip', value: ip.slice(0, 512) };
  const pod = find(/pod(\.name)?$|workload$/i);
  if (pod) {
    const namespace = find(/namespace$/i);
    return { kind: 'workload', value: pod.slice(0, 512), ...(namespace ? { namespace: namespace.slice(0, 256) } : {}) };
  }
  return undefined;
}
