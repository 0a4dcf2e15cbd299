/**
 * The console's static bundle at `/console/` (console-static.ts) from a bundle directory made here (an index.html and
 * a hashed asset): every console answer carries the Content-Security-Policy, nosniff and no-referrer; hashed assets are
 * cached for a year, index.html revalidated; an unknown page answers index.html (client routing) but a missing asset
 * 404s; nothing outside the bundle is reachable; `GET /` from a browser goes to `/console/` while the Elasticsearch
 * probe's `GET /` reaches the next router unchanged; without a built bundle the console answers 503 saying what to do.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import { pino } from 'pino';
import { CONSOLE_CSP, consoleRouter, errorHandler, notFound, type ConsoleRouterOptions } from '../src/index.js';

const INDEX = '<!doctype html><html><head><script type="module" src="/console/assets/index-abc123.js"></script></head><body></body></html>';
const ASSET = 'console.log("console");';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8';

async function serve(options: ConsoleRouterOptions): Promise<{ url: string; close(): Promise<void> }> {
  const app = express();
  app.use(consoleRouter(options));
  // What the collector's Elasticsearch surface answers at `GET /` in the all-in-one app.
  app.get('/', (_req, res) => void res.json({ tagline: 'You Know, for Search' }));
  app.use(notFound);
  app.use(errorHandler(pino({ level: 'silent' })));
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

function assertConsoleHeaders(res: Response, what: string): void {
  assert.equal(res.headers.get('content-security-policy'), CONSOLE_CSP, what);
  assert.equal(res.headers.get('x-content-type-options'), 'nosniff', what);
  assert.equal(res.headers.get('referrer-policy'), 'no-referrer', what);
}

describe('the console bundle at /console/', () => {
  let dir: string;
  let app: Awaited<ReturnType<typeof serve>>;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-console-'));
    mkdirSync(join(dir, 'bundle', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'bundle', 'index.html'), INDEX);
    writeFileSync(join(dir, 'bundle', 'assets', 'index-abc123.js'), ASSET);
    writeFileSync(join(dir, 'bundle', 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    writeFileSync(join(dir, 'secret.txt'), 'outside the bundle');
    app = await serve({ bundleDir: join(dir, 'bundle') });
  });
  after(async () => {
    await app?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('serves index.html with the CSP, nosniff, no referrer and no-cache', async () => {
    const res = await fetch(`${app.url}/console/`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), INDEX);
    assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
    assertConsoleHeaders(res, 'index');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.equal(CONSOLE_CSP, "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
  });

  it('caches hashed assets for a year and other files not at all', async () => {
    const asset = await fetch(`${app.url}/console/assets/index-abc123.js`);
    assert.equal(asset.status, 200);
    assert.equal(await asset.text(), ASSET);
    assert.match(asset.headers.get('content-type') ?? '', /javascript/);
    assert.equal(asset.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assertConsoleHeaders(asset, 'asset');
    const icon = await fetch(`${app.url}/console/favicon.svg`);
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get('cache-control'), 'no-cache');
    assertConsoleHeaders(icon, 'favicon');
  });

  it('answers index.html for client routes, 404 for a missing asset, and nothing outside the bundle', async () => {
    for (const path of ['/console/alerts?status=open&group=rule', '/console/incidents/inc-1', '/console/signin', '/console/index.html']) {
      const res = await fetch(`${app.url}${path}`);
      assert.equal(res.status, 200, path);
      assert.equal(await res.text(), INDEX, path);
      assert.equal(res.headers.get('cache-control'), 'no-cache', path);
      assertConsoleHeaders(res, path);
    }
    const missing = await fetch(`${app.url}/console/assets/index-old999.js`);
    assert.equal(missing.status, 404);
    assert.equal(((await missing.json()) as any).error.code, 'BWK_ROUTE_NOT_FOUND');
    assertConsoleHeaders(missing, 'missing asset');
    for (const path of ['/console/../secret.txt', '/console/%2e%2e/secret.txt', '/console/assets/%2e%2e/%2e%2e/secret.txt']) {
      const res = await fetch(`${app.url}${path}`);
      assert.ok(!(await res.text()).includes('outside the bundle'), path);
    }
    const post = await fetch(`${app.url}/console/alerts`, { method: 'POST' });
    assert.equal(post.status, 404, 'the console is only read');
  });

  it('redirects /console to /console/, keeping the query', async () => {
    const res = await fetch(`${app.url}/console?x=1`, { redirect: 'manual' });
    assert.equal(res.status, 301);
    assert.equal(res.headers.get('location'), '/console/?x=1');
  });

  it('sends a browser\'s GET / to /console/ and leaves the Elasticsearch probe alone', async () => {
    const browser = await fetch(`${app.url}/`, { headers: { accept: BROWSER_ACCEPT }, redirect: 'manual' });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), '/console/');
    for (const accept of [undefined, '*/*', 'application/json', 'application/vnd.elasticsearch+json; compatible-with=8']) {
      const probe = await fetch(`${app.url}/`, { headers: accept ? { accept } : {}, redirect: 'manual' });
      assert.equal(probe.status, 200, `Accept: ${accept}`);
      assert.deepEqual(await probe.json(), { tagline: 'You Know, for Search' }, `Accept: ${accept}`);
    }
    const head = await fetch(`${app.url}/`, { method: 'POST', headers: { accept: BROWSER_ACCEPT }, redirect: 'manual' });
    assert.notEqual(head.status, 302, 'only GET is redirected');
  });
});

describe('the console without a built bundle', () => {
  it('answers 503 BWK_CONSOLE_NOT_BUILT naming npm run build, with the console headers', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-console-empty-'));
    for (const options of [{ bundleDir: null }, { bundleDir: dir }]) {
      const app = await serve(options);
      try {
        const res = await fetch(`${app.url}/console/alerts`);
        assert.equal(res.status, 503);
        const body = (await res.json()) as any;
        assert.equal(body.error.code, 'BWK_CONSOLE_NOT_BUILT');
        assert.match(body.error.message, /npm run build/);
        assertConsoleHeaders(res, 'not built');
      } finally {
        await app.close();
      }
    }
    rmSync(dir, { recursive: true, force: true });
  });
});
