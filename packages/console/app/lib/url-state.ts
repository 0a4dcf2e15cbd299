/**
 * Page state kept in the query string, so a reload or a shared link shows the same view: the alert filters and the
 * explorer's query, time range and columns. Pure (no DOM), unit-tested in test/url-state.test.ts.
 */

/** The alert filters, in the order they appear in a URL (a stable order keeps shared links comparable). */
export const ALERT_FILTER_KEYS = ['status', 'severity', 'rule', 'entity', 'origin', 'source', 'from', 'to', 'group'] as const;
export type AlertFilterKey = (typeof ALERT_FILTER_KEYS)[number];
export type AlertFilters = Partial<Record<AlertFilterKey, string>>;

export const GROUP_BYS = ['rule', 'entity'] as const;
export type GroupBy = (typeof GROUP_BYS)[number];

/** Parses `?status=open&severity=high,critical&group=rule` (unknown keys and empty values dropped). */
export function alertFiltersFromSearch(search: string): AlertFilters {
  const params = new URLSearchParams(search);
  const filters: AlertFilters = {};
  for (const key of ALERT_FILTER_KEYS) {
    const value = params.get(key)?.trim();
    if (value) filters[key] = value;
  }
  if (filters.group && !(GROUP_BYS as readonly string[]).includes(filters.group)) delete filters.group;
  return filters;
}

/** The query string of `filters` (`?a=b&…`, or '' when none is set), keys in ALERT_FILTER_KEYS order. */
export function searchOfAlertFilters(filters: AlertFilters): string {
  const params = new URLSearchParams();
  for (const key of ALERT_FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value) params.set(key, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** The parameters of `GET /v1/alerts` and `GET /v1/alerts/groups` for `filters` (grouping is the page's, not a filter). */
export function alertListParams(filters: AlertFilters, extra: Record<string, string> = {}): URLSearchParams {
  const params = new URLSearchParams();
  for (const key of ALERT_FILTER_KEYS) {
    const value = filters[key]?.trim();
    if (value && key !== 'group') params.set(key, value);
  }
  for (const [k, v] of Object.entries(extra)) params.set(k, v);
  return params;
}

/** The explorer's view: query text, time range (absolute ISO or relative `now-15m`), and the result columns. */
export interface ExploreState {
  q: string;
  from: string;
  to: string;
  cols: string[];
}

export const DEFAULT_COLUMNS: readonly string[] = ['@timestamp', 'event.dataset', 'message'];
export const DEFAULT_FROM = 'now-24h';
export const DEFAULT_TO = 'now';

/** Parses `?q=&from=&to=&cols=a,b`; what is missing takes the defaults (last 24 hours, the default columns). */
export function exploreStateFromSearch(search: string): ExploreState {
  const params = new URLSearchParams(search);
  const cols = (params.get('cols') ?? '')
    .split(',')
    .map((c) => c.trim())
    .filter(Boolean);
  return {
    q: params.get('q') ?? '',
    from: params.get('from')?.trim() || DEFAULT_FROM,
    to: params.get('to')?.trim() || DEFAULT_TO,
    cols: cols.length ? [...new Set(cols)] : [...DEFAULT_COLUMNS],
  };
}

/** The query string of an explorer view; defaults are left out so the plain explorer link stays `/console/explore`. */
export function searchOfExploreState(state: ExploreState): string {
  const params = new URLSearchParams();
  if (state.q) params.set('q', state.q);
  if (state.from && state.from !== DEFAULT_FROM) params.set('from', state.from);
  if (state.to && state.to !== DEFAULT_TO) params.set('to', state.to);
  const cols = state.cols.filter(Boolean);
  if (cols.length && cols.join(',') !== DEFAULT_COLUMNS.join(',')) params.set('cols', cols.join(','));
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** `search` with some keys set (a string) or removed (undefined or ''), other keys kept in their order. */
export function patchSearch(search: string, patch: Record<string, string | undefined>): string {
  const params = new URLSearchParams(search);
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined || value === '') params.delete(key);
    else params.set(key, value);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}
