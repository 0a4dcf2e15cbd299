/**
 * API links the browser opens directly (downloads): the explorer's streaming export and the incident report. Plain
 * same-origin GETs carrying the session cookie, so a download of any size streams to disk without passing through
 * page memory. Pure, unit-tested in test/links.test.ts.
 */

export type ExportFormat = 'ndjson' | 'csv';
export type ReportFormat = 'md' | 'html' | 'json';

export interface ExportRequest {
  q: string;
  from?: string;
  to?: string;
  format: ExportFormat;
  /** CSV columns (NDJSON carries whole events and ignores them). */
  fields?: readonly string[];
}

/** `/v1/export?q=&from=&to=&format=&fields=`: empty parts left out, `fields` only for CSV. */
export function exportUrl(req: ExportRequest): string {
  const params = new URLSearchParams();
  params.set('q', req.q);
  if (req.from) params.set('from', req.from);
  if (req.to) params.set('to', req.to);
  params.set('format', req.format);
  if (req.format === 'csv' && req.fields?.length) params.set('fields', req.fields.join(','));
  return `/v1/export?${params.toString()}`;
}

/** `/v1/incidents/:id/report?format=` (and `&window=` when the page shows another window than the default). */
export function reportUrl(incidentId: string, format: ReportFormat, window?: string): string {
  return `/v1/incidents/${encodeURIComponent(incidentId)}/report?format=${format}${window ? `&window=${encodeURIComponent(window)}` : ''}`;
}

/** The windows around the alerts the incident page offers (the API takes up to 24h); the first one is the API's default. */
export const TIMELINE_WINDOWS = ['15m', '5m', '1h', '6h', '24h'] as const;

/** The window a `?window=` names, or undefined (the default) for none or one not offered. */
export function timelineWindowOf(search: string): string | undefined {
  const w = new URLSearchParams(search).get('window') ?? '';
  return (TIMELINE_WINDOWS as readonly string[]).includes(w) && w !== TIMELINE_WINDOWS[0] ? w : undefined;
}

/** The explorer link for a query (used by "Show context", pivots and timeline items). */
export function exploreLink(q: string, from?: string, to?: string): string {
  const params = new URLSearchParams();
  params.set('q', q);
  if (from) params.set('from', from);
  if (to) params.set('to', to);
  return `/console/explore?${params.toString()}`;
}
