// services: process chromium
/**
 * The console's explorer in real Chromium against the real `npm start` process, over 100,000 events a log shipper
 * sent through `_bulk` (the Elasticsearch surface, as Filebeat or Vector would): a query that does not parse is shown
 * with its position (the API's own), a valid one lists events; brushing the histogram sets the time range (the URL's
 * from/to, and the results narrow to it); a value in the field sidebar filters the results in; "Show context" shows
 * the events around one; and an NDJSON export of all 100,000 events arrives complete, counted line by line from the
 * file the browser downloaded.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Browser } from 'playwright-core';
import { launchChromium, openConsole, type ConsoleTab } from './browser.js';
import { startConsoleServer, type ConsoleServer } from './console-server.js';
import { eventually, signIn, ui } from './console-ui.js';

const TOTAL = 100_000;
const BATCH = 10_000;
const SERVICES = ['cart', 'payments', 'search', 'auth', 'shipping'];
const OUTCOMES = ['accepted', 'declined', 'timeout', 'retried'];
/** The events span the last 100 minutes, one every 60 ms. */
const SPAN_MS = 100 * 60_000;

type Hit = { event: { id: string }; '@timestamp': string; message: string; service?: { name?: string }; kubernetes?: { namespace?: string } };

describe('console explorer in Chromium over 100,000 events: syntax errors, histogram brush, field filter, context, export', () => {
  const ns = `explore-${randomBytes(3).toString('hex')}`;
  const base = `kubernetes.namespace:${ns}`;
  let server: ConsoleServer;
  let browser: Browser;
  let tab: ConsoleTab;
  let from = '';
  let to = '';

  const event = (id: string) => server.p.get<Hit>(`/v1/events/${encodeURIComponent(id)}`, server.people.reader.token);
  const urlParam = (name: string) => new URL(tab.page.url()).searchParams.get(name);
  const rowIds = () => ui.eventRows(tab.page).evaluateAll((rows) => rows.map((r) => r.getAttribute('data-event-id') ?? ''));
  const explore = (q: string, range = { from, to }) => `/console/explore?${new URLSearchParams({ q, from: range.from, to: range.to })}`;

  /** 100,000 shop events through `_bulk` in batches, as a shipper sends them; every item must be created. */
  async function ingest(): Promise<void> {
    const start = Date.now() - SPAN_MS;
    for (let offset = 0; offset < TOTAL; offset += BATCH) {
      const lines: string[] = [];
      for (let i = offset; i < offset + BATCH; i++) {
        lines.push('{"create":{"_index":"logs-shop-default"}}');
        lines.push(JSON.stringify({
          '@timestamp': new Date(start + i * (SPAN_MS / TOTAL)).toISOString(),
          message: `checkout ${OUTCOMES[i % OUTCOMES.length]} order=${i}`,
          service: { name: SERVICES[i % SERVICES.length] },
          http: { response: { status_code: i % 10 === 0 ? 500 : 200 } },
          kubernetes: { namespace: ns, pod: { name: `shop-${i % 7}` } },
        }));
      }
      const res = await server.p.fetch('/_bulk', { method: 'POST', token: server.people.shipper, headers: { 'content-type': 'application/x-ndjson' }, body: `${lines.join('\n')}\n` });
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { errors: boolean; items: Array<{ create: { status: number } }> };
      assert.equal(body.errors, false);
      assert.equal(body.items.filter((i) => i.create.status === 201).length, BATCH);
    }
    from = new Date(start - 60_000).toISOString();
    to = new Date(Date.now() + 60_000).toISOString();
  }

  before(async () => {
    browser = await launchChromium(); // first: a missing Chromium fails at once, saying how to get it
    server = await startConsoleServer();
    const t0 = Date.now();
    await ingest();
    console.log(`# ${TOTAL} events through _bulk in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    tab = await openConsole(browser, server.base, 'explorer');
    await signIn(tab, server.people.reader.token, server.people.reader.name);
  });
  after(async () => {
    await tab?.close().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  it('a query with a syntax error shows the error at its position; a valid query lists the events', async () => {
    const { page } = tab;
    await tab.visit(explore(''), 'explore-empty');
    const bad = `${base} AND (service.name:cart`;
    const api = await server.p.fetch(`/v1/search?${new URLSearchParams({ q: bad })}`, { token: server.people.reader.token });
    assert.equal(api.status, 400);
    const apiError = ((await api.json()) as { error: { code: string; details: { position: number } } }).error;
    assert.equal(apiError.code, 'BWK_QUERY_SYNTAX');

    await ui.query(page).fill(bad);
    await ui.query(page).press('Enter');
    const error = ui.queryError(page);
    await error.waitFor({ state: 'visible', timeout: 10_000 });
    assert.equal(await error.getAttribute('role'), 'alert', 'announced to screen readers');
    assert.equal(Number(await error.getAttribute('data-position')), apiError.details.position, 'the position the parser reported');
    await tab.shot('explore-syntax-error');

    await ui.query(page).fill(base);
    await ui.query(page).press('Enter');
    await ui.eventRows(page).first().waitFor({ state: 'visible', timeout: 15_000 });
    assert.equal(await ui.queryError(page).count(), 0, 'the error is gone');
    assert.equal(urlParam('q'), base, 'the query is kept in the URL');
    const first = await event((await rowIds())[0]!);
    assert.equal(first.kubernetes?.namespace, ns);
    await ui.histogram(page).waitFor({ state: 'visible' });
    await tab.shot('explore-results');
  });

  it('brushing the histogram sets the time range: the URL from/to change and the results narrow to it', async () => {
    const { page } = tab;
    await tab.visit(explore(base), 'explore-before-brush');
    await ui.eventRows(page).first().waitFor({ state: 'visible', timeout: 15_000 });
    const newestBefore = (await rowIds())[0]!;
    const box = await ui.histogram(page).boundingBox();
    assert.ok(box && box.width > 100, `the histogram has room to brush: ${JSON.stringify(box)}`);

    // Drag across the middle of the plot, left to right, with intermediate moves as a hand would.
    const y = box.y + box.height / 2;
    await page.mouse.move(box.x + box.width * 0.3, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.45, y, { steps: 8 });
    await page.mouse.move(box.x + box.width * 0.6, y, { steps: 8 });
    await page.mouse.up();
    await eventually('the brush sets from/to in the URL', async () => urlParam('from') !== from && urlParam('to') !== to && urlParam('from') && urlParam('to'));
    const brushed = { from: Date.parse(urlParam('from')!), to: Date.parse(urlParam('to')!) };
    assert.ok(Number.isFinite(brushed.from) && Number.isFinite(brushed.to) && brushed.from < brushed.to, JSON.stringify(brushed));
    assert.ok(brushed.from > Date.parse(from) && brushed.to < Date.parse(to), `inside the old range: ${JSON.stringify({ brushed, from, to })}`);

    // The results are the brushed range's: a new newest event, and every shown event inside the range.
    await eventually('the results follow the brush', async () => {
      const ids = await rowIds();
      return ids.length > 0 && ids[0] !== newestBefore;
    });
    await tab.shot('explore-brushed');
    const count = async (range: { from: string; to: string }) =>
      (await server.p.get<{ total: number }>(`/v1/histogram?${new URLSearchParams({ q: base, ...range })}`, server.people.reader.token)).total;
    assert.equal(await count({ from, to }), TOTAL);
    const inBrush = await count({ from: urlParam('from')!, to: urlParam('to')! });
    assert.ok(inBrush > 0 && inBrush < TOTAL, `the brushed range holds part of the events: ${inBrush}`);
    const ids = (await rowIds()).slice(0, 5);
    for (const id of ids) {
      const at = Date.parse((await event(id))['@timestamp']);
      assert.ok(at >= brushed.from && at <= brushed.to, `${id} at ${new Date(at).toISOString()} inside the brush`);
    }
  });

  it('a value in the field sidebar filters the results in', async () => {
    const { page } = tab;
    await tab.visit(explore(base), 'explore-fields');
    const field = ui.field(page, 'service.name');
    await field.waitFor({ state: 'visible', timeout: 15_000 });
    await field.getByRole('button', { name: 'Filter for payments' }).click();
    await eventually('the filter is in the query', async () => /service\.name/.test(urlParam('q') ?? '') && /payments/.test(urlParam('q') ?? ''));
    await eventually('the rows are the filtered ones', async () => {
      const ids = (await rowIds()).slice(0, 5);
      if (!ids.length) return false;
      const services = await Promise.all(ids.map(async (id) => (await event(id)).service?.name));
      return services.every((s) => s === 'payments');
    });
    await tab.shot('explore-filtered');
  });

  it('"Show context" shows the events around one', async () => {
    const { page } = tab;
    await tab.visit(explore(base), 'explore-context');
    const row = ui.eventRows(page).nth(3);
    await row.waitFor({ state: 'visible', timeout: 15_000 });
    const anchor = await event((await row.getAttribute('data-event-id'))!);
    await row.getByRole('button', { name: 'Show context' }).click();
    const context = ui.context(page);
    await context.waitFor({ state: 'visible', timeout: 15_000 });
    const text = await eventually('the context lists events around the anchor', async () => {
      const t = await context.innerText();
      return (t.match(/order=\d+/g) ?? []).length >= 3 ? t : null;
    });
    assert.ok(text.includes(anchor.message), `the anchor ${anchor.message} is in its context`);
    await tab.shot('explore-context-open');
  });

  it('an NDJSON export of all 100,000 events arrives complete', async () => {
    const { page } = tab;
    await tab.visit(explore(base), 'explore-export');
    await ui.eventRows(page).first().waitFor({ state: 'visible', timeout: 15_000 });
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.getByRole('button', { name: 'Export NDJSON' }).click()]);
    const path = await download.path(); // resolves once the download finished
    assert.equal(await download.failure(), null);
    let lines = 0;
    const ids = new Set<string>();
    for await (const line of createInterface({ input: createReadStream(path), crlfDelay: Infinity })) {
      if (!line) continue;
      const doc = JSON.parse(line) as Hit;
      assert.equal(doc.kubernetes?.namespace, ns);
      ids.add(doc.event.id);
      lines++;
    }
    assert.equal(lines, TOTAL, 'every event, no cap');
    assert.equal(ids.size, TOTAL, 'each once');
    console.log(`# export: ${lines} lines, ${download.suggestedFilename()}`);
  });
});
