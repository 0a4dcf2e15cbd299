/**
 * Real Chromium for the console's browser tests: Debian's `chromium` (test/services/chromium.sh installs it; the
 * suites declare `chromium`), driven by `playwright-core` over CDP. playwright-core ships no browser and downloads
 * none, which is why the distribution's build is used (docs/ARCHITECTURE.md, "Tests": real engines, no mocks).
 *
 * Every page a test shows is saved as a screenshot in test/.artifacts/console/ (gitignored), and every Content
 * Security Policy violation a page reports is kept, so a test can assert there were none.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';

const root = fileURLToPath(new URL('../..', import.meta.url));
export const ARTIFACTS = join(root, 'test/.artifacts/console');

/** The console's viewport: the issue asks for a console usable at 1280×800. */
export const VIEWPORT = { width: 1280, height: 800 };

/** The Chromium test/services/up chromium installed and exported; a missing one fails saying how to get it. */
export function chromiumPath(): string {
  const path = process.env.CHROMIUM_PATH;
  const how =
    'run the suite with `node test/run.mjs test/console` (test/services/up chromium installs Debian\'s chromium as root), ' +
    'or `apt-get install -y chromium fonts-liberation && test/services/up chromium && source test/.services.env`';
  if (!path) throw new Error(`CHROMIUM_PATH is not set: ${how}`);
  if (!existsSync(path)) throw new Error(`no Chromium at CHROMIUM_PATH=${path}: ${how}`);
  return path;
}

export async function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: chromiumPath(),
    headless: true,
    // Chromium's sandbox needs an unprivileged user (user namespaces or a setuid helper); as root — CI and the
    // development machines run the suites as root — it refuses to start without --no-sandbox. The pages it loads
    // are the console's own, from a loopback server the test started.
    args: process.getuid?.() === 0 ? ['--no-sandbox'] : [],
  });
}

/** What the page reported about its Content Security Policy (securitypolicyviolation events and console errors). */
export interface CspViolation {
  directive: string;
  blocked: string;
  sample?: string;
}

/**
 * What the tests touch inside a page, typed here: the test project compiles against Node's types only (no DOM
 * library), and these few names are all the page-side code uses.
 */
export interface PageWindow {
  document: {
    cookie: string;
    addEventListener(type: 'securitypolicyviolation', listener: (e: { effectiveDirective: string; blockedURI: string; sample: string }) => void): void;
    createElement(tag: 'script'): { textContent: string | null };
    body: { append(node: unknown): void };
  };
  __csp?: CspViolation[];
  __noReload?: boolean;
  __inlineRan?: boolean;
}

export interface ConsoleTab {
  context: BrowserContext;
  page: Page;
  /** Absolute URL of a console path (`/console/alerts?…`). */
  url(path: string): string;
  /** Goes to a console path, waits for the page to settle, saves a screenshot named `name`; fails unless it is a page. */
  visit(path: string, name: string): Promise<void>;
  /** Saves a screenshot of the page as it is now: test/.artifacts/console/<prefix>-<name>.png. */
  shot(name: string): Promise<string>;
  /** Every CSP violation any page of this tab reported so far. */
  cspViolations(): Promise<CspViolation[]>;
  close(): Promise<void>;
}

/**
 * A fresh browser context (its own cookie jar: one person) on the console at `baseUrl`. `prefix` names its
 * screenshots (e.g. the test file and the person). HTTPS errors are ignored: a TLS suite's server certificate is the
 * test API server's webhook target, signed by a throwaway CA Chromium does not know. `options` adds to the context's
 * (a colour scheme, say).
 */
export async function openConsole(browser: Browser, baseUrl: string, prefix: string, options: BrowserContextOptions = {}): Promise<ConsoleTab> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const context = await browser.newContext({ viewport: VIEWPORT, acceptDownloads: true, ignoreHTTPSErrors: true, baseURL: baseUrl, ...options });
  // A listener the test adds through CDP (not an inline script of the page, so the page's CSP does not apply to it):
  // it records what the browser reports when the policy blocks something.
  await context.addInitScript(() => {
    const w = globalThis as unknown as PageWindow;
    const seen: CspViolation[] = [];
    w.__csp = seen;
    w.document.addEventListener('securitypolicyviolation', (e) => {
      seen.push({ directive: e.effectiveDirective, blocked: e.blockedURI, sample: e.sample });
    });
  });
  // A hook that is not there fails the test in seconds, not after Playwright's default 30 s per action.
  context.setDefaultTimeout(15_000);
  const page = await context.newPage();
  // A confirmation the console asks (window.confirm before an undo, say) is answered yes, as the person clicking
  // the button would; Playwright would otherwise dismiss it.
  page.on('dialog', (dialog) => void dialog.accept());
  const fromConsole: CspViolation[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy/i.test(msg.text())) fromConsole.push({ directive: 'console', blocked: msg.text() });
  });
  const url = (path: string) => new URL(path, baseUrl).href;
  let n = 0;
  const tab: ConsoleTab = {
    context,
    page,
    url,
    async visit(path, name) {
      const response = await page.goto(url(path), { waitUntil: 'networkidle' });
      await tab.shot(name);
      const type = response?.headers()['content-type'] ?? '';
      if (!response?.ok() || !type.startsWith('text/html')) {
        throw new Error(`GET ${path} answered ${response?.status()} ${type}, not the console's page: ${(await response?.text())?.slice(0, 300)}`);
      }
    },
    async shot(name) {
      const file = join(ARTIFACTS, `${prefix}-${String(++n).padStart(2, '0')}-${name}.png`);
      await page.screenshot({ path: file, fullPage: false });
      return file;
    },
    async cspViolations() {
      // Violations of pages already left are in the console list; the current page's are also in its own list.
      const onPage = await page.evaluate(() => (globalThis as unknown as PageWindow).__csp ?? []).catch(() => []);
      return [...fromConsole, ...onPage];
    },
    close: () => context.close(),
  };
  return tab;
}
