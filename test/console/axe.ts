/**
 * axe-core (Deque's accessibility engine, the one Lighthouse and the browsers' devtools run) on a console page in real
 * Chromium: the WCAG 2.x A/AA rules, colour contrast among them, plus axe's best practices.
 *
 * The engine is injected as a script element. The console's Content-Security-Policy (`script-src 'self'`) rightly
 * refuses an inline script, so the contexts that audit are opened with Playwright's `bypassCSP` (see
 * `openAuditedConsole`): it turns the policy off in that one browser context, for this injection only — the server
 * still sends the policy, the app's pages are the same, and test/console/session.test.ts proves the policy holds in an
 * ordinary context.
 */
import { createRequire } from 'node:module';
import type { Browser, Page } from 'playwright-core';
import { openConsole, type ConsoleTab } from './browser.js';

const AXE_SCRIPT = createRequire(import.meta.url).resolve('axe-core/axe.min.js');

export interface AxeViolation {
  id: string;
  impact: 'minor' | 'moderate' | 'serious' | 'critical' | null;
  help: string;
  nodes: Array<{ target: string[]; html: string; summary: string }>;
}

/** The WCAG levels audited: A and AA of 2.0, 2.1 and 2.2, and axe's best practices. */
const TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa', 'best-practice'];

export interface AxeAudit {
  violations: AxeViolation[];
  /** Elements whose contrast axe could not decide (text over an image, a gradient, overlapping boxes): look at them. */
  contrastUndecided: AxeViolation['nodes'];
}

/** What axe finds on the page as it is now (the whole document). */
export async function axeAudit(page: Page): Promise<AxeAudit> {
  const injected = await page.evaluate(() => typeof (globalThis as { axe?: unknown }).axe === 'object');
  if (!injected) await page.addScriptTag({ path: AXE_SCRIPT });
  const found = await page.evaluate(async (tags) => {
    type Check = Array<{ id: string; impact: AxeViolation['impact']; help: string; nodes: Array<{ target: unknown[]; html: string; failureSummary?: string }> }>;
    type Result = { violations: Check; incomplete: Check };
    const axe = (globalThis as unknown as { axe: { run(context: unknown, options: unknown): Promise<Result> } }).axe;
    const result = await axe.run((globalThis as unknown as { document: unknown }).document, { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations', 'incomplete'] });
    // No named function in here: the test's TypeScript loader would wrap it in a helper the page does not have.
    const undecided = result.incomplete.find((v) => v.id === 'color-contrast')?.nodes ?? [];
    return [...result.violations, { id: '', impact: null, help: '', nodes: undecided }].map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n) => ({ target: n.target.map(String), html: n.html.slice(0, 240), summary: (n.failureSummary ?? '').slice(0, 400) })),
    }));
  }, TAGS);
  return { violations: found.slice(0, -1), contrastUndecided: found[found.length - 1]!.nodes };
}

/** The violations that block people: axe's `serious` and `critical`. */
export function blocking(violations: AxeViolation[]): AxeViolation[] {
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
}

/** Readable lines for an assertion message: rule, impact, what to fix, and where (a few nodes). */
export function describeViolations(violations: AxeViolation[]): string {
  return violations
    .map((v) => `${v.id} (${v.impact}): ${v.help}\n${v.nodes.slice(0, 4).map((n) => `    ${n.target.join(' ')} ${n.html}\n      ${n.summary.replace(/\n/g, ' ')}`).join('\n')}`)
    .join('\n');
}

/**
 * A console tab that axe can audit: its context bypasses the page's CSP (above, why), has the colour scheme `theme`
 * (prefers-color-scheme) and stores the same choice the "Toggle theme" button stores, so the page is drawn in that
 * palette from the first paint.
 */
export async function openAuditedConsole(browser: Browser, baseUrl: string, prefix: string, theme: 'light' | 'dark'): Promise<ConsoleTab> {
  const tab = await openConsole(browser, baseUrl, prefix, { bypassCSP: true, colorScheme: theme });
  await tab.context.addInitScript((t) => {
    try {
      (globalThis as unknown as { localStorage: { setItem(k: string, v: string): void } }).localStorage.setItem('bulwark.theme', t);
    } catch {
      // about:blank has no storage; the console's origin does
    }
  }, theme);
  return tab;
}
