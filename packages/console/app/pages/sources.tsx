/** Ingestion health per source (route + token): events/s, rejects by reason, last seen; a stopped source is flagged. */
import { api } from '../api.js';
import { Time } from '../components/badges.js';
import { useLoad } from '../hooks.js';

interface Source {
  route: string;
  token_id: string;
  token_name: string;
  source: string;
  events_total: number;
  events_per_s: number;
  rejected: Record<string, number>;
  last_seen: string | null;
  stopped: boolean;
}

export function SourcesPage() {
  const list = useLoad((signal) => api.get<{ window_s: number; items: Source[] }>('/v1/sources', { signal }), [], 5000);
  const items = list.data?.items ?? [];
  const stopped = items.filter((s) => s.stopped).length;
  return (
    <section>
      <h1>Sources</h1>
      <p class="list-status" aria-live="polite">
        {items.length} source{items.length === 1 ? '' : 's'}
        {stopped ? ` · ${stopped} stopped` : ''}
        {list.data ? ` · rates over the last ${list.data.window_s} s` : ''}
      </p>
      <table class="sources">
        <thead>
          <tr>
            <th scope="col">State</th>
            <th scope="col">Route</th>
            <th scope="col">Token</th>
            <th scope="col">Source</th>
            <th scope="col">Events/s</th>
            <th scope="col">Events</th>
            <th scope="col">Rejected</th>
            <th scope="col">Last seen</th>
          </tr>
        </thead>
        <tbody>
          {items.map((s) => (
            <tr key={`${s.route}|${s.token_id}|${s.source}`} data-testid="source-row" data-stopped={String(s.stopped)} class={s.stopped ? 'stopped' : ''}>
              <td>{s.stopped ? <span class="badge status-stopped">stopped</span> : <span class="badge status-ok">receiving</span>}</td>
              <td>
                <code>{s.route}</code>
              </td>
              <td>{s.token_name}</td>
              <td>{s.source}</td>
              <td>{s.events_per_s.toFixed(2)}</td>
              <td>{s.events_total.toLocaleString()}</td>
              <td>
                {Object.entries(s.rejected)
                  .map(([reason, n]) => `${reason}: ${n}`)
                  .join(', ') || '—'}
              </td>
              <td>
                <Time iso={s.last_seen} />
              </td>
            </tr>
          ))}
          {items.length === 0 ? (
            <tr>
              <td colSpan={8}>{list.loading ? 'Loading…' : list.error ? 'The sources could not be read.' : 'No source has sent anything yet.'}</td>
            </tr>
          ) : null}
        </tbody>
      </table>
    </section>
  );
}
