/** One alert: what fired on what, its evidence events with their provenance, and the raw event on demand. */
import { useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api.js';
import { SeverityBadge, StatusBadge, Time } from '../components/badges.js';
import { ProvenanceView } from '../components/provenance.js';
import { JsonView, SidePanel } from '../components/side-panel.js';
import { useLoad } from '../hooks.js';
import { exploreLink } from '../lib/links.js';
import { linkClick } from '../router.js';
import type { Alert, StoredEvent } from '../types.js';
import { entityText } from './alerts.js';

interface Evidence {
  alert_id: string;
  events: { id: string; event: StoredEvent | null; provenance: Record<string, unknown> | null }[];
}

/** The alert's evidence; before GET /v1/alerts/:id/evidence exists on a server, each event is read on its own. */
async function loadEvidence(alert: Alert, signal: AbortSignal): Promise<Evidence> {
  try {
    return await api.get<Evidence>(`/v1/alerts/${enc(alert.id)}/evidence`, { signal, quiet: true });
  } catch (err) {
    if (!(err instanceof ApiError) || err.code !== 'BWK_ROUTE_NOT_FOUND') throw err;
  }
  const events = await Promise.all(
    alert.event_ids.slice(0, 50).map(async (id) => {
      const event = await api.get<StoredEvent>(`/v1/events/${enc(id)}`, { signal, quiet: true }).catch(() => null);
      const provenance = ((event?.bulwark as { provenance?: Record<string, unknown> } | undefined)?.provenance ?? null) as Record<string, unknown> | null;
      return { id, event, provenance };
    }),
  );
  return { alert_id: alert.id, events };
}

export function AlertDetailPage({ id }: { id: string }) {
  const alert = useLoad((signal) => api.get<Alert>(`/v1/alerts/${enc(id)}`, { signal }), [id]);
  const evidence = useLoad(async (signal) => (alert.data ? loadEvidence(alert.data, signal) : null), [alert.data?.id]);
  const [open, setOpen] = useState<{ id: string; event: unknown } | null>(null);
  const a = alert.data;
  if (!a) return <p>{alert.error ? 'The alert could not be read.' : 'Loading…'}</p>;
  return (
    <section class="alert-detail">
      <p class="crumbs">
        <a href="/console/alerts" onClick={linkClick}>
          Alerts
        </a>{' '}
        / {a.id}
      </p>
      <h1>{a.rule.name}</h1>
      <dl class="facts">
        <div>
          <dt>Severity</dt>
          <dd>
            <SeverityBadge value={a.severity} />
          </dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge value={a.status} testId="alert-status" />
          </dd>
        </div>
        <div>
          <dt>Entity</dt>
          <dd>{entityText(a.entity)}</dd>
        </div>
        <div>
          <dt>Rule id</dt>
          <dd>
            <code>{a.rule.id}</code>
          </dd>
        </div>
        <div>
          <dt>Seen</dt>
          <dd>
            <Time iso={a.first_seen} /> → <Time iso={a.last_seen} /> ({a.count}×)
          </dd>
        </div>
        <div>
          <dt>Incident</dt>
          <dd>
            {a.incident_id ? (
              <a href={`/console/incidents/${enc(a.incident_id)}`} onClick={linkClick}>
                {a.incident_id}
              </a>
            ) : (
              '—'
            )}
          </dd>
        </div>
        {a.assignee ? (
          <div>
            <dt>Assignee</dt>
            <dd>{a.assignee}</dd>
          </div>
        ) : null}
      </dl>
      <h2>Provenance</h2>
      <ProvenanceView provenance={a.provenance as unknown as Record<string, unknown>} />
      {a.labels && Object.keys(a.labels).length ? (
        <>
          <h2>Labels</h2>
          <JsonView value={a.labels} label="Labels" />
        </>
      ) : null}
      <h2>Evidence events ({a.event_ids.length})</h2>
      {evidence.data ? (
        <table class="evidence" data-testid="evidence">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Dataset</th>
              <th scope="col">Message</th>
              <th scope="col">Provenance</th>
              <th scope="col">
                <span class="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {evidence.data.events.map((e) => (
              <tr key={e.id} data-testid="evidence-row" data-event-id={e.id}>
                <td>{e.event ? <Time iso={e.event['@timestamp']} /> : <span class="muted">not stored</span>}</td>
                <td>{e.event?.event.dataset ?? '—'}</td>
                <td class="clip">{e.event?.message ?? ''}</td>
                <td class="clip">{e.provenance ? `${String(e.provenance.source ?? e.provenance.kind ?? '')} ${String(e.provenance.token_name ?? '')}`.trim() || 'recorded' : '—'}</td>
                <td>
                  <button type="button" class="link" disabled={!e.event} onClick={() => setOpen({ id: e.id, event: { ...e.event, _provenance: e.provenance } })}>
                    Raw event
                  </button>{' '}
                  <a href={exploreLink(`event.id:${JSON.stringify(e.id)}`, 'now-30d')} onClick={linkClick}>
                    Explore
                  </a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>{evidence.error ? 'The evidence could not be read.' : 'Loading evidence…'}</p>
      )}
      {open ? (
        <SidePanel title={`Event ${open.id}`} onClose={() => setOpen(null)}>
          <JsonView value={open.event} label="Raw event" />
        </SidePanel>
      ) : null}
    </section>
  );
}
