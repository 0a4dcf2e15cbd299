/** Saved searches of the signed-in token (GET/POST/DELETE /v1/saved-searches): open one, save the current view. */
import { useState } from 'preact/hooks';
import { api, ApiError, enc } from '../api.js';
import { useLoad } from '../hooks.js';
import { showToast } from '../toasts.js';
import type { ExploreState } from '../lib/url-state.js';

export interface SavedSearch {
  id: string;
  name: string;
  q: string;
  from: string | null;
  to: string | null;
  columns: string[] | null;
  version: string;
}

export function SavedSearches({ state, onOpen }: { state: ExploreState; onOpen: (s: SavedSearch) => void }) {
  const list = useLoad(async (signal) => {
    try {
      return (await api.get<{ items: SavedSearch[] }>('/v1/saved-searches', { signal, quiet: true })).items;
    } catch (err) {
      if (err instanceof ApiError && err.code === 'BWK_ROUTE_NOT_FOUND') return null;
      throw err;
    }
  }, []);
  const [name, setName] = useState('');
  const [picked, setPicked] = useState('');
  const save = async () => {
    // Unnamed: the query names it (what a reader would type as its name anyway).
    const title = name.trim() || state.q.trim().slice(0, 200) || 'all events';
    try {
      await api.post('/v1/saved-searches', { name: title, q: state.q, from: state.from, to: state.to, columns: state.cols });
      showToast(`Saved "${title}"`);
      setName('');
      void list.reload();
    } catch {
      // toast from api.ts
    }
  };
  const remove = async () => {
    const s = list.data?.find((x) => x.id === picked);
    if (!s) return;
    try {
      await api.delete(`/v1/saved-searches/${enc(s.id)}`);
      setPicked('');
      void list.reload();
    } catch {
      // toast from api.ts
    }
  };
  if (list.data === null) return null;
  return (
    <div class="saved" role="group" aria-label="Saved searches">
      <label>
        Saved searches
        <select
          value={picked}
          onChange={(e) => {
            const id = (e.target as HTMLSelectElement).value;
            setPicked(id);
            const s = list.data?.find((x) => x.id === id);
            if (s) onOpen(s);
          }}
        >
          <option value="">{list.data?.length ? 'open…' : '(none yet)'}</option>
          {(list.data ?? []).map((s) => (
            <option key={s.id} value={s.id}>
              {s.name}
            </option>
          ))}
        </select>
      </label>
      {picked ? (
        <button type="button" class="ghost" onClick={remove}>
          Delete saved
        </button>
      ) : null}
      <span class="joined">
        <label class="sr-only" for="saved-name">
          Search name
        </label>
        <input id="saved-name" placeholder="name this search" value={name} onInput={(e) => setName((e.target as HTMLInputElement).value)} />
        <button type="button" onClick={save}>
          Save search
        </button>
      </span>
    </div>
  );
}
