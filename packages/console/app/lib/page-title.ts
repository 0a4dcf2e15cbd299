/** The document title of a console path (below /console): the page, then the product. Pure, unit-tested. */
const PAGES: Array<[pattern: RegExp, title: (m: RegExpMatchArray) => string]> = [
  [/^\/signin$/, () => 'Sign in'],
  [/^\/alerts$/, () => 'Alerts'],
  [/^\/alerts\/(.+)$/, (m) => `Alert ${decodeURIComponent(m[1]!)}`],
  [/^\/incidents$/, () => 'Incidents'],
  [/^\/incidents\/(.+)$/, (m) => `Incident ${decodeURIComponent(m[1]!)}`],
  [/^\/explore$/, () => 'Explore'],
  [/^\/runs$/, () => 'Runs'],
  [/^\/runs\/(.+)$/, (m) => `Run ${decodeURIComponent(m[1]!)}`],
  [/^\/sources$/, () => 'Sources'],
];

export function pageTitle(path: string): string {
  for (const [pattern, title] of PAGES) {
    const m = pattern.exec(path);
    if (m) return `${title(m)} · Bulwark`;
  }
  return 'Bulwark console';
}
