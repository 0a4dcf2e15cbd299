// services: k8s process chromium
/**
 * The console is accessible and usable at 1280×800 in both themes, in real Chromium against the real `npm start`
 * process: axe-core audits every page — sign-in, the alerts (flat and grouped by rule) and an alert's page, the
 * incidents and an incident with its timeline, the explorer with results, with the context view and with an event
 * opened, the runs and a run waiting for approval, the sources — in the light and the dark palette, and none has a
 * `serious` or `critical` violation (colour contrast included) or scrolls sideways. Then a person without a mouse
 * signs in, reaches the alerts grid with Tab, moves in it with the arrow keys, opens an alert with Enter and comes
 * back, by keyboard alone.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import type { KubeClients } from '@bulwark/actions';
import { testKube } from '../support/kube-clients.js';
import { axeAudit, blocking, describeViolations, openAuditedConsole, type AxeAudit, type AxeViolation } from './axe.js';
import { ARTIFACTS, launchChromium, openConsole, VIEWPORT, type ConsoleTab } from './browser.js';
import { startConsoleServer, type ConsoleServer } from './console-server.js';
import { eventually, signIn, ui } from './console-ui.js';
import { seedConsole, type Seed } from './seed.js';
import { createWorkload } from './workload.js';

type Person = { name: string; token: string };

describe('console accessibility in Chromium at 1280×800: axe on every page in both themes, and keyboard-only triage', () => {
  const ns = `console-a11y-${randomBytes(3).toString('hex')}`;
  let server: ConsoleServer;
  let browser: Browser;
  let admin: KubeClients;
  let seed: Seed;
  let runId = '';
  /** Responds and approves: every control of every page is offered to this person (the run was started by another). */
  let analyst: Person;
  const tabs: ConsoleTab[] = [];

  before(async () => {
    browser = await launchChromium(); // first: a missing Chromium fails at once, saying how to get it
    ({ admin } = await testKube(ns));
    server = await startConsoleServer({ kube: true });
    analyst = { name: 'analyst-ada', ...(await server.p.mint('analyst-ada', ['read', 'respond', 'approve'])) };
    seed = await seedConsole(server, ns, ['ext-exec', 'ext-exec', 'ext-secrets', 'ext-exec']);
    // A scale-to-zero always waits for a person: the run page with a plan, an approval and its decisions.
    const pod = await createWorkload(admin, ns, 'a11y-shop', 2);
    const started = await server.p.fetch('/v1/playbooks/respond-to-crypto-miner/run', {
      method: 'POST',
      token: server.people.responder.token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: { namespace: ns, pod } }),
    });
    assert.equal(started.status, 202, await started.clone().text());
    runId = ((await started.json()) as { id: string }).id;
    await eventually('the run waits for approval', async () => (await server.p.get<{ status: string }>(`/v1/runs/${runId}`, server.people.reader.token)).status === 'waiting_approval', 30_000);
  });
  after(async () => {
    for (const tab of tabs) await tab.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    await admin?.core.deleteNamespace({ name: ns }).catch(() => {});
  });

  /** Each page of the console, with what shows it is fully drawn (its data arrived). */
  const pages = (): Array<{ name: string; path: string; ready: (page: Page) => Promise<unknown>; then?: (page: Page) => Promise<void> }> => {
    const alert = seed.alerts[0]!;
    const explore = `/console/explore?${new URLSearchParams({ q: `kubernetes.namespace:${ns}`, from: 'now-2h', to: 'now' })}`;
    return [
      { name: 'alerts', path: `/console/alerts?severity=high`, ready: (p) => ui.alertRows(p).first().waitFor() },
      { name: 'alerts-grouped', path: `/console/alerts?group=rule`, ready: (p) => p.getByTestId('alert-group').first().waitFor() },
      { name: 'alert', path: `/console/alerts/${alert.id}`, ready: (p) => p.getByTestId('evidence-row').first().waitFor() },
      { name: 'incidents', path: '/console/incidents', ready: (p) => p.getByTestId('incident-row').first().waitFor() },
      { name: 'incident', path: `/console/incidents/${alert.incidentId}`, ready: (p) => ui.timelineItems(ui.timeline(p)).first().waitFor() },
      { name: 'explore', path: explore, ready: async (p) => (await ui.eventRows(p).first().waitFor(), await ui.field(p, 'service.name').waitFor()) },
      {
        name: 'explore-context',
        path: explore,
        ready: (p) => ui.eventRows(p).nth(2).waitFor(),
        then: async (p) => {
          await ui.eventRows(p).nth(2).getByRole('button', { name: 'Show context' }).click();
          await ui.context(p).getByTestId('context-event').first().waitFor();
        },
      },
      {
        name: 'explore-event',
        path: explore,
        ready: (p) => ui.eventRows(p).first().waitFor(),
        then: async (p) => {
          await ui.eventRows(p).first().dblclick();
          await p.getByRole('dialog').waitFor();
        },
      },
      { name: 'runs', path: '/console/runs', ready: (p) => p.getByTestId('run-row').first().waitFor() },
      { name: 'run', path: `/console/runs/${runId}`, ready: async (p) => (await ui.plan(p).waitFor(), await p.getByTestId('blast-radius').waitFor()) },
      { name: 'sources', path: '/console/sources', ready: (p) => p.getByTestId('source-row').first().waitFor() },
    ];
  };

  /** What the page at 1280×800 must not do: scroll sideways (content wider than the window). */
  const overflow = (page: Page) =>
    page.evaluate(() => {
      const root = (globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }).document.documentElement;
      return root.scrollWidth - root.clientWidth;
    });

  for (const theme of ['light', 'dark'] as const) {
    it(`no serious or critical axe violation on any page in the ${theme} theme, none wider than 1280 px`, async () => {
      const tab = await openAuditedConsole(browser, server.base, `a11y-${theme}`, theme);
      tabs.push(tab);
      const { page } = tab;
      const problems: string[] = [];
      /** Every violation of every page, lesser ones too, kept beside the screenshots for whoever improves them. */
      const report: Record<string, AxeViolation[]> = {};
      const undecided: Record<string, AxeAudit['contrastUndecided']> = {};
      const audit = async (name: string) => {
        assert.equal(await page.evaluate(() => (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } } } }).document.documentElement.dataset.theme), theme, `${name}: drawn in the ${theme} palette`);
        await tab.shot(name);
        const { violations: all, contrastUndecided } = await axeAudit(page);
        report[name] = all;
        if (contrastUndecided.length) undecided[name] = contrastUndecided;
        const found = blocking(all);
        if (found.length) problems.push(`${name}:\n${describeViolations(found)}`);
        const wider = await overflow(page);
        if (wider > 0) problems.push(`${name}: ${wider} px wider than the ${VIEWPORT.width} px window`);
      };

      await tab.visit('/console/signin', 'signin');
      await ui.tokenInput(page).waitFor();
      await audit('signin');
      await signIn(tab, analyst.token, analyst.name);
      for (const p of pages()) {
        await tab.visit(p.path, `${p.name}-loading`);
        await p.ready(page);
        await p.then?.(page);
        await audit(p.name);
      }
      writeFileSync(join(ARTIFACTS, `a11y-${theme}-axe.json`), JSON.stringify({ violations: report, contrast_undecided: undecided }, null, 2));
      console.log(`# ${theme}: contrast undecided by axe on ${Object.values(undecided).flat().length} elements (${join(ARTIFACTS, `a11y-${theme}-axe.json`)})`);
      const lesser = Object.entries(report).flatMap(([name, vs]) => vs.filter((v) => !blocking([v]).length).map((v) => `${name}: ${v.id} (${v.impact})`));
      if (lesser.length) console.log(`# ${theme}: moderate or minor, not failing: ${lesser.join('; ')}`);
      assert.ok(problems.length === 0, `axe (WCAG 2.x A/AA and best practices) in the ${theme} theme:\n${problems.join('\n')}`);
    });
  }

  it("in a forced-colours mode (Windows contrast themes) the focused grid's active row and the timeline's dots still show", async () => {
    const tab = await openConsole(browser, server.base, 'a11y-forced-colors', { forcedColors: 'active' });
    tabs.push(tab);
    const { page } = tab;
    await signIn(tab, analyst.token, analyst.name);
    await tab.visit('/console/alerts', 'forced-alerts');
    await ui.alertRows(page).first().waitFor();
    await ui.alertsGrid(page).focus();
    await page.keyboard.press('ArrowDown');
    const outline = await page.locator('.grid-row.active').evaluate((el) => {
      const style = (globalThis as unknown as { getComputedStyle(e: unknown): { outlineStyle: string; outlineWidth: string } }).getComputedStyle(el);
      return `${style.outlineStyle} ${style.outlineWidth}`;
    });
    assert.equal(outline, 'solid 2px', 'the active row is outlined: its background and shadow are gone in this mode');
    await tab.shot('forced-alerts-active-row');

    await tab.visit(`/console/incidents/${seed.alerts[0]!.incidentId}`, 'forced-incident');
    const dot = await ui.timelineItems(ui.timeline(page)).first().evaluate((el) => {
      const g = globalThis as unknown as { getComputedStyle(e: unknown, pseudo: string): { backgroundColor: string; forcedColorAdjust: string } };
      const before = g.getComputedStyle(el, '::before');
      return { background: before.backgroundColor, adjust: before.forcedColorAdjust };
    });
    assert.equal(dot.adjust, 'none', JSON.stringify(dot));
    assert.notEqual(dot.background, 'rgba(0, 0, 0, 0)', `the dot keeps its colour: ${JSON.stringify(dot)}`);
    await tab.shot('forced-incident-timeline');
  });

  it('keyboard only: sign in, Tab to the alerts grid, arrow keys move, Enter opens an alert, and back to the alerts', async () => {
    const tab = await openConsole(browser, server.base, 'a11y-keyboard');
    tabs.push(tab);
    const { page } = tab;
    const focused = () =>
      page.evaluate(() => {
        const el = (globalThis as unknown as { document: { activeElement: { getAttribute(n: string): string | null; tagName: string; textContent: string | null } | null } }).document.activeElement;
        return el ? { tag: el.tagName.toLowerCase(), role: el.getAttribute('role'), label: el.getAttribute('aria-label') ?? el.getAttribute('id') ?? '', text: (el.textContent ?? '').trim().slice(0, 40), active: el.getAttribute('aria-activedescendant') } : null;
      });
    /** Presses Tab until `want` holds for the focused element; fails naming the path the focus took. */
    const tabTo = async (what: string, want: (f: NonNullable<Awaited<ReturnType<typeof focused>>>) => boolean, max = 60) => {
      const path: string[] = [];
      for (let i = 0; i < max; i++) {
        await page.keyboard.press('Tab');
        const f = await focused();
        if (f && want(f)) return i + 1;
        path.push(f ? `${f.tag}${f.role ? `[${f.role}]` : ''} ${f.label || f.text}` : '(nothing)');
      }
      assert.fail(`${what}: not reached in ${max} Tabs; the focus went ${path.join(' → ')}`);
    };

    await tab.visit('/console/alerts', 'keyboard-signin');
    await page.waitForURL(/\/console\/signin/);
    await tabTo('the Token field', (f) => f.label === 'token');
    await page.keyboard.type(analyst.token);
    await page.keyboard.press('Enter');
    await ui.whoami(page).filter({ hasText: analyst.name }).waitFor();
    await page.waitForURL(/\/console\/alerts/);
    await ui.alertRows(page).first().waitFor();

    const presses = await tabTo('the alerts grid', (f) => f.role === 'grid' && f.label === 'Alerts');
    console.log(`# the alerts grid is ${presses} Tab presses from the top of the page`);
    await tab.shot('keyboard-grid-focused');
    const rowIdOf = async (activeId: string | null) => (activeId ? page.locator(`[id="${activeId}"]`).getAttribute('data-alert-id') : null);
    const first = (await focused())!;
    const rowIds = await ui.alertRows(page).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-alert-id')));
    assert.equal(await rowIdOf(first.active), rowIds[0], 'the first row is the active one');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('ArrowUp');
    const moved = (await focused())!;
    assert.equal(await rowIdOf(moved.active), rowIds[1], 'two down and one up: the second row');
    assert.match((await page.locator(`[id="${moved.active}"]`).getAttribute('class')) ?? '', /\bactive\b/, 'the active row is drawn as such');
    await tab.shot('keyboard-row-2');

    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`/console/alerts/${encodeURIComponent(rowIds[1]!)}$`));
    await page.getByRole('heading', { level: 1 }).waitFor();
    await tab.shot('keyboard-alert-opened');
    assert.equal(await page.title(), `Alert ${rowIds[1]} · Bulwark`, 'the document title names the page');
    assert.deepEqual(await focused().then((f) => [f?.tag, f?.label]), ['main', 'main'], "the focus moved to the opened page's content, not back to the top");

    // Back: the page's own "Alerts" link (in the breadcrumbs): the first Tab from the content, followed with Enter.
    assert.equal(await tabTo('a link back to the alerts', (f) => f.tag === 'a' && f.text === 'Alerts'), 1);
    await page.keyboard.press('Enter');
    await page.waitForURL(/\/console\/alerts$/);
    await ui.alertRows(page).first().waitFor();
    assert.equal(await page.title(), 'Alerts · Bulwark');
    await tabTo('the alerts grid again', (f) => f.role === 'grid' && f.label === 'Alerts');
    assert.equal(await rowIdOf((await focused())!.active), rowIds[1], 'back on the row that was opened, not at the top');
    await page.keyboard.press('ArrowDown');
    assert.equal(await rowIdOf((await focused())!.active), rowIds[2], 'and the arrow keys go on from there');
    await tab.shot('keyboard-back');
  });
});
