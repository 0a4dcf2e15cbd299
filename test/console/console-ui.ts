/**
 * The console's UI hooks the browser tests act through, in one place: accessible names first (roles and labels, as a
 * keyboard or screen-reader user finds them), `data-testid` where no accessible name fits. They are the console's
 * contract with these tests; a renamed label fails here, not in a dozen tests.
 */
import assert from 'node:assert/strict';
import type { Locator, Page } from 'playwright-core';
import type { ConsoleTab, PageWindow } from './browser.js';
import { until } from '../support/until.js';

/** Polls `probe` until it returns a truthy value (test/support/until.ts), on the console's shorter default clock. */
export const eventually = <T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 15_000, everyMs = 200): Promise<T> =>
  until(what, probe, ms, everyMs);

export const ui = {
  tokenInput: (page: Page) => page.getByLabel('Token', { exact: true }),
  signInButton: (page: Page) => page.getByRole('button', { name: 'Sign in', exact: true }),
  signOutButton: (page: Page) => page.getByRole('button', { name: 'Sign out', exact: true }),
  whoami: (page: Page) => page.getByTestId('whoami'),
  // In the header's navigation: an item page's breadcrumbs link back to its list under the same name.
  nav: (page: Page, name: 'Alerts' | 'Incidents' | 'Explore' | 'Runs' | 'Sources') => page.getByRole('navigation', { name: 'Console' }).getByRole('link', { name, exact: true }),

  alertsGrid: (page: Page) => page.getByRole('grid', { name: 'Alerts' }),
  alertRows: (page: Page) => page.getByTestId('alert-row'),

  incidentStatus: (page: Page) => page.getByTestId('incident-status'),
  timeline: (page: Page) => page.getByTestId('timeline'),
  lane: (page: Page, id: string) => page.getByTestId(`lane-${id}`),
  timelineItems: (scope: Page | Locator) => scope.getByTestId('timeline-item'),

  query: (page: Page) => page.getByLabel('Query', { exact: true }),
  queryError: (page: Page) => page.getByTestId('query-error'),
  histogram: (page: Page) => page.getByTestId('histogram'),
  eventsGrid: (page: Page) => page.getByRole('grid', { name: 'Events' }),
  eventRows: (page: Page) => page.getByTestId('event-row'),
  field: (page: Page, name: string) => page.getByTestId(`field-${name}`),
  context: (page: Page) => page.getByTestId('context'),

  runStatus: (page: Page) => page.getByTestId('run-status'),
  plan: (page: Page) => page.getByTestId('plan'),
  runButton: (page: Page, name: 'Approve' | 'Reject' | 'Cancel' | 'Undo') => page.getByRole('button', { name, exact: true }),
  reason: (page: Page) => page.getByRole('textbox', { name: 'Reason' }),
};

/** Signs in through the sign-in page with `token`; resolves once the header names who is signed in. */
export async function signIn(tab: ConsoleTab, token: string, name: string): Promise<void> {
  const { page } = tab;
  await tab.visit('/console/signin', 'signin');
  await ui.tokenInput(page).fill(token);
  await ui.signInButton(page).click();
  await ui.whoami(page).filter({ hasText: name }).waitFor({ state: 'visible', timeout: 15_000 });
}

/** The page's own fetch (same origin, the session cookie attached by the browser): what the console's code could do. */
export async function fetchFromPage(page: Page, path: string, init: { method?: string; headers?: Record<string, string>; body?: unknown } = {}): Promise<{ status: number; body: any }> {
  return page.evaluate(
    async ({ path, init }) => {
      const res = await fetch(path, {
        method: init.method ?? 'GET',
        headers: { ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}), ...init.headers },
        body: init.body !== undefined ? JSON.stringify(init.body) : undefined,
        credentials: 'same-origin',
      });
      const text = await res.text();
      let body: unknown = text;
      try {
        body = JSON.parse(text);
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body };
    },
    { path, init },
  );
}

/** The session's CSRF token, as a reloaded page gets it (`GET /v1/session`). */
export async function csrfToken(page: Page): Promise<string> {
  const res = await fetchFromPage(page, '/v1/session');
  assert.equal(res.status, 200, `GET /v1/session: ${JSON.stringify(res.body)}`);
  return res.body.csrf_token as string;
}

/** A marker on the page's window: gone after a reload or a full navigation, kept by the console's own refreshes. */
export async function markNoReload(page: Page): Promise<void> {
  await page.evaluate(() => ((globalThis as unknown as PageWindow).__noReload = true));
}
export async function stillNoReload(page: Page): Promise<boolean> {
  return page.evaluate(() => (globalThis as unknown as PageWindow).__noReload === true);
}

/** The `data-at` times of timeline items, in the order the page shows them. */
export async function itemTimes(items: Locator): Promise<Array<{ kind: string; at: string }>> {
  return items.evaluateAll((els) => els.map((e) => ({ kind: e.getAttribute('data-kind') ?? '', at: e.getAttribute('data-at') ?? '' })));
}
