/**
 * One incident: status, severity, assignee, tags, comments, merge (each change against the version read, If-Match),
 * its alerts, the timeline Bulwark assembles (lanes per source, zoomable, each item opening its raw record) and the
 * report exports.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api.js';
import { SeverityBadge, StatusBadge, Time } from '../components/badges.js';
import { useLoad } from '../hooks.js';
import { reportUrl, TIMELINE_WINDOWS, timelineWindowOf } from '../lib/links.js';
import { patchSearch } from '../lib/url-state.js';
import { linkClick, navigate, useLocation } from '../router.js';
import { useSession } from '../session.js';
import { showToast } from '../toasts.js';
import type { Alert, Incident, Page, Timeline } from '../types.js';
import { entityText } from './alerts.js';
import { IncidentTimeline } from './incident-timeline.js';

const STATUSES = ['open', 'acknowledged', 'contained', 'resolved'];
const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];

export function IncidentPage({ id }: { id: string }) {
  const { can } = useSession();
  const loaded = useLoad((signal) => api.get<Incident>(`/v1/incidents/${enc(id)}`, { signal }), [id], 15_000);
  const [incident, setIncident] = useState<Incident | undefined>(undefined);
  useEffect(() => setIncident(loaded.data), [loaded.data]);
  const alerts = useLoad((signal) => api.get<Page<Alert>>(`/v1/incidents/${enc(id)}/alerts`, { query: { size: 200 }, signal }), [id]);
  // Read again whenever the incident changes (a change made here appears in the changes lane at once).
  // The window around the alerts is in the URL (`?window=1h`), so a shared link shows the same timeline.
  const { search } = useLocation();
  const timelineWindow = timelineWindowOf(search);
  const timeline = useLoad(
    (signal) => (incident ? api.get<Timeline>(`/v1/incidents/${enc(id)}/timeline`, { query: { window: timelineWindow }, signal, quiet: true }) : Promise.resolve(undefined)),
    [id, incident?.version, timelineWindow],
  );

  if (!incident) return <p>{loaded.error ? 'The incident could not be read.' : 'Loading…'}</p>;
  const change = async (op: string, body: Record<string, unknown>, done?: string) => {
    try {
      const next = await api.post<Incident>(`/v1/incidents/${enc(incident.id)}/${op}`, body, { ifMatch: incident.version });
      setIncident(next);
      if (done) showToast(done);
      return true;
    } catch (err) {
      if (err instanceof ApiError && err.status === 409) void loaded.reload();
      return false;
    }
  };

  return (
    <section class="incident">
      <p class="crumbs">
        <a href="/console/incidents" onClick={linkClick}>
          Incidents
        </a>{' '}
        / {incident.id}
      </p>
      <h1>{incident.title}</h1>
      <dl class="facts">
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge value={incident.status} testId="incident-status" />
          </dd>
        </div>
        <div>
          <dt>Severity</dt>
          <dd data-testid="incident-severity">
            <SeverityBadge value={incident.severity} />
          </dd>
        </div>
        <div>
          <dt>Assignee</dt>
          <dd data-testid="incident-assignee">{incident.assignee ?? '—'}</dd>
        </div>
        <div>
          <dt>Entity</dt>
          <dd>{entityText(incident.entity)}</dd>
        </div>
        <div>
          <dt>Alerts</dt>
          <dd>{incident.alert_count}</dd>
        </div>
        <div>
          <dt>Seen</dt>
          <dd>
            <Time iso={incident.first_seen} /> → <Time iso={incident.last_seen} />
          </dd>
        </div>
        <div class="wide">
          <dt>Tags</dt>
          <dd data-testid="incident-tags">{incident.tags.length ? incident.tags.join(', ') : '—'}</dd>
        </div>
        {incident.merged_into ? (
          <div>
            <dt>Merged into</dt>
            <dd>
              <a href={`/console/incidents/${enc(incident.merged_into)}`} onClick={linkClick}>
                {incident.merged_into}
              </a>
            </dd>
          </div>
        ) : null}
      </dl>

      <div class="exports" role="group" aria-label="Export the report">
        <a class="button" role="button" href={reportUrl(incident.id, 'md', timelineWindow)} download>
          Export Markdown
        </a>
        <a class="button" role="button" href={reportUrl(incident.id, 'json', timelineWindow)} download>
          Export JSON
        </a>
        <a class="button" role="button" href={reportUrl(incident.id, 'html', timelineWindow)} download>
          Export HTML
        </a>
      </div>

      {can('respond') ? <IncidentActions incident={incident} change={change} onMerged={() => void loaded.reload()} /> : null}

      <div class="section-head">
        <h2>Timeline</h2>
        <label>
          Window
          <select
            value={timelineWindow ?? TIMELINE_WINDOWS[0]}
            onChange={(e) => {
              const w = (e.target as HTMLSelectElement).value;
              navigate(`/incidents/${enc(id)}${patchSearch(search, { window: w === TIMELINE_WINDOWS[0] ? undefined : w })}`, { replace: true });
            }}
          >
            {TIMELINE_WINDOWS.map((w) => (
              <option key={w} value={w}>
                {w} around the alerts
              </option>
            ))}
          </select>
        </label>
      </div>
      {timeline.data ? <IncidentTimeline timeline={timeline.data} /> : <p role={timeline.error ? 'alert' : undefined}>{timeline.error ? `The timeline could not be read: ${(timeline.error as Error).message}` : 'Loading the timeline…'}</p>}

      <h2>Comments ({incident.comments.length})</h2>
      <ol class="comments">
        {incident.comments.map((c) => (
          <li key={c.id}>
            <strong>{c.author}</strong> <Time iso={c.at} />
            <p>{c.text}</p>
          </li>
        ))}
      </ol>
      {can('respond') ? <CommentForm onSubmit={(text) => change('comments', { text }, 'Comment added')} /> : null}

      <h2>Alerts</h2>
      <ul class="plain">
        {(alerts.data?.items ?? []).map((a) => (
          <li key={a.id}>
            <SeverityBadge value={a.severity} />{' '}
            <a href={`/console/alerts/${enc(a.id)}`} onClick={linkClick}>
              {a.rule.name}
            </a>{' '}
            <Time iso={a.last_seen} /> <span class="muted">{a.id}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

type Change = (op: string, body: Record<string, unknown>, done?: string) => Promise<boolean>;

function IncidentActions({ incident, change, onMerged }: { incident: Incident; change: Change; onMerged: () => void }) {
  const [status, setStatus] = useState(incident.status);
  const [resolution, setResolution] = useState('');
  const [severity, setSeverity] = useState(incident.severity);
  const [assignee, setAssignee] = useState(incident.assignee ?? '');
  const [tag, setTag] = useState('');
  const [mergeFrom, setMergeFrom] = useState('');
  const merge = async () => {
    try {
      const from = await api.get<Incident>(`/v1/incidents/${enc(mergeFrom.trim())}`);
      if (await change('merge', { from: from.id, from_version: from.version }, `Merged ${from.id} into this incident`)) {
        setMergeFrom('');
        onMerged();
      }
    } catch {
      // shown by api.ts
    }
  };
  return (
    <form class="incident-actions" aria-label="Incident actions" onSubmit={(e) => e.preventDefault()}>
      {incident.status === 'open' ? (
        <button type="button" onClick={() => change('acknowledge', {}, 'Acknowledged')}>
          Acknowledge
        </button>
      ) : null}
      <span class="joined">
        <label>
          New status
          <select value={status} onChange={(e) => setStatus((e.target as HTMLSelectElement).value)}>
            {STATUSES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Resolution
          <input value={resolution} onInput={(e) => setResolution((e.target as HTMLInputElement).value)} />
        </label>
        <button type="button" onClick={() => change('status', { status, ...(resolution.trim() ? { resolution: resolution.trim() } : {}) }, `Status: ${status}`)}>
          Set status
        </button>
      </span>
      <span class="joined">
        <label>
          New severity
          <select value={severity} onChange={(e) => setSeverity((e.target as HTMLSelectElement).value)}>
            {SEVERITIES.map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <button type="button" disabled={severity === incident.severity} onClick={() => change('severity', { severity }, `Severity: ${severity}`)}>
          Set severity
        </button>
      </span>
      <span class="joined">
        <label>
          Assignee
          <input value={assignee} onInput={(e) => setAssignee((e.target as HTMLInputElement).value)} />
        </label>
        <button type="button" onClick={() => change('assign', { assignee: assignee.trim() || null }, assignee.trim() ? `Assigned to ${assignee.trim()}` : 'Unassigned')}>
          Assign
        </button>
      </span>
      <span class="joined">
        <label>
          Tag
          <input value={tag} onInput={(e) => setTag((e.target as HTMLInputElement).value)} />
        </label>
        <button type="button" disabled={!tag.trim()} onClick={async () => (await change('tags', { add: [tag.trim()] })) && setTag('')}>
          Add tag
        </button>
        <button type="button" disabled={!tag.trim()} onClick={async () => (await change('tags', { remove: [tag.trim()] })) && setTag('')}>
          Remove tag
        </button>
      </span>
      <span class="joined">
        <label>
          Merge incident
          <input value={mergeFrom} placeholder="incident id" onInput={(e) => setMergeFrom((e.target as HTMLInputElement).value)} />
        </label>
        <button type="button" disabled={!mergeFrom.trim()} onClick={merge}>
          Merge into this
        </button>
      </span>
    </form>
  );
}

function CommentForm({ onSubmit }: { onSubmit: (text: string) => Promise<boolean> }) {
  const [text, setText] = useState('');
  return (
    <form
      class="comment-form"
      onSubmit={async (e) => {
        e.preventDefault();
        if (text.trim() && (await onSubmit(text.trim()))) setText('');
      }}
    >
      <label for="comment">Comment</label>
      <textarea id="comment" rows={3} value={text} onInput={(e) => setText((e.target as HTMLTextAreaElement).value)} />
      <button type="submit" disabled={!text.trim()}>
        Add comment
      </button>
    </form>
  );
}
