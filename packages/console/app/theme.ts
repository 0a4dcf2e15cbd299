/**
 * Light and dark themes: the system's preference (prefers-color-scheme, in CSS) unless the reader chose one with the
 * toggle, kept in localStorage and applied as `data-theme` on <html> (no inline style: the CSS holds both palettes).
 */
const KEY = 'bulwark.theme';
export type Theme = 'light' | 'dark';

export function storedTheme(): Theme | null {
  try {
    const value = localStorage.getItem(KEY);
    return value === 'light' || value === 'dark' ? value : null;
  } catch {
    return null;
  }
}

export function effectiveTheme(): Theme {
  return storedTheme() ?? (window.matchMedia?.('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

export function applyTheme(theme: Theme | null): void {
  if (theme) document.documentElement.dataset.theme = theme;
  else delete document.documentElement.dataset.theme;
}

export function toggleTheme(): Theme {
  const next: Theme = effectiveTheme() === 'dark' ? 'light' : 'dark';
  try {
    localStorage.setItem(KEY, next);
  } catch {
    // private mode: the choice lasts for the page
  }
  applyTheme(next);
  return next;
}
