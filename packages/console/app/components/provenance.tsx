/** Where an alert or an event came from, as Bulwark recorded it (docs/ARCHITECTURE.md, "Provenance"). */
import { Time } from './badges.js';

export function ProvenanceView({ provenance }: { provenance: Record<string, unknown> | null | undefined }) {
  if (!provenance) return <p class="warn">No provenance recorded: treated as untrusted.</p>;
  const entries = Object.entries(provenance).filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0));
  return (
    <dl class="provenance" data-testid="provenance">
      {entries.map(([k, v]) => (
        <div key={k}>
          <dt>{k.replace(/_/g, ' ')}</dt>
          <dd>{k.endsWith('_at') && typeof v === 'string' ? <Time iso={v} /> : typeof v === 'object' ? JSON.stringify(v) : String(v)}</dd>
        </div>
      ))}
    </dl>
  );
}
