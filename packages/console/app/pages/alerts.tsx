/**
 * Alert intake: the live alerts table (newest first, refreshed every few seconds without losing the reader's place
 * or selection), filters kept in the URL, grouping by rule or entity with counts, and bulk triage (acknowledge,
 * assign, close with one resolution, merge into an incident) through POST /v1/alerts/bulk.
 */
import { useMemo, useState } from 'preact/hooks';
import { api } from '../api.js';
import { SeverityBadge, StatusBadge, Time } from '../components/badges.js';
import { DataGrid, type GridColumn } from '../components/data-grid.js';
import { TimePicker } from '../components/time-picker.js';
import { useLoad } from '../hooks.js';
import { alertFiltersFromSearch, alertListParams, searchOfAlertFilters, type AlertFilters } from '../lib/url-state.js';
import { navigate } from '../router.js';
import { useSession } from '../session.js';
import type { Alert, AlertGroup, Page } from '../types.js';
import { BulkBar } from './alerts-bulk.js';

const REFRESH_MS = 5000;
const PAGE_SIZE = 200;
const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'];
const STATUSES = ['open', 'acknowledged', 'resolved', 'suppressed'];
const SOURCES = ['rule', 'api', 'alertmanager', 'falco'];

export const entityText = (e: Alert['entity']) => `${e.kind}:${e.namespace ? `${e.namespace}/` : ''}${e.value}`;

export function AlertsPage({ search }: { search: string }) {
  const filters = alertFiltersFromSearch(search);
  const setFilters = (patch: AlertFilters) => navigate(`/alerts${searchOfAlertFilters({ ...filters, ...patch })}`, { replace: true });
  const { can } = useSession();
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const [more, setMore] = useState<{ items: Alert[]; cursor: string | null }>({ items: [], cursor: null });
  const listKey = searchOfAlertFilters({ ...filters, group: undefined });

  const first = useLoad(
    async (signal) => {
      const page = await api.get<Page<Alert>>('/v1/alerts', { query: alertListParams(filters, { size: String(PAGE_SIZE) }), signal });
      return page;
    },
    [listKey],
    REFRESH_MS,
  );
  const groups = useLoad(
    async (signal) =>
      filters.group ? api.get<{ by: string; groups: AlertGroup[] }>('/v1/alerts/groups', { query: alertListParams(filters, { by: filters.group }), signal }) : null,
    [listKey, filters.group],
    filters.group ? REFRESH_MS : undefined,
  );

  // The refreshed first page replaces its rows; pages loaded further down stay (deduplicated by id).
  const rows = useMemo(() => {
    const seen = new Set<string>();
    const out: Alert[] = [];
    for (const a of [...(first.data?.items ?? []), ...more.items]) {
      if (!seen.has(a.id)) {
        seen.add(a.id);
        out.push(a);
      }
    }
    return out;
  }, [first.data, more.items]);
  const cursor = more.items.length ? more.cursor : (first.data?.cursor ?? null);
  const [loadingMore, setLoadingMore] = useState(false);
  const loadMore = async () => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    try {
      const page = await api.get<Page<Alert>>('/v1/alerts', { query: alertListParams(filters, { size: String(PAGE_SIZE), cursor }) });
      setMore((m) => ({ items: [...m.items, ...page.items], cursor: page.cursor }));
    } finally {
      setLoadingMore(false);
    }
  };

  const columns: GridColumn<Alert>[] = [
    { id: 'last_seen', title: 'Last seen', width: '13rem', render: (a) => <Time iso={a.last_seen} /> },
    { id: 'severity', title: 'Severity', width: '6rem', render: (a) => <SeverityBadge value={a.severity} /> },
    { id: 'status', title: 'Status', width: '7.5rem', render: (a) => <StatusBadge value={a.status} /> },
    {
      id: 'rule',
      title: 'Rule',
      width: 'minmax(12rem, 2fr)',
      render: (a) => (
        <a href={`/console/alerts/${encodeURIComponent(a.id)}`} onClick={(e) => (e.preventDefault(), navigate(`/alerts/${encodeURIComponent(a.id)}`))}>
          {a.rule.name}
        </a>
      ),
    },
    { id: 'entity', title: 'Entity', width: 'minmax(10rem, 1.5fr)', render: (a) => entityText(a.entity) },
    { id: 'count', title: 'Count', width: '4.5rem', render: (a) => a.count },
    { id: 'origin', title: 'Origin', width: '6.5rem', render: (a) => a.provenance?.origin ?? a.source },
    {
      id: 'incident',
      title: 'Incident',
      width: '9rem',
      render: (a) =>
        a.incident_id ? (
          <a href={`/console/incidents/${encodeURIComponent(a.incident_id)}`} onClick={(e) => (e.preventDefault(), navigate(`/incidents/${encodeURIComponent(a.incident_id!)}`))}>
            {a.incident_id}
          </a>
        ) : (
          <span class="muted">—</span>
        ),
    },
  ];

  return (
    <section class="alerts-page">
      <h1>Alerts</h1>
      <form class="filters" onSubmit={(e) => e.preventDefault()} aria-label="Alert filters">
        <Choice label="Severity" value={filters.severity} options={SEVERITIES} onChange={(v) => setFilters({ severity: v })} />
        <Choice label="Status" value={filters.status} options={STATUSES} onChange={(v) => setFilters({ status: v })} />
        <TextFilter label="Rule" value={filters.rule} onChange={(v) => setFilters({ rule: v })} />
        <TextFilter label="Entity" value={filters.entity} onChange={(v) => setFilters({ entity: v })} />
        <Choice label="Origin" value={filters.origin} options={['rule', 'external']} onChange={(v) => setFilters({ origin: v })} />
        <Choice label="Source" value={filters.source} options={SOURCES} onChange={(v) => setFilters({ source: v })} />
        <TimePicker from={filters.from ?? ''} to={filters.to ?? ''} onChange={(from, to) => setFilters({ from, to })} />
        <label>
          Group by
          <select value={filters.group ?? ''} onChange={(e) => setFilters({ group: (e.target as HTMLSelectElement).value || undefined })}>
            <option value="">(none)</option>
            <option value="rule">rule</option>
            <option value="entity">entity</option>
          </select>
        </label>
        {Object.keys(filters).length ? (
          <button type="button" class="ghost" onClick={() => navigate('/alerts', { replace: true })}>
            Clear filters
          </button>
        ) : null}
      </form>

      {filters.group && groups.data ? (
        <GroupList by={filters.group} groups={groups.data.groups} onPick={(g) => setFilters({ group: undefined, [filters.group === 'rule' ? 'rule' : 'entity']: g.key })} />
      ) : null}

      {can('respond') ? (
        <BulkBar
          selected={selected}
          onDone={() => {
            setSelected(new Set());
            void first.reload();
          }}
        />
      ) : (
        <p class="muted">Read-only: your session has no respond scope, so bulk triage is not offered.</p>
      )}

      <p class="list-status" aria-live="polite">
        {rows.length} alert{rows.length === 1 ? '' : 's'}
        {cursor ? ' (more below)' : ''} · {selected.size} selected · refreshed every {REFRESH_MS / 1000} s{first.loading ? ' · loading…' : ''}
      </p>
      <DataGrid
        label="Alerts"
        rememberAs="alerts"
        class="tall"
        rows={rows}
        columns={columns}
        rowKey={(a) => a.id}
        rowAttrs={(a) => ({ 'data-testid': 'alert-row', 'data-alert-id': a.id })}
        onOpen={(a) => navigate(`/alerts/${encodeURIComponent(a.id)}`)}
        onEndReached={() => void loadMore()}
        empty={first.loading ? 'Loading…' : 'No alerts match these filters.'}
        selection={
          can('respond')
            ? {
                selected,
                labelOf: (a) => `Select alert ${a.id}`,
                toggle: (key) =>
                  setSelected((s) => {
                    const next = new Set(s);
                    if (next.has(key)) next.delete(key);
                    else next.add(key);
                    return next;
                  }),
                toggleAll: (keys) => setSelected((s) => (keys.every((k) => s.has(k)) ? new Set() : new Set(keys))),
              }
            : undefined
        }
      />
    </section>
  );
}

function Choice({ label, value, options, onChange }: { label: string; value: string | undefined; options: string[]; onChange: (v: string | undefined) => void }) {
  return (
    <label>
      {label}
      <select value={value ?? ''} onChange={(e) => onChange((e.target as HTMLSelectElement).value || undefined)}>
        <option value="">any</option>
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
        {value && !options.includes(value) ? <option value={value}>{value}</option> : null}
      </select>
    </label>
  );
}

function TextFilter({ label, value, onChange }: { label: string; value: string | undefined; onChange: (v: string | undefined) => void }) {
  const apply = (e: Event) => {
    const v = (e.target as HTMLInputElement).value.trim();
    if (v !== (value ?? '')) onChange(v || undefined);
  };
  return (
    <label>
      {label}
      <input value={value ?? ''} onBlur={apply} onKeyDown={(e) => e.key === 'Enter' && apply(e)} />
    </label>
  );
}

function GroupList({ by, groups, onPick }: { by: string; groups: AlertGroup[]; onPick: (g: AlertGroup) => void }) {
  return (
    <div class="groups">
      <h2>Grouped by {by}</h2>
      <table>
        <thead>
          <tr>
            <th scope="col">{by === 'rule' ? 'Rule' : 'Entity'}</th>
            <th scope="col">Alerts</th>
            <th scope="col">Max severity</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {groups.map((g) => (
            <tr key={g.key} data-testid="alert-group" data-group-key={g.key}>
              <td>
                <button type="button" class="link" onClick={() => onPick(g)}>
                  {g.label || g.key}
                </button>
              </td>
              <td>{g.count}</td>
              <td>
                <SeverityBadge value={g.max_severity} />
              </td>
              <td>
                <Time iso={g.last_seen} />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
