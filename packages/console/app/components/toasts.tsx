/** Notices: errors carry the catalogue's message and code (api.ts). A live region, so screen readers hear them. */
import { useEffect, useState } from 'preact/hooks';
import { dismissToast, subscribeToasts, type Toast } from '../toasts.js';

export function Toasts() {
  const [list, setList] = useState<Toast[]>([]);
  useEffect(() => subscribeToasts(setList), []);
  return (
    <div class="toasts" aria-live="polite">
      {list.map((t) => (
        <div key={t.id} class={`toast ${t.kind}`} role={t.kind === 'error' ? 'alert' : 'status'}>
          <span>{t.text}</span>
          <button type="button" class="ghost" aria-label="Dismiss" onClick={() => dismissToast(t.id)}>
            ×
          </button>
        </div>
      ))}
    </div>
  );
}
