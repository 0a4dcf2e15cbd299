/**
 * Acceptance for self-registering decoders: a toy protocol defined in a fixture (`fixtures/toy-decoder.ts`) and added
 * to a registry with one line gets its route (methods, path parameters, declared query/header parameters, body limit,
 * source gate, success status), its dispatch — inline and on a decode thread — and its README row, with nothing else
 * touched. The app is the collector's ingest router on a real SQLite store, driven over real HTTP.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { pino } from 'pino';
import { loadConfig } from '@bulwark/config';
import { errorHandler, mintToken, notFound } from '@bulwark/http';
import { DECODERS, endpointRows, textId, withEndpointRows, type DecoderRegistry } from '@bulwark/ingest';
import { openCore, type Core } from '@bulwark/runtime';
import { inlineDecoder, threadDecoder, type Decoder } from '../src/decoder.js';
import { elasticProductHeader } from '../src/es-routes.js';
import { ingestRouter } from '../src/ingest-router.js';
import { TOY_DATASET, TOY_DECODERS } from './fixtures/toy-decoder.js';

interface App {
  url: string;
  close(): Promise<void>;
}

/** The collector's ingest routes for `registry`, as the collector app mounts them, on a loopback port. */
async function serve(core: Core, decoder: Decoder, registry: DecoderRegistry): Promise<App> {
  const app = express();
  app.use(elasticProductHeader);
  app.use(ingestRouter(core, decoder, registry));
  app.use(notFound);
  app.use(errorHandler(core.logger));
  const server: Server = app.listen(0, '127.0.0.1');
  await new Promise<void>((resolve) => server.once('listening', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await decoder.close();
    },
  };
}

describe('a decoder registered with one registry line', () => {
  let dir: string;
  let core: Core;
  let shipper: string;
  let falcoOnly: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-toy-decoder-'));
    core = await openCore(loadConfig({ BULWARK_DATA_DIR: dir, BULWARK_SQLITE_SYNCHRONOUS: 'NORMAL' }), pino({ level: 'silent' }));
    const minted = mintToken('toy-shipper', ['ingest']);
    const restricted = mintToken('falco-node', ['ingest'], undefined, ['falco']);
    await core.tokens.put(minted.stored);
    await core.tokens.put(restricted.stored);
    shipper = minted.secret;
    falcoOnly = restricted.secret;
  });
  after(async () => {
    await core.lifetime.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (url: string, path: string, body: string, token = shipper, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain', ...headers }, body });

  for (const [mode, makeDecoder] of [['inline', () => inlineDecoder()], ['on a decode thread', () => threadDecoder(1)]] as const) {
    it(`serves its route and dispatches to it ${mode}: the events are stored with the route's provenance`, async () => {
      const app = await serve(core, makeDecoder(), TOY_DECODERS);
      try {
        const channel = mode === 'inline' ? 'blue' : 'green';
        const res = await post(app.url, `/v1/ingest/toy/${channel}?mood=happy`, 'first line\n\nsecond line\n');
        assert.equal(res.status, 202, await res.clone().text());
        assert.deepEqual(await res.json(), { accepted: 2, created: 2, duplicates: 0, rejected: 0 });
        const stored = await core.store.get(textId(channel, 'second line'));
        assert.ok(stored, 'the toy event is in the store');
        assert.equal(stored.message, 'second line');
        assert.equal(stored.event.dataset, TOY_DATASET);
        assert.deepEqual(stored.labels, { channel, mood: 'happy' });
        const provenance = (stored.bulwark as { provenance: Record<string, unknown> }).provenance;
        assert.equal(provenance.route, '/v1/ingest/toy/{channel}');
        assert.equal(provenance.protocol, 'toy');
        assert.equal(provenance.source, 'logs');
      } finally {
        await app.close();
      }
    });
  }

  it('reads declared parameters from their other source, takes every declared method, and applies its limits and source gate', async () => {
    const app = await serve(core, inlineDecoder(), TOY_DECODERS);
    try {
      const viaHeader = await fetch(`${app.url}/v1/ingest/toy/red`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${shipper}`, 'content-type': 'text/plain', 'x-toy-mood': 'grumpy' },
        body: 'by header\n',
      });
      assert.equal(viaHeader.status, 202);
      assert.deepEqual((await core.store.get(textId('red', 'by header')))?.labels, { channel: 'red', mood: 'grumpy' });

      const tooBig = await post(app.url, '/v1/ingest/toy/red', 'x'.repeat(300));
      assert.equal(tooBig.status, 413, 'the descriptor limit (256 bytes) is below the configured 50 MiB');
      assert.equal(((await tooBig.json()) as { error: { code: string } }).error.code, 'BWK_INGEST_TOO_LARGE');

      const gated = await post(app.url, '/v1/ingest/toy/red', 'forged\n', falcoOnly);
      assert.equal(gated.status, 403);
      const err = ((await gated.json()) as { error: { code: string; details: Record<string, unknown> } }).error;
      assert.equal(err.code, 'BWK_AUTH_SOURCE_FORBIDDEN');
      assert.deepEqual(err.details.route_sources, ['logs']);
      assert.equal(await core.store.get(textId('red', 'forged')), null);
    } finally {
      await app.close();
    }
  });

  it('without its registry line the route does not exist, and the built-in routes are unchanged', async () => {
    const app = await serve(core, inlineDecoder(), DECODERS);
    try {
      assert.equal((await post(app.url, '/v1/ingest/toy/blue', 'line\n')).status, 404);
      const events = await post(app.url, '/v1/ingest/events', JSON.stringify({ message: 'built-in' }), shipper, { 'content-type': 'application/json' });
      assert.equal(events.status, 200);
    } finally {
      await app.close();
    }
  });

  it("its README row is generated with the others: one more row after the built-in decoders' rows", () => {
    const readme = readFileSync(new URL('../../../README.md', import.meta.url), 'utf8');
    const rows = endpointRows(TOY_DECODERS);
    assert.deepEqual(rows.slice(0, -1), endpointRows(DECODERS));
    assert.equal(rows.at(-1), '| `POST\\|PUT /v1/ingest/toy/{channel}` | ingest | toy lines, one event per line; speaks for `logs` | <!-- decoder:toy -->');
    const lines = withEndpointRows(readme, rows).split('\n');
    const toyAt = lines.indexOf(rows.at(-1)!);
    assert.equal(lines[toyAt - 1], endpointRows(DECODERS).at(-1));
    assert.match(lines[toyAt + 1]!, /^\| `GET \/v1\/search/, 'still inside the endpoint table');
  });
});
