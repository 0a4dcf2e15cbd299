/**
 * The Prometheus Alertmanager webhook (`webhook_config`, payload version 4): `{version, status, receiver, groupKey,
 * alerts: [{status, labels, annotations, startsAt, endsAt, generatorURL, fingerprint}], …}`. Each alert becomes one of
 * ours. Alertmanager re-sends a firing alert on every repeat interval and retries failed deliveries, so the id is
 * derived from the fingerprint (the dedup key) and `startsAt`: repeats and retries land on one alert, a `resolved`
 * notification finds it and resolves it, and the same series firing again later is a new alert.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { AlertInput, Entity, Severity } from '@bulwark/schema';

const LabelMap = z.record(z.string(), z.string()).default({});
const AmTime = z.string().refine((v) => !Number.isNaN(Date.parse(normalizeTime(v))), 'must be an RFC 3339 time');

export const AlertmanagerAlert = z.looseObject({
  status: z.enum(['firing', 'resolved']),
  labels: LabelMap,
  annotations: LabelMap,
  startsAt: AmTime,
  endsAt: AmTime.optional(),
  generatorURL: z.string().optional(),
  fingerprint: z.string().min(1).max(256).optional(),
});
export type AlertmanagerAlert = z.infer<typeof AlertmanagerAlert>;

export const AlertmanagerPayload = z.looseObject({
  version: z.literal('4'),
  status: z.enum(['firing', 'resolved']),
  receiver: z.string().optional(),
  alerts: z.array(AlertmanagerAlert).min(1).max(1000),
});
export type AlertmanagerPayload = z.infer<typeof AlertmanagerPayload>;

/** Go prints nanoseconds (`…26.739266876+02:00`); JavaScript dates keep milliseconds. */
export function normalizeTime(value: string): string {
  return value.replace(/(\.\d{3})\d+/, '$1');
}

const SEVERITY: Record<string, Severity> = {
  critical: 'critical', page: 'critical', emergency: 'critical', fatal: 'critical',
  high: 'high', error: 'high', major: 'high',
  warning: 'medium', warn: 'medium', medium: 'medium', moderate: 'medium',
  low: 'low', minor: 'low',
  info: 'info', informational: 'info', none: 'info',
};

/** Labels name the entity: namespace and workload when Kubernetes labels are there, else a user, else the instance. */
function entityOf(labels: Record<string, string>): Entity {
  const namespace = labels.namespace;
  const workload = labels.pod ?? labels.deployment ?? labels.statefulset ?? labels.daemonset ?? labels.job_name ?? labels.container ?? labels.service;
  if (namespace) return { kind: 'workload', namespace, value: workload ?? namespace };
  if (labels.user) return { kind: 'user', value: labels.user };
  return { kind: 'workload', value: labels.instance ?? labels.job ?? labels.alertname ?? 'unknown' };
}

/** Label names become field names in the case store; anything outside the Prometheus label charset becomes `_`. */
function safeKeys(map: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k.replace(/[^A-Za-z0-9_@/:-]/g, '_').slice(0, 128) || '_', v]));
}

/** The dedup key: Alertmanager's fingerprint, or (older senders) a hash of the sorted label set. */
export function fingerprintOf(alert: AlertmanagerAlert): string {
  if (alert.fingerprint) return alert.fingerprint;
  const sorted = Object.entries(alert.labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex').slice(0, 16);
}

export function alertmanagerAlertId(alert: AlertmanagerAlert): string {
  const digest = createHash('sha256').update(`${fingerprintOf(alert)}\n${Date.parse(normalizeTime(alert.startsAt))}`).digest('hex');
  return `am-${digest.slice(0, 32)}`;
}

/** Our alert for one Alertmanager alert; `receivedAt` is its last sighting while firing. */
export function fromAlertmanager(alert: AlertmanagerAlert, receivedAt: string): AlertInput {
  const name = alert.labels.alertname ?? 'alertmanager alert';
  const severity = SEVERITY[(alert.labels.severity ?? '').toLowerCase()] ?? 'medium';
  const startsAt = new Date(Date.parse(normalizeTime(alert.startsAt))).toISOString();
  const endsAt = alert.endsAt && !alert.endsAt.startsWith('0001-') ? new Date(Date.parse(normalizeTime(alert.endsAt))).toISOString() : null;
  const resolved = alert.status === 'resolved';
  const lastSeen = resolved && endsAt ? endsAt : Date.parse(receivedAt) > Date.parse(startsAt) ? receivedAt : startsAt;
  return {
    id: alertmanagerAlertId(alert),
    rule: { id: `alertmanager:${name}`.slice(0, 256), name: name.slice(0, 512), level: severity, tags: [] },
    severity,
    status: resolved ? 'resolved' : 'open',
    group_key: fingerprintOf(alert),
    entity: entityOf(alert.labels),
    event_ids: [],
    count: 1,
    first_seen: startsAt,
    last_seen: lastSeen,
    source: 'alertmanager',
    labels: safeKeys(alert.labels),
    annotations: safeKeys(alert.annotations),
    ...(alert.generatorURL ? { url: alert.generatorURL.slice(0, 4096) } : {}),
    resolved_at: resolved ? (endsAt ?? receivedAt) : null,
  };
}
