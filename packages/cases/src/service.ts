/**
 * The case service: the one entry point the correlator, the intake routes and the API use to record alerts and work
 * incidents, on any CaseStore adapter.
 */
import type { AlertInput, Alert, Incident, IncidentStatus } from '@bulwark/schema';
import type { CasePage, CaseQuery, CaseStore, Versioned } from '@bulwark/store';
import { recordAlert, resolveAlert, type RecordResult } from './alerts.js';
import { triageAlerts, type BulkItem, type BulkRequest } from './alert-triage.js';
import { alertmanagerAlertId, fromAlertmanager, type AlertmanagerPayload } from './alertmanager.js';
import type { Actor } from './common.js';
import { caseContext, type CaseContext, type CaseServiceOptions } from './context.js';
import { checkExternalAlert, externalProvenance, type ExternalIntake } from './external.js';
import * as ops from './incidents.js';
import { listIncidentAlerts, withAlertTimeline } from './timeline.js';

export interface AlertmanagerResult {
  received: number;
  created: number;
  duplicates: number;
  resolved: number;
}

export class CaseService {
  private readonly ctx: CaseContext;

  constructor(readonly store: CaseStore, options: CaseServiceOptions = {}) {
    this.ctx = caseContext(store, options);
  }

  /**
   * Records one alert from inside Bulwark (the correlator): idempotent on its id, suppressed into an open repeat,
   * grouped into an incident by entity. Its `provenance` is the producer's (absent: untrusted `logs`, received now);
   * oversized fields are cut and listed in `provenance.truncated` rather than refused.
   */
  async recordAlert(alert: AlertInput, actor: Actor = 'correlator'): Promise<RecordResult> {
    return this.recorded(await recordAlert(this.ctx, alert, actor));
  }

  /**
   * Alerts posted by another system (`POST /v1/alerts`): every one is checked first (a claim only Bulwark may make,
   * or a bad field, refuses the request with a 400 naming the field and records nothing), then each is recorded as
   * external (external.ts), in order.
   */
  async recordExternalAlerts(inputs: readonly unknown[], intake: ExternalIntake, options: { list?: boolean } = {}): Promise<RecordResult[]> {
    const receivedAt = this.ctx.now();
    const fitted = inputs.map((input, i) => checkExternalAlert(input, intake, receivedAt, options.list ? String(i) : ''));
    const results: RecordResult[] = [];
    for (const alert of fitted) results.push(await this.recorded(await recordAlert(this.ctx, alert, intake.token.name, intake.maxClockSkewMs)));
    return results;
  }

  private async recorded(result: RecordResult): Promise<RecordResult> {
    await this.ctx.onRecorded?.({ alertId: result.alert.id, incidentId: result.incident_id, outcome: result.outcome });
    return result;
  }

  resolveAlert(id: string, resolvedAt: string, actor: Actor): Promise<Versioned<Alert> | null> {
    return resolveAlert(this.ctx, id, resolvedAt, actor);
  }

  /**
   * A validated Alertmanager v4 payload: firing alerts recorded (as external, source `alertmanager`), resolved ones
   * resolved (or recorded resolved). Without `intake` (tests, tools) the token is unknown and the route is the webhook's.
   */
  async recordAlertmanager(payload: AlertmanagerPayload, actor: Actor, intake?: Omit<ExternalIntake, 'source'>): Promise<AlertmanagerResult> {
    const result: AlertmanagerResult = { received: payload.alerts.length, created: 0, duplicates: 0, resolved: 0 };
    const now = this.ctx.now();
    const latest = new Date(Date.parse(now) + (intake?.maxClockSkewMs ?? this.ctx.maxClockSkewMs)).toISOString();
    const provenance = externalProvenance({ token: { id: '', name: actor }, route: '/v1/ingest/alertmanager', ...intake, source: 'alertmanager' }, now);
    for (const amAlert of payload.alerts) {
      const alert = fromAlertmanager(amAlert, now);
      if (amAlert.status === 'resolved') {
        // The sender's end time, but never later than what this clock allows.
        const resolvedAt = alert.resolved_at && Date.parse(alert.resolved_at) < Date.parse(latest) ? alert.resolved_at : latest;
        const resolved = await this.resolveAlert(alertmanagerAlertId(amAlert), resolvedAt, actor);
        if (resolved) {
          result.resolved++;
          continue;
        }
      }
      const recorded = await this.recorded(await recordAlert(this.ctx, { ...alert, provenance }, actor, intake?.maxClockSkewMs));
      if (recorded.outcome === 'created') result.created++;
      else result.duplicates++;
      if (amAlert.status === 'resolved') result.resolved++;
    }
    return result;
  }

  getAlert(id: string): Promise<Versioned<Alert> | null> {
    return this.store.get<Alert>('alerts', id);
  }

  /**
   * Acknowledge, assign, close or merge many alerts: per-item outcomes, each change audited, retried over concurrent
   * writers a bounded number of times (alert-triage.ts).
   */
  triageAlerts(request: BulkRequest): Promise<BulkItem[]> {
    return triageAlerts(this.ctx, request);
  }

  listAlerts(query: CaseQuery): Promise<CasePage<Alert>> {
    return this.store.query<Alert>('alerts', { sort: { field: 'last_seen', order: 'desc' }, ...query });
  }

  /** The incident with the alert entries of its timeline (see timeline.ts), and the version to change it against. */
  async getIncident(id: string): Promise<Versioned<Incident>> {
    return withAlertTimeline(this.ctx, await ops.getIncident(this.ctx, id));
  }

  /** A page of the incident's alerts (also those of incidents merged into it); BWK_NOT_FOUND for no such incident. */
  async listIncidentAlerts(id: string, query: Omit<CaseQuery, 'filter'>): Promise<CasePage<Alert>> {
    return listIncidentAlerts(this.ctx, (await ops.getIncident(this.ctx, id)).record, query);
  }

  listIncidents(query: CaseQuery): Promise<CasePage<Incident>> {
    return this.store.query<Incident>('incidents', { sort: { field: 'last_seen', order: 'desc' }, ...query });
  }

  acknowledge(change: ops.Change): Promise<Versioned<Incident>> {
    return this.view(ops.acknowledge(this.ctx, change));
  }

  assign(change: ops.Change, assignee: string | null): Promise<Versioned<Incident>> {
    return this.view(ops.assign(this.ctx, change, assignee));
  }

  setStatus(change: ops.Change, status: IncidentStatus, resolution?: string): Promise<Versioned<Incident>> {
    return this.view(ops.setStatus(this.ctx, change, status, resolution));
  }

  comment(change: ops.Change, text: string): Promise<Versioned<Incident>> {
    return this.view(ops.comment(this.ctx, change, text));
  }

  tag(change: ops.Change, add: readonly string[], remove: readonly string[]): Promise<Versioned<Incident>> {
    return this.view(ops.tag(this.ctx, change, add, remove));
  }

  setSeverity(change: ops.Change, severity: Incident['severity']): Promise<Versioned<Incident>> {
    return this.view(ops.setSeverity(this.ctx, change, severity));
  }

  /** A timeline entry made by a process (a playbook step, evidence); the caller writes the audit record. */
  recordEntry(id: string, kind: 'action' | 'evidence', ref: string, summary: string): Promise<void> {
    return ops.recordEntry(this.ctx, id, kind, ref, summary);
  }

  merge(change: ops.Change, fromId: string, fromVersion?: string): Promise<Versioned<Incident>> {
    return this.view(ops.merge(this.ctx, change, fromId, fromVersion));
  }

  /** What an operation returns: the incident as `getIncident` shows it. */
  private async view(changed: Promise<Versioned<Incident>>): Promise<Versioned<Incident>> {
    return withAlertTimeline(this.ctx, await changed);
  }
}
