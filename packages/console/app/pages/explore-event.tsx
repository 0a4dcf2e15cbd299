/**
 * One event in a side panel: the raw record, and pivots from its entity fields (pod → workload → service account →
 * bindings → node) through GET /v1/pivot, each related entity opening its own query in the explorer.
 */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { JsonView, SidePanel } from '../components/side-panel.js';
import { cellText, getField } from '../lib/fields.js';
import { exploreLink } from '../lib/links.js';
import { navigate } from '../router.js';
import type { StoredEvent } from '../types.js';

/** The fields a pivot starts from (the entities the incident timeline groups by). */
export const PIVOT_FIELDS = [
  'kubernetes.pod.uid',
  'kubernetes.pod.name',
  'kubernetes.namespace',
  'container.id',
  'kubernetes.node.name',
  'user.name',
  'source.ip',
] as const;

interface Pivot {
  entity: { kind: string; namespace?: string; name: string };
  related: { kind: string; namespace?: string; name: string; query: string; seen_in?: string }[];
}

export function EventPanel({ event, onClose, onContext }: { event: StoredEvent; onClose: () => void; onContext: () => void }) {
  const [pivot, setPivot] = useState<{ field: string; result: Pivot } | null>(null);
  const pivotable = PIVOT_FIELDS.map((f) => [f, getField(event, f)] as const).filter(([, v]) => v !== undefined && v !== '');
  const runPivot = async (field: string, value: unknown) => {
    try {
      setPivot({ field, result: await api.get<Pivot>('/v1/pivot', { query: { field, value: cellText(value) } }) });
    } catch {
      // toast from api.ts
    }
  };
  return (
    <SidePanel title={`Event ${event.event.id}`} onClose={onClose}>
      <p>
        <button type="button" onClick={onContext}>
          Show context
        </button>
      </p>
      {pivotable.length ? (
        <div class="pivots">
          <h3>Pivot</h3>
          <ul class="plain">
            {pivotable.map(([field, value]) => (
              <li key={field}>
                <button type="button" class="link" onClick={() => void runPivot(field, value)}>
                  Pivot on {field} = {cellText(value)}
                </button>
              </li>
            ))}
          </ul>
          {pivot ? (
            <div data-testid="pivot">
              <p>
                {pivot.result.entity.kind} <strong>{pivot.result.entity.namespace ? `${pivot.result.entity.namespace}/` : ''}{pivot.result.entity.name}</strong> relates to:
              </p>
              <ul class="plain">
                {pivot.result.related.map((r) => (
                  <li key={`${r.kind}/${r.namespace ?? ''}/${r.name}`}>
                    <span class="badge">{r.kind.replace('_', ' ')}</span>{' '}
                    <button type="button" class="link" onClick={() => (onClose(), navigate(exploreLink(r.query)))}>
                      {r.namespace ? `${r.namespace}/` : ''}
                      {r.name}
                    </button>
                  </li>
                ))}
                {pivot.result.related.length === 0 ? <li class="muted">nothing related in the stored events</li> : null}
              </ul>
            </div>
          ) : null}
        </div>
      ) : null}
      <JsonView value={event} label="Raw event" />
    </SidePanel>
  );
}
