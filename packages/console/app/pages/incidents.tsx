/** The incidents list: filters in the URL (status, severity, assignee, tag), newest activity first, Enter opens. */
import { api, enc } from '../api.js';
import { SeverityBadge, StatusBadge, Time } from '../components/badges.js';
import { DataGrid, type GridColumn } from '../components/data-grid.js';
import { useLoad } from '../hooks.js';
import { patchSearch } from '../lib/url-state.js';
import { navigate } from '../router.js';
import type { IncidentSummary, Page } from '../types.js';

const KEYS = ['status', 'severity', 'assignee', 'tag'] as const;

export function IncidentsPage({ search }: { search: string }) {
  const params = new URLSearchParams(search);
  const query = Object.fromEntries(KEYS.map((k) => [k, params.get(k) ?? undefined]));
  const list = useLoad((signal) => api.get<Page<IncidentSummary>>('/v1/incidents', { query: { ...query, size: 200 }, signal }), [search], 10_000);
  const set = (key: string, value: string) => navigate(`/incidents${patchSearch(search, { [key]: value.trim() })}`, { replace: true });
  const open = (i: IncidentSummary) => navigate(`/incidents/${enc(i.id)}`);
  const columns: GridColumn<IncidentSummary>[] = [
    { id: 'last_seen', title: 'Last seen', width: '13rem', render: (i) => <Time iso={i.last_seen} /> },
    { id: 'severity', title: 'Severity', width: '6rem', render: (i) => <SeverityBadge value={i.severity} /> },
    { id: 'status', title: 'Status', width: '7.5rem', render: (i) => <StatusBadge value={i.status} /> },
    {
      id: 'title',
      title: 'Title',
      width: 'minmax(14rem, 3fr)',
      render: (i) => (
        <a href={`/console/incidents/${enc(i.id)}`} onClick={(e) => (e.preventDefault(), open(i))}>
          {i.title}
        </a>
      ),
    },
    { id: 'alerts', title: 'Alerts', width: '5rem', render: (i) => i.alert_count },
    { id: 'assignee', title: 'Assignee', width: '8rem', render: (i) => i.assignee ?? '—' },
    { id: 'tags', title: 'Tags', width: 'minmax(6rem, 1fr)', render: (i) => i.tags.join(', ') },
  ];
  return (
    <section>
      <h1>Incidents</h1>
      <form class="filters" aria-label="Incident filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={query.status ?? ''} onChange={(e) => set('status', (e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {['open', 'acknowledged', 'contained', 'resolved'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        <label>
          Severity
          <select value={query.severity ?? ''} onChange={(e) => set('severity', (e.target as HTMLSelectElement).value)}>
            <option value="">any</option>
            {['info', 'low', 'medium', 'high', 'critical'].map((s) => (
              <option key={s}>{s}</option>
            ))}
          </select>
        </label>
        {(['assignee', 'tag'] as const).map((k) => (
          <label key={k}>
            {k === 'tag' ? 'Tag' : 'Assignee'}
            <input
              value={query[k] ?? ''}
              onBlur={(e) => set(k, (e.target as HTMLInputElement).value)}
              onKeyDown={(e) => e.key === 'Enter' && set(k, (e.target as HTMLInputElement).value)}
            />
          </label>
        ))}
      </form>
      <DataGrid
        label="Incidents"
        class="tall"
        rows={list.data?.items ?? []}
        columns={columns}
        rowKey={(i) => i.id}
        rowAttrs={(i) => ({ 'data-testid': 'incident-row', 'data-incident-id': i.id })}
        onOpen={open}
        empty={list.loading ? 'Loading…' : 'No incidents match.'}
      />
    </section>
  );
}
