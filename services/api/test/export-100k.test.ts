// services: process
/**
 * `GET /v1/export` at size on the embedded store: 100,000 events arrive complete and in order (no cap), a client that
 * reads slowly is served page by page as it drains (backpressure), and one that goes away stops the paging at once.
 * Declared `process` for its ~20 s of ingest and export, which the unit run must not carry.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import type { LogStore } from '@bulwark/store';
import { startExplorerApp, type ExplorerApp } from './explorer-app.js';
import { filler, T0 } from './explorer-events.js';
import { EXPORT_PAGE } from '../src/export-routes.js';

const EVENTS = 100_000;

describe('export of 100,000 events on the embedded store', () => {
  let app: ExplorerApp;
  let searches = 0;
  before(async () => {
    const counting = (store: LogStore): LogStore =>
      new Proxy(store, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver) as unknown;
          if (prop === 'search') return (...args: Parameters<LogStore['search']>) => (searches++, target.search(...args));
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    app = await startExplorerApp('sqlite', counting);
    await app.append(filler(EVENTS, T0));
  });
  after(() => app?.close());

  it('NDJSON: every event once, newest first', async () => {
    const res = await app.get('/v1/export');
    assert.equal(res.status, 200);
    const text = await res.text();
    const lines = text.trimEnd().split('\n');
    assert.equal(lines.length, EVENTS);
    const ids = lines.map((l) => (JSON.parse(l) as { event: { id: string } }).event.id);
    assert.equal(new Set(ids).size, EVENTS);
    assert.equal(ids[0], `filler-${EVENTS - 1}`);
    assert.equal(ids[EVENTS - 1], 'filler-0');
  });

  it('CSV: a header and one row per event', async () => {
    const text = await (await app.get('/v1/export?format=csv&fields=event.id,labels.batch')).text();
    const rows = text.split('\r\n');
    assert.equal(rows[0], 'event.id,labels.batch');
    assert.equal(rows.length, EVENTS + 2); // header, rows, and the empty string after the last CRLF
    assert.equal(rows[1], `filler-${EVENTS - 1},${(EVENTS - 1) % 7}`);
  });

  it('a client that stops reading holds the export back; one that disconnects ends it', async () => {
    searches = 0;
    const port = new URL(app.url).port;
    const req = request({ host: '127.0.0.1', port, path: '/v1/export', headers: { authorization: `Bearer ${app.alice}` } });
    const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject).end());
    assert.equal(res.statusCode, 200);
    res.pause(); // read nothing: the socket buffers fill and the server must wait for 'drain'
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const paused = searches;
    assert.ok(paused < EVENTS / EXPORT_PAGE / 2, `${paused} pages read while the client read nothing`);
    let received = 0;
    res.on('data', (chunk: Buffer) => (received += chunk.length));
    res.resume();
    await new Promise((resolve) => setTimeout(resolve, 200));
    req.destroy();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const atDisconnect = searches;
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(searches, atDisconnect, 'no page is read after the client went away');
    assert.ok(atDisconnect < EVENTS / EXPORT_PAGE, `${atDisconnect} pages read of ${EVENTS / EXPORT_PAGE}`);
    assert.ok(received > 0);
    assert.equal((await app.get('/v1/search?size=1')).status, 200, 'the server serves on');
  });
});
