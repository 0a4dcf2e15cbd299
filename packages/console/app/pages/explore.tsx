/**
 * The explorer (timeline search): query bar (syntax errors shown at their position), time picker, histogram whose
 * brushed range sets From/To, a virtualised results table with chosen columns, the field sidebar, "Show context",
 * pivots, saved searches and the streaming exports. Its whole state is the URL (`?q=&from=&to=&cols=`).
 */
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { Time } from '../components/badges.js';
import { DataGrid, type GridColumn } from '../components/data-grid.js';
import { TimePicker } from '../components/time-picker.js';
import { useLoad } from '../hooks.js';
import { cellText, getField } from '../lib/fields.js';
import { exportUrl } from '../lib/links.js';
import { addFieldFilter, locateQueryError } from '../lib/query-text.js';
import { exploreStateFromSearch, searchOfExploreState, type ExploreState } from '../lib/url-state.js';
import { navigate } from '../router.js';
import type { StoredEvent } from '../types.js';
import { ContextView } from './explore-context.js';
import { EventPanel } from './explore-event.js';
import { FieldSidebar } from './explore-fields.js';
import { Histogram, type HistogramData } from './explore-histogram.js';
import { SavedSearches } from './explore-saved.js';

const PAGE_SIZE = 200;

interface SearchPage {
  hits: StoredEvent[];
  cursor: string | null;
}

export function ExplorePage({ search }: { search: string }) {
  const state = exploreStateFromSearch(search);
  const go = (patch: Partial<ExploreState>) => navigate(`/explore${searchOfExploreState({ ...state, ...patch })}`);
  const [draft, setDraft] = useState(state.q);
  useEffect(() => setDraft(state.q), [state.q]);
  const [syntax, setSyntax] = useState<{ position: number; message: string } | null>(null);
  const [more, setMore] = useState<SearchPage>({ hits: [], cursor: null });
  const [opened, setOpened] = useState<StoredEvent | null>(null);
  const [contextOf, setContextOf] = useState<string | null>(null);
  const key = `${state.q}\u0000${state.from}\u0000${state.to}`;

  const results = useLoad(
    async (signal) => {
      setMore({ hits: [], cursor: null });
      try {
        const page = await api.get<SearchPage>('/v1/search', { query: { q: state.q, from: state.from, to: state.to, size: PAGE_SIZE }, signal, quiet: true });
        setSyntax(null);
        return page;
      } catch (err) {
        if (err instanceof ApiError && err.code === 'BWK_QUERY_SYNTAX') {
          setSyntax({ position: Number(err.details.position ?? state.q.length), message: err.message });
          return { hits: [], cursor: null };
        }
        throw err;
      }
    },
    [key],
  );
  const histogram = useLoad(
    (signal) => api.get<HistogramData>('/v1/histogram', { query: { q: state.q, from: state.from, to: state.to }, signal, quiet: true }).catch(() => undefined),
    [key],
  );
  useEffect(() => {
    if (results.error instanceof ApiError) setSyntax(null);
  }, [results.error]);

  const hits = [...(results.data?.hits ?? []), ...more.hits];
  const cursor = more.hits.length ? more.cursor : (results.data?.cursor ?? null);
  const [loadingMore, setLoadingMore] = useState(false);
  const loadMore = async () => {
    if (!cursor || loadingMore) return;
    setLoadingMore(true);
    try {
      const page = await api.get<SearchPage>('/v1/search', { query: { q: state.q, from: state.from, to: state.to, size: PAGE_SIZE, cursor } });
      setMore((m) => ({ hits: [...m.hits, ...page.hits], cursor: page.cursor }));
    } finally {
      setLoadingMore(false);
    }
  };

  const columns: GridColumn<StoredEvent>[] = [
    ...state.cols.map<GridColumn<StoredEvent>>((c) => ({
      id: c,
      title: c,
      width: c === '@timestamp' ? '13rem' : c === 'message' ? 'minmax(16rem, 4fr)' : 'minmax(8rem, 1fr)',
      render: (e) => (c === '@timestamp' ? <Time iso={e['@timestamp']} /> : <span title={cellText(getField(e, c))}>{cellText(getField(e, c))}</span>),
    })),
    {
      id: '_actions',
      title: 'Actions',
      width: '8.5rem',
      render: (e) => (
        <button type="button" class="link" onClick={(ev) => (ev.stopPropagation(), setContextOf(e.event.id))}>
          Show context
        </button>
      ),
    },
  ];
  const spot = syntax ? locateQueryError(state.q, syntax.position) : null;
  const submit = (e: Event) => {
    e.preventDefault();
    if (draft === state.q) void results.reload();
    else go({ q: draft });
  };

  return (
    <section class="explore">
      <h1>Explore</h1>
      <form class="query-bar" onSubmit={submit} role="search">
        <label for="query">Query</label>
        <input
          id="query"
          class="query-input"
          spellcheck={false}
          autocomplete="off"
          placeholder='e.g. kubernetes.namespace:prod AND NOT user.name:"system:serviceaccount:*"'
          value={draft}
          aria-invalid={!!spot}
          aria-describedby={spot ? 'query-error' : undefined}
          onInput={(e) => setDraft((e.target as HTMLInputElement).value)}
        />
        <button type="submit" class="primary">
          Search
        </button>
      </form>
      {spot && syntax ? (
        <div id="query-error" class="query-error" role="alert" data-testid="query-error" data-position={spot.position}>
          <p>{syntax.message}</p>
          <pre aria-hidden="true">
            {spot.before}
            <mark>{spot.at || ' '}</mark>
            {spot.after}
          </pre>
          <p class="muted">
            line {spot.line}, column {spot.column}
          </p>
        </div>
      ) : null}
      <div class="explore-tools">
        <TimePicker from={state.from} to={state.to} onChange={(from, to) => go({ from, to })} />
        <SavedSearches state={state} onOpen={(s) => go({ q: s.q, from: s.from ?? state.from, to: s.to ?? state.to, cols: s.columns?.length ? s.columns : state.cols })} />
        <span class="exports" role="group" aria-label="Export the results">
          <a class="button" role="button" href={exportUrl({ q: state.q, from: state.from, to: state.to, format: 'ndjson' })} download>
            Export NDJSON
          </a>
          <a class="button" role="button" href={exportUrl({ q: state.q, from: state.from, to: state.to, format: 'csv', fields: state.cols })} download>
            Export CSV
          </a>
        </span>
      </div>
      <Histogram data={histogram.data} onBrush={(from, to) => go({ from, to })} />
      <div class="explore-main">
        <FieldSidebar
          q={state.q}
          from={state.from}
          to={state.to}
          hits={hits}
          columns={state.cols}
          onFilter={(field, value, exclude) => go({ q: addFieldFilter(state.q, field, value, exclude) })}
          onToggleColumn={(field) => go({ cols: state.cols.includes(field) ? state.cols.filter((c) => c !== field) : [...state.cols, field] })}
        />
        <div class="results">
          <p class="list-status" aria-live="polite">
            {results.loading ? 'Searching…' : `${hits.length.toLocaleString()} events shown${cursor ? ' (scroll for more)' : ''}`}
          </p>
          {contextOf ? <ContextView eventId={contextOf} onClose={() => setContextOf(null)} onOpenEvent={setOpened} /> : null}
          <DataGrid
            label="Events"
            class="tall"
            rows={hits}
            columns={columns}
            rowKey={(e) => e.event.id}
            rowAttrs={(e) => ({ 'data-testid': 'event-row', 'data-event-id': e.event.id })}
            onOpen={setOpened}
            onEndReached={() => void loadMore()}
            empty={results.loading ? 'Searching…' : spot ? 'Fix the query to search.' : 'No events match.'}
          />
        </div>
      </div>
      {opened ? (
        <EventPanel
          event={opened}
          onClose={() => setOpened(null)}
          onContext={() => {
            setContextOf(opened.event.id);
            setOpened(null);
          }}
        />
      ) : null}
    </section>
  );
}
