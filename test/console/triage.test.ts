// services: process chromium
/**
 * The console's everyday flows done in real Chromium against the real `npm start` process, each outcome confirmed by
 * the API: bulk triage (select several alerts → Acknowledge; others → Close with one resolution; the alerts change and
 * the audit names the person), the alerts grouped by rule with the counts the API gives, the sources page showing a
 * shipper that sends and flagging one that went quiet (a short `ingest.stopped_after`, as
 * test/e2e/ingest-health.test.ts sets it), the theme toggle outliving a reload, and the incident report downloaded as
 * Markdown, HTML and JSON — the HTML one with no script in it, though the incident's alert was named with one.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { launchChromium, openConsole, type ConsoleTab } from './browser.js';
import { startConsoleServer, type ConsoleServer } from './console-server.js';
import { eventually, signIn, ui } from './console-ui.js';
import { postAlerts, seedConsole, type Seed } from './seed.js';

/** Longer than the collector's flush interval (5 s), or a source would look stopped before its counts arrive. */
const STOPPED_AFTER_MS = 10_000;
const HOSTILE = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';

type Alert = { id: string; status: string; resolution?: string | null };
type Audit = { actor: string; action: string; target_id?: string };

describe('console flows in Chromium: bulk triage, grouping, ingestion health, theme, incident report exports', () => {
  const ns = `console-triage-${randomBytes(3).toString('hex')}`;
  let server: ConsoleServer;
  let browser: Browser;
  let seed: Seed;
  let tab: ConsoleTab;

  const get = <T>(path: string) => server.p.get<T>(path, server.people.reader.token);

  before(async () => {
    browser = await launchChromium(); // first: a missing Chromium fails at once, saying how to get it
    server = await startConsoleServer({ env: { BULWARK_INGEST_STOPPED_AFTER: `${STOPPED_AFTER_MS}ms` } });
    seed = await seedConsole(server, ns, ['ext-exec', 'ext-exec', 'ext-secrets', 'ext-exec', 'ext-secrets', 'ext-network']);
    tab = await openConsole(browser, server.base, 'triage');
    await signIn(tab, server.people.responder.token, server.people.responder.name);
  });
  after(async () => {
    await tab?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  const select = async (page: Page, ids: string[]) => {
    for (const id of ids) await page.getByRole('checkbox', { name: `Select alert ${id}`, exact: true }).check();
    await page.getByText(`${ids.length} selected`).first().waitFor();
  };
  const auditOf = async (id: string) => (await get<{ items: Audit[] }>(`/v1/audit?target_id=${encodeURIComponent(id)}&size=50`)).items;

  it('bulk: selected alerts are acknowledged, then others closed with one resolution; the API and the audit name the person', async () => {
    const { page } = tab;
    await tab.visit('/console/alerts', 'alerts');
    await ui.alertRows(page).nth(seed.alerts.length - 1).waitFor();
    const [a, b, c, d, untouched] = seed.alerts.map((x) => x.id);

    await select(page, [a!, b!]);
    await tab.shot('two-selected');
    await page.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await page.getByRole('status').filter({ hasText: /acknowledge: 2 updated/ }).waitFor();
    for (const id of [a!, b!]) {
      assert.equal((await get<Alert>(`/v1/alerts/${id}`)).status, 'acknowledged', id);
      const audit = (await auditOf(id)).find((r) => r.action === 'alert.acknowledge');
      assert.equal(audit?.actor, server.people.responder.name, `the audit names who acknowledged ${id}: ${JSON.stringify(audit)}`);
    }
    // The table shows it too, and the selection is cleared for the next action.
    await eventually('the rows show acknowledged', async () => /acknowledged/.test(await page.locator(`[data-testid="alert-row"][data-alert-id="${a}"]`).innerText()));
    await page.getByText('0 selected').first().waitFor();

    const resolution = 'false positive: the nightly load test';
    await select(page, [c!, d!]);
    await page.getByRole('textbox', { name: 'Resolution', exact: true }).fill(resolution);
    await page.getByRole('button', { name: 'Close', exact: true }).click();
    await page.getByRole('status').filter({ hasText: /close: 2 updated/ }).waitFor();
    await tab.shot('closed');
    for (const id of [c!, d!]) {
      const alert = await get<Alert>(`/v1/alerts/${id}`);
      assert.deepEqual([alert.status, alert.resolution], ['resolved', resolution], id);
      const audit = (await auditOf(id)).find((r) => r.action === 'alert.close');
      assert.equal(audit?.actor, server.people.responder.name, `the audit names who closed ${id}: ${JSON.stringify(audit)}`);
    }
    assert.equal((await get<Alert>(`/v1/alerts/${untouched}`)).status, 'open', 'an alert not selected is left alone');
    assert.deepEqual((await auditOf(untouched!)).filter((r) => r.actor === server.people.responder.name), [], 'and no change of it is audited');
  });

  it('group by rule shows one row per rule with the counts the API gives; picking a group lists its alerts', async () => {
    const { page } = tab;
    await tab.visit('/console/alerts', 'alerts-before-grouping');
    await page.getByLabel('Group by').selectOption('rule');
    await page.waitForURL(/[?&]group=rule/);
    const api = (await get<{ groups: Array<{ key: string; count: number }> }>('/v1/alerts/groups?by=rule')).groups;
    assert.deepEqual(api.map((g) => [g.key, g.count]).sort(), [['ext-exec', 3], ['ext-network', 1], ['ext-secrets', 2]], 'the API counts the seeded alerts');
    const rows = page.getByTestId('alert-group');
    await eventually('a row per group', async () => (await rows.count()) === api.length);
    await tab.shot('grouped-by-rule');
    for (const g of api) {
      const cells = await page.locator(`[data-testid="alert-group"][data-group-key="${g.key}"] td`).allInnerTexts();
      assert.equal(Number(cells[1]), g.count, `${g.key}: ${JSON.stringify(cells)}`);
    }

    const exec = api.find((g) => g.key === 'ext-exec')!;
    await page.locator('[data-testid="alert-group"][data-group-key="ext-exec"]').getByRole('button').click();
    await page.waitForURL(/[?&]rule=ext-exec/);
    await eventually('the rule’s alerts only', async () => (await ui.alertRows(page).count()) === exec.count);
    const listed = new Set(await ui.alertRows(page).evaluateAll((rs) => rs.map((r) => r.getAttribute('data-alert-id'))));
    assert.deepEqual(listed, new Set(seed.alerts.filter((x) => x.rule === 'ext-exec').map((x) => x.id)));
  });

  it('the sources page shows a sending shipper with its counts and flags one that stopped, by itself', async () => {
    const live = await server.p.mint('shipper-live', ['ingest']);
    const quiet = await server.p.mint('shipper-quiet', ['ingest']);
    const send = (token: string, n: number) =>
      server.p.fetch('/v1/ingest/events', {
        method: 'POST',
        token,
        headers: { 'content-type': 'application/x-ndjson' },
        body: `${Array.from({ length: n }, (_, i) => JSON.stringify({ '@timestamp': new Date().toISOString(), message: `health ${i}`, event: { dataset: 'app.health' } })).join('\n')}\n`,
      });
    assert.equal((await send(quiet.token, 3)).status, 200);
    // The live shipper keeps sending while the page is watched; the quiet one sent once and no more.
    let sending = true;
    const keepSending = (async () => {
      while (sending) {
        await send(live.token, 2);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    })();
    try {
      const { page } = tab;
      await tab.visit('/console/sources', 'sources');
      const row = (name: string) => page.getByTestId('source-row').filter({ hasText: name });
      await eventually('both shippers on the page, receiving', async () =>
        (await row('shipper-live').getAttribute('data-stopped')) === 'false' && (await row('shipper-quiet').getAttribute('data-stopped')) === 'false', 20_000, 250);
      await tab.shot('sources-receiving');
      const quietApi = (await get<{ items: Array<{ token_name: string; events_total: number }> }>('/v1/sources')).items.find((s) => s.token_name === 'shipper-quiet');
      assert.equal(quietApi?.events_total, 3);
      assert.match(await row('shipper-quiet').innerText(), /receiving[\s\S]*\/v1\/ingest\/events[\s\S]*shipper-quiet[\s\S]*\b3\b/);

      await eventually('the quiet shipper flagged stopped, the live one not', async () =>
        (await row('shipper-quiet').getAttribute('data-stopped')) === 'true' && (await row('shipper-live').getAttribute('data-stopped')) === 'false', 40_000, 500);
      assert.match(await row('shipper-quiet').innerText(), /stopped/);
      await tab.shot('sources-one-stopped');
    } finally {
      sending = false;
      await keepSending;
    }
  });

  it('the theme toggle outlives a reload, over the system preference', async () => {
    // A system that prefers dark: the console starts dark, the toggle makes it light and a reload keeps it light.
    const themed = await openConsole(browser, server.base, 'triage-theme', { colorScheme: 'dark' });
    try {
      const { page } = themed;
      await signIn(themed, server.people.reader.token, server.people.reader.name);
      const look = () =>
        page.evaluate(() => {
          const d = (globalThis as unknown as { document: { documentElement: { dataset: { theme?: string } }; body: unknown } }).document;
          const getComputedStyle = (globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } }).getComputedStyle;
          return { theme: d.documentElement.dataset.theme ?? null, background: getComputedStyle(d.body).backgroundColor };
        });
      const DARK_BG = 'rgb(15, 18, 22)';
      const LIGHT_BG = 'rgb(247, 248, 250)';
      assert.deepEqual(await look(), { theme: null, background: DARK_BG }, 'the system preference, no choice stored');
      await themed.shot('theme-system-dark');

      await page.getByRole('button', { name: 'Toggle theme', exact: true }).click();
      assert.deepEqual(await look(), { theme: 'light', background: LIGHT_BG });
      await page.reload({ waitUntil: 'networkidle' });
      await ui.whoami(page).waitFor();
      assert.deepEqual(await look(), { theme: 'light', background: LIGHT_BG }, 'still light after a reload');
      await themed.shot('theme-light-after-reload');

      await page.getByRole('button', { name: 'Toggle theme', exact: true }).click();
      await page.goto(themed.url('/console/sources'), { waitUntil: 'networkidle' });
      await ui.whoami(page).waitFor();
      assert.deepEqual(await look(), { theme: 'dark', background: DARK_BG }, 'dark again after a full page load');
    } finally {
      await themed.close();
    }
  });

  it('the incident report downloads as Markdown, HTML and JSON; the HTML has no script though the alert was named with one', async () => {
    const [hostile] = await postAlerts(server, [
      {
        id: `${ns}-hostile`,
        rule: { id: 'ext-hostile', name: `Exec ${HOSTILE}`, level: 'high', tags: [] },
        severity: 'high',
        group_key: `${ns}/hostile`,
        entity: { kind: 'workload', namespace: ns, value: 'hostile-1' },
        event_ids: seed.eventIds.slice(0, 2),
        first_seen: new Date().toISOString(),
        last_seen: new Date().toISOString(),
        source: 'api',
      },
    ]);
    const incident = await get<{ id: string; title: string }>(`/v1/incidents/${hostile!.incidentId}`);
    assert.ok(incident.title.includes('<script>'), `the title carries the alert's name: ${incident.title}`);

    const { page } = tab;
    await tab.visit(`/console/incidents/${incident.id}`, 'incident-hostile');
    await page.getByRole('heading', { level: 1, name: incident.title }).waitFor();
    assert.equal(await page.evaluate(() => (globalThis as unknown as { __pwned?: number }).__pwned ?? null), null, 'the page itself ran nothing');
    const download = async (name: 'Export Markdown' | 'Export HTML' | 'Export JSON') => {
      const [file] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name, exact: true }).click()]);
      assert.equal(await file.failure(), null, name);
      return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
    };

    const md = await download('Export Markdown');
    assert.equal(md.name, `incident-${incident.id}.md`);
    assert.match(md.text, /^# /m, 'a Markdown heading');
    assert.ok(md.text.replace(/\\(.)/g, '$1').includes(`**Incident:** ${incident.id}`), 'names the incident');
    assert.doesNotMatch(md.text, /(^|[^\\])<(script|img)/im, 'every < of the name is escaped in Markdown too');

    const html = await download('Export HTML');
    assert.equal(html.name, `incident-${incident.id}.html`);
    assert.match(html.text, /^<!doctype html>/i);
    assert.doesNotMatch(html.text, /<script/i, 'no script element in the text');
    // Parsed as a browser parses it (a fresh context, the report's own policy aside): the name is text, and no
    // element or attribute could run code.
    const viewer = await browser.newContext({ bypassCSP: true });
    try {
      const view = await viewer.newPage();
      await view.setContent(html.text);
      const parsed = await view.evaluate(() => {
        type El = { tagName: string; getAttributeNames(): string[]; getAttribute(n: string): string | null };
        const d = (globalThis as unknown as { document: { title: string; querySelectorAll(s: string): El[] } }).document;
        const all = [...d.querySelectorAll('*')];
        return {
          title: d.title,
          scripts: d.querySelectorAll('script, iframe, object, embed, img').length,
          handlers: all.flatMap((e) => e.getAttributeNames().filter((n) => n.startsWith('on')).map((n) => `${e.tagName}@${n}`)),
          jsUrls: all.filter((e) => /^\s*javascript:/i.test(e.getAttribute('href') ?? e.getAttribute('src') ?? '')).length,
          pwned: (globalThis as unknown as { __pwned?: number }).__pwned ?? null,
        };
      });
      assert.ok(parsed.title.includes(HOSTILE), `the name is shown as text: ${parsed.title}`);
      assert.deepEqual([parsed.scripts, parsed.handlers, parsed.jsUrls, parsed.pwned], [0, [], 0, null], 'nothing that runs code');
    } finally {
      await viewer.close();
    }

    const json = await download('Export JSON');
    assert.equal(json.name, `incident-${incident.id}.json`);
    const report = JSON.parse(json.text) as { incident: { id: string; title: string }; timeline: { lanes: Array<{ id: string; items: unknown[] }> } };
    assert.equal(report.incident.id, incident.id);
    assert.equal(report.incident.title, incident.title, 'JSON keeps the title exactly');
    assert.ok(report.timeline.lanes.find((l) => l.id === 'alerts')?.items.length, 'with the timeline');
  });
});
