/**
 * From/To fields taking what the API takes (`now-15m`, ISO 8601, epoch ms), plus quick ranges. Applies on Enter or
 * when a field is left, so typing does not fire a query per key.
 */
import { useEffect, useState } from 'preact/hooks';
import { resolveTime } from '../lib/time-zoom.js';

const QUICK = [
  ['15 min', 'now-15m'],
  ['1 h', 'now-1h'],
  ['24 h', 'now-24h'],
  ['7 d', 'now-7d'],
] as const;

export function TimePicker({ from, to, onChange }: { from: string; to: string; onChange: (from: string, to: string) => void }) {
  const [f, setF] = useState(from);
  const [t, setT] = useState(to);
  useEffect(() => setF(from), [from]);
  useEffect(() => setT(to), [to]);
  const apply = () => {
    if ((f === from && t === to) || (f && resolveTime(f) === null) || (t && resolveTime(t) === null)) return;
    onChange(f, t);
  };
  const bad = (v: string) => v !== '' && resolveTime(v) === null;
  return (
    <fieldset class="time-picker">
      <legend class="sr-only">Time range</legend>
      <label>
        From
        <input
          value={f}
          aria-invalid={bad(f)}
          placeholder="now-24h"
          onInput={(e) => setF((e.target as HTMLInputElement).value)}
          onBlur={apply}
          onKeyDown={(e) => e.key === 'Enter' && apply()}
        />
      </label>
      <label>
        To
        <input
          value={t}
          aria-invalid={bad(t)}
          placeholder="now"
          onInput={(e) => setT((e.target as HTMLInputElement).value)}
          onBlur={apply}
          onKeyDown={(e) => e.key === 'Enter' && apply()}
        />
      </label>
      <span class="quick" role="group" aria-label="Quick ranges">
        {QUICK.map(([label, value]) => (
          <button key={value} type="button" class="ghost" aria-pressed={from === value && to === 'now'} onClick={() => onChange(value, 'now')}>
            {label}
          </button>
        ))}
      </span>
    </fieldset>
  );
}
