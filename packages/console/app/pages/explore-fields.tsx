/**
 * The field sidebar: fields of the matching events (GET /v1/fields, sampled by the server; on a server without it,
 * the loaded page) with their three most frequent values, each opening its top ten (GET /v1/fields/top); every value
 * has "Filter for" / "Filter out", every field a toggle to show it as a column.
 */
import { useState } from 'preact/hooks';
import { api, ApiError } from '../api.js';
import { summariseFields, type FieldSummary } from '../lib/fields.js';
import { useLoad } from '../hooks.js';
import type { StoredEvent } from '../types.js';

interface Props {
  q: string;
  from: string;
  to: string;
  hits: readonly StoredEvent[];
  columns: readonly string[];
  onFilter: (field: string, value: string | number | boolean, exclude: boolean) => void;
  onToggleColumn: (field: string) => void;
}

export function FieldSidebar(props: Props) {
  const [filter, setFilter] = useState('');
  const server = useLoad(
    async (signal) => {
      try {
        return await api.get<{ sampled: number; fields: FieldSummary[] }>('/v1/fields', { query: { q: props.q, from: props.from, to: props.to, sample: 1000 }, signal, quiet: true });
      } catch (err) {
        if (err instanceof ApiError && (err.code === 'BWK_ROUTE_NOT_FOUND' || err.code === 'BWK_QUERY_SYNTAX')) return null;
        throw err;
      }
    },
    [props.q, props.from, props.to],
  );
  const fields = server.data?.fields ?? summariseFields(props.hits);
  const shown = fields.filter((f) => !filter || f.name.toLowerCase().includes(filter.toLowerCase()));
  return (
    <aside class="fields" aria-label="Fields">
      <h2>Fields</h2>
      <label class="sr-only" for="field-filter">
        Find a field
      </label>
      <input id="field-filter" placeholder="find a field" value={filter} onInput={(e) => setFilter((e.target as HTMLInputElement).value)} />
      <p class="muted">{server.data ? `from ${server.data.sampled} sampled events` : `from the ${props.hits.length} events shown`}</p>
      <ul class="field-list">
        {shown.slice(0, 200).map((f) => (
          <FieldEntry key={f.name} field={f} {...props} />
        ))}
      </ul>
    </aside>
  );
}

function FieldEntry({ field, q, from, to, columns, onFilter, onToggleColumn }: Props & { field: FieldSummary }) {
  const [open, setOpen] = useState(false);
  const [top, setTop] = useState<{ value: string | number | boolean; count: number }[] | null>(null);
  const expand = async () => {
    const next = !open;
    setOpen(next);
    if (next && !top) {
      setTop(field.top);
      try {
        const res = await api.get<{ values: { value: string | number | boolean; count: number }[] }>('/v1/fields/top', { query: { field: field.name, q, from, to, size: 10 }, quiet: true });
        setTop(res.values);
      } catch {
        // keep the sample's values
      }
    }
  };
  const isColumn = columns.includes(field.name);
  return (
    <li data-testid={`field-${field.name}`}>
      <div class="field-head">
        <button type="button" class="link" aria-expanded={open} onClick={expand}>
          {field.name}
        </button>
        <span class="muted">{field.type}</span>
        {/* A toggle named by what it shows ("column <field>", pressed while the column is shown) whose visible text
            is the start of that name, as speech-input users say what they see (WCAG 2.5.3). */}
        <button type="button" class="ghost small" aria-pressed={isColumn} title={`${isColumn ? 'Remove' : 'Add'} column ${field.name}`} onClick={() => onToggleColumn(field.name)}>
          <span aria-hidden="true">{isColumn ? '−' : '+'}</span>col<span class="sr-only">umn {field.name}</span>
        </button>
      </div>
      {field.top.length || top ? (
        <ul class="top-values">
          {(open ? (top ?? field.top) : field.top.slice(0, 3)).map((v) => (
            <li key={String(v.value)}>
              <span class="value" title={String(v.value)}>
                {String(v.value)}
              </span>
              <span class="muted">{v.count}</span>
              <button type="button" class="ghost small" aria-label={`Filter for ${String(v.value)}`} onClick={() => onFilter(field.name, v.value, false)}>
                +
              </button>
              <button type="button" class="ghost small" aria-label={`Filter out ${String(v.value)}`} onClick={() => onFilter(field.name, v.value, true)}>
                −
              </button>
            </li>
          ))}
        </ul>
      ) : null}
    </li>
  );
}
