/** Bulk triage of the selected alerts: one POST /v1/alerts/bulk per action, its per-alert outcomes summed up. */
import { useState } from 'preact/hooks';
import { api } from '../api.js';
import { showToast } from '../toasts.js';

type Action = 'acknowledge' | 'assign' | 'close' | 'merge';
interface BulkResult {
  items: { id: string; outcome: 'updated' | 'unchanged' | 'not_found' | 'conflict'; version?: string }[];
}

/** "3 updated, 1 unchanged". */
export function outcomeSummary(result: BulkResult): string {
  const counts = new Map<string, number>();
  for (const item of result.items) counts.set(item.outcome, (counts.get(item.outcome) ?? 0) + 1);
  return [...counts].map(([k, n]) => `${n} ${k.replace('_', ' ')}`).join(', ') || 'nothing changed';
}

export function BulkBar({ selected, onDone }: { selected: ReadonlySet<string>; onDone: () => void }) {
  const [assignee, setAssignee] = useState('');
  const [resolution, setResolution] = useState('');
  const [incident, setIncident] = useState('');
  const [busy, setBusy] = useState(false);
  const none = selected.size === 0;

  const run = async (action: Action, extra: Record<string, string> = {}) => {
    setBusy(true);
    try {
      const result = await api.post<BulkResult>('/v1/alerts/bulk', { ids: [...selected].slice(0, 1000), action, ...extra });
      showToast(`${action}: ${outcomeSummary(result)}`);
      onDone();
    } catch {
      // shown as a toast by api.ts
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="bulk" aria-label="Bulk actions" onSubmit={(e) => e.preventDefault()}>
      <span class="muted">{none ? 'Select alerts to act on them' : `${selected.size} selected:`}</span>
      <button type="button" disabled={none || busy} onClick={() => run('acknowledge')}>
        Acknowledge
      </button>
      <span class="joined">
        <label class="sr-only" for="bulk-assignee">
          Assignee
        </label>
        <input id="bulk-assignee" placeholder="assignee" value={assignee} onInput={(e) => setAssignee((e.target as HTMLInputElement).value)} />
        <button type="button" disabled={none || busy || !assignee.trim()} onClick={() => run('assign', { assignee: assignee.trim() })}>
          Assign
        </button>
      </span>
      <span class="joined">
        <label class="sr-only" for="bulk-resolution">
          Resolution
        </label>
        <input id="bulk-resolution" placeholder="resolution" value={resolution} onInput={(e) => setResolution((e.target as HTMLInputElement).value)} />
        <button type="button" disabled={none || busy || !resolution.trim()} onClick={() => run('close', { resolution: resolution.trim() })}>
          Close
        </button>
      </span>
      <span class="joined">
        <label class="sr-only" for="bulk-incident">
          Incident id
        </label>
        <input id="bulk-incident" placeholder="incident id" value={incident} onInput={(e) => setIncident((e.target as HTMLInputElement).value)} />
        <button type="button" disabled={none || busy || !incident.trim()} onClick={() => run('merge', { incident_id: incident.trim() })}>
          Merge into incident
        </button>
      </span>
    </form>
  );
}
