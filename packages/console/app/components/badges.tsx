/** Small labelled values: severity and status chips (text plus colour, never colour alone). */
export function SeverityBadge({ value }: { value: string }) {
  return <span class={`badge sev-${value}`}>{value}</span>;
}

export function StatusBadge({ value, testId }: { value: string; testId?: string }) {
  return (
    <span class={`badge status-${value}`} data-testid={testId}>
      {value.replace(/_/g, ' ')}
    </span>
  );
}

export function Time({ iso }: { iso: string | null | undefined }) {
  if (!iso) return <span class="muted">—</span>;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return <span>{iso}</span>;
  return (
    <time dateTime={iso} title={iso}>
      {d.toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z')}
    </time>
  );
}
