/** Playbook runs, newest first, filtered by status in the URL; waiting approvals are what a responder looks for. */
import { api, enc } from '../api.js';
import { StatusBadge, Time } from '../components/badges.js';
import { DataGrid, type GridColumn } from '../components/data-grid.js';
import { useLoad } from '../hooks.js';
import { patchSearch } from '../lib/url-state.js';
import { navigate } from '../router.js';
import type { Page, Run } from '../types.js';

const STATUSES = ['pending', 'running', 'waiting_approval', 'succeeded', 'failed', 'cancelled', 'rejected', 'undoing', 'undone'];

export function RunsPage({ search }: { search: string }) {
  const params = new URLSearchParams(search);
  const status = params.get('status') ?? '';
  const playbook = params.get('playbook') ?? '';
  const list = useLoad(
    (signal) => api.get<Page<Run>>('/v1/runs', { query: { status: status || undefined, playbook: playbook || undefined, size: 200 }, signal }),
    [status, playbook],
    5000,
  );
  const open = (r: Run) => navigate(`/runs/${enc(r.id)}`);
  const columns: GridColumn<Run>[] = [
    { id: 'created', title: 'Started', width: '13rem', render: (r) => <Time iso={r.created_at} /> },
    { id: 'status', title: 'Status', width: '9.5rem', render: (r) => <StatusBadge value={r.status} /> },
    {
      id: 'playbook',
      title: 'Playbook',
      width: 'minmax(12rem, 2fr)',
      render: (r) => (
        <a href={`/console/runs/${enc(r.id)}`} onClick={(e) => (e.preventDefault(), open(r))}>
          {r.playbook}
          {r.dry_run ? ' (dry run)' : ''}
        </a>
      ),
    },
    { id: 'trigger', title: 'Requested by', width: '10rem', render: (r) => `${r.trigger.kind}: ${r.trigger.actor}` },
    { id: 'steps', title: 'Steps', width: 'minmax(10rem, 2fr)', render: (r) => r.steps.map((s) => `${s.id}:${s.status}`).join(' · ') },
    { id: 'id', title: 'Run', width: '12rem', render: (r) => <span class="muted">{r.id}</span> },
  ];
  return (
    <section>
      <h1>Runs</h1>
      <form class="filters" aria-label="Run filters" onSubmit={(e) => e.preventDefault()}>
        <label>
          Status
          <select value={status} onChange={(e) => navigate(`/runs${patchSearch(search, { status: (e.target as HTMLSelectElement).value })}`, { replace: true })}>
            <option value="">any</option>
            {STATUSES.map((s) => (
              <option key={s} value={s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <label>
          Playbook
          <input
            value={playbook}
            onBlur={(e) => navigate(`/runs${patchSearch(search, { playbook: (e.target as HTMLInputElement).value.trim() })}`, { replace: true })}
            onKeyDown={(e) => e.key === 'Enter' && navigate(`/runs${patchSearch(search, { playbook: (e.target as HTMLInputElement).value.trim() })}`, { replace: true })}
          />
        </label>
      </form>
      <DataGrid
        label="Runs"
        class="tall"
        rows={list.data?.items ?? []}
        columns={columns}
        rowKey={(r) => r.id}
        rowAttrs={(r) => ({ 'data-testid': 'run-row', 'data-run-id': r.id, 'data-status': r.status })}
        onOpen={open}
        empty={list.loading ? 'Loading…' : 'No runs.'}
      />
    </section>
  );
}
