/** "Show context": the N events before and after one event, on the same pod / container / user / … or all sources. */
import { useState } from 'preact/hooks';
import { api, enc } from '../api.js';
import { Time } from '../components/badges.js';
import { useLoad } from '../hooks.js';
import { exploreLink } from '../lib/links.js';
import { navigate } from '../router.js';
import type { StoredEvent } from '../types.js';

const BYS = ['pod', 'container', 'user', 'service_account', 'source_ip', 'all'] as const;

interface Context {
  anchor: StoredEvent;
  by: string;
  query: string;
  before: StoredEvent[];
  after: StoredEvent[];
}

export function ContextView({ eventId, onClose, onOpenEvent }: { eventId: string; onClose: () => void; onOpenEvent: (e: StoredEvent) => void }) {
  const [by, setBy] = useState<string>('pod');
  const [size, setSize] = useState(10);
  const ctx = useLoad((signal) => api.get<Context>(`/v1/events/${enc(eventId)}/context`, { query: { before: size, after: size, by }, signal }), [eventId, by, size]);
  const row = (e: StoredEvent, anchor = false) => (
    <li key={e.event.id} class={anchor ? 'anchor' : ''} data-testid="context-event" data-event-id={e.event.id} aria-current={anchor ? 'true' : undefined}>
      <Time iso={e['@timestamp']} /> <span class="muted">{e.event.dataset}</span>{' '}
      <button type="button" class="link" onClick={() => onOpenEvent(e)}>
        {e.message ?? e.event.id}
      </button>
    </li>
  );
  return (
    <section class="context" data-testid="context" aria-label={`Context of event ${eventId}`}>
      <div class="context-head">
        <h2>Context</h2>
        <label>
          Context by
          <select value={by} onChange={(e) => setBy((e.target as HTMLSelectElement).value)}>
            {BYS.map((b) => (
              <option key={b} value={b}>
                {b === 'all' ? 'all sources' : `same ${b.replace('_', ' ')}`}
              </option>
            ))}
          </select>
        </label>
        <label>
          Events each side
          <select value={String(size)} onChange={(e) => setSize(Number((e.target as HTMLSelectElement).value))}>
            {[5, 10, 25, 50].map((n) => (
              <option key={n}>{n}</option>
            ))}
          </select>
        </label>
        {ctx.data ? (
          <button type="button" onClick={() => navigate(exploreLink(ctx.data!.query))}>
            Open in explorer
          </button>
        ) : null}
        <button type="button" class="ghost" onClick={onClose}>
          Close context
        </button>
      </div>
      {ctx.data ? (
        <>
          <p class="muted">
            <code>{ctx.data.query}</code>
          </p>
          <ol class="context-list">
            {ctx.data.before.map((e) => row(e))}
            {row(ctx.data.anchor, true)}
            {ctx.data.after.map((e) => row(e))}
          </ol>
        </>
      ) : (
        <p>{ctx.error ? 'The context could not be read.' : 'Loading…'}</p>
      )}
    </section>
  );
}
