/**
 * Client routing under /console/ with the History API: the path picks the page, the query string holds its state.
 * `navigate` pushes (or replaces) and notifies; `useLocation` re-renders on changes and on back/forward.
 */
import { useEffect, useState } from 'preact/hooks';

export const BASE = '/console';

export interface Location {
  /** The path below /console, e.g. `/alerts/a-1` ('/' for the root). */
  path: string;
  /** `?a=b` or ''. */
  search: string;
}

function current(): Location {
  const pathname = window.location.pathname;
  const path = pathname.startsWith(BASE) ? pathname.slice(BASE.length) || '/' : pathname;
  return { path: path.replace(/\/+$/, '') || '/', search: window.location.search };
}

const listeners = new Set<() => void>();
window.addEventListener('popstate', () => listeners.forEach((l) => l()));

/** Goes to `to` (`/console/...` or a path below it); `replace` for state changes that are not a new place (filters). */
export function navigate(to: string, options: { replace?: boolean } = {}): void {
  const url = to.startsWith(BASE) ? to : `${BASE}${to.startsWith('/') ? '' : '/'}${to}`;
  if (url === window.location.pathname + window.location.search) return;
  if (options.replace) window.history.replaceState(null, '', url);
  else window.history.pushState(null, '', url);
  listeners.forEach((l) => l());
}

export function useLocation(): Location {
  const [location, setLocation] = useState(current);
  useEffect(() => {
    const update = () => setLocation(current());
    listeners.add(update);
    return () => void listeners.delete(update);
  }, []);
  return location;
}

/** A click on an in-app link: routed without a page load unless a modifier asks for a new tab. */
export function linkClick(event: MouseEvent): void {
  const anchor = event.currentTarget as HTMLAnchorElement;
  if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  if (!anchor.pathname.startsWith(BASE)) return;
  event.preventDefault();
  navigate(anchor.pathname + anchor.search);
}

/** Matches `pattern` (`/alerts/:id`) against `path`; the params decoded, or null. */
export function matchRoute(pattern: string, path: string): Record<string, string> | null {
  const p = pattern.split('/');
  const s = path.split('/');
  if (p.length !== s.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < p.length; i++) {
    if (p[i]!.startsWith(':')) params[p[i]!.slice(1)] = decodeURIComponent(s[i]!);
    else if (p[i] !== s[i]) return null;
  }
  return params;
}
