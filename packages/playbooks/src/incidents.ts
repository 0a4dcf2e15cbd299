/**
 * What actions may do to the incident a run is about (the `IncidentPort` of @bulwark/actions), on the case service:
 * read a summary for messages, store evidence, change status/severity/tags and comment. Evidence goes to the audit
 * trail — append-only, so a captured bundle and its SHA-256 cannot be edited afterwards — and onto the timeline.
 */
import { createHash } from 'node:crypto';
import type { IncidentPort, IncidentSummary } from '@bulwark/actions';
import { withConflictRetry, type CaseService } from '@bulwark/cases';
import { BulwarkError, IncidentStatuses, Severities, entityKey, type Incident, type IncidentStatus, type Severity } from '@bulwark/schema';

/** Evidence bundles are kept whole up to this size; larger ones are refused (capture less). */
export const MAX_EVIDENCE_BYTES = 4 * 1024 * 1024;

export function incidentPort(cases: CaseService, actor: () => string): IncidentPort {
  return {
    async summary(id): Promise<IncidentSummary | null> {
      const found = await cases.store.get<Incident>('incidents', id);
      if (!found) return null;
      const incident = found.record;
      const alerts = await cases.listIncidentAlerts(id, { size: 5, sort: { field: 'last_seen', order: 'desc' } });
      return {
        id: incident.id,
        title: incident.title,
        severity: incident.severity,
        status: incident.status,
        entity: entityKey(incident.entity),
        alert_count: incident.alert_count,
        first_seen: incident.first_seen,
        last_seen: incident.last_seen,
        alerts: alerts.items.map(({ record }) => ({ rule: record.rule.name, severity: record.severity, at: record.last_seen })),
      };
    },

    async addEvidence(incidentId, evidence): Promise<string> {
      const bytes = Buffer.byteLength(evidence.content);
      if (bytes > MAX_EVIDENCE_BYTES) throw new BulwarkError('BWK_BAD_REQUEST', `evidence ${evidence.name} is ${bytes} bytes (at most ${MAX_EVIDENCE_BYTES})`, { field: 'evidence' });
      const sha256 = createHash('sha256').update(evidence.content).digest('hex');
      if (sha256 !== evidence.sha256) throw new BulwarkError('BWK_BAD_REQUEST', `evidence ${evidence.name}: the SHA-256 does not match its content`, { field: 'sha256' });
      const id = `evd-${sha256.slice(0, 40)}`;
      await cases.store.append(
        'audit',
        {
          id,
          at: new Date().toISOString(),
          actor: actor(),
          action: 'evidence.capture',
          collection: 'incidents',
          target_id: incidentId,
          incident_id: incidentId,
          evidence_name: evidence.name,
          media_type: evidence.mediaType,
          sha256,
          bytes,
          content: evidence.content,
        },
        { ifAbsent: true },
      );
      // Jobs run at least once, so a retried capture adds the same bundle again: the audit record is deduplicated by
      // its id above, and the timeline gets its entry only once too (retries are sequential, so reading first holds).
      const current = await cases.store.get<Incident>('incidents', incidentId);
      if (!current?.record.timeline.some((entry) => entry.kind === 'evidence' && entry.ref === id)) {
        await cases.recordEntry(incidentId, 'evidence', id, `evidence ${evidence.name} (${bytes} bytes, sha256 ${sha256}) captured by ${actor()}`);
      }
      return id;
    },

    async update(incidentId, change) {
      const by = actor();
      const read = async () => {
        const found = await cases.store.get<Incident>('incidents', incidentId);
        if (!found) throw new BulwarkError('BWK_NOT_FOUND', `no incident ${JSON.stringify(incidentId)}`, { id: incidentId });
        return found;
      };
      const before = (await read()).record;
      const step = (work: (version: string) => Promise<unknown>) => withConflictRetry(async () => work((await read()).version));
      if (change.status !== undefined) {
        if (!(IncidentStatuses as readonly string[]).includes(change.status)) throw new BulwarkError('BWK_BAD_REQUEST', `no incident status ${change.status}`, { field: 'status' });
        await step((v) => cases.setStatus({ id: incidentId, expectedVersion: v, actor: by }, change.status as IncidentStatus));
      }
      if (change.severity !== undefined) {
        if (!(Severities as readonly string[]).includes(change.severity)) throw new BulwarkError('BWK_BAD_REQUEST', `no severity ${change.severity}`, { field: 'severity' });
        await step((v) => cases.setSeverity({ id: incidentId, expectedVersion: v, actor: by }, change.severity as Severity));
      }
      if (change.addTags?.length || change.removeTags?.length) {
        await step((v) => cases.tag({ id: incidentId, expectedVersion: v, actor: by }, change.addTags ?? [], change.removeTags ?? []));
      }
      if (change.comment !== undefined) await step((v) => cases.comment({ id: incidentId, expectedVersion: v, actor: by }, change.comment!));
      const after = (await read()).record;
      const view = (i: Incident) => ({ status: i.status, severity: i.severity, tags: i.tags });
      const changed = JSON.stringify(view(before)) !== JSON.stringify(view(after)) || change.comment !== undefined;
      return { before: view(before), after: view(after), changed };
    },
  };
}
