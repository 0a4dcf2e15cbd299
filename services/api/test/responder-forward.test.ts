/**
 * The api's forwarding of the runs API (responder-forward.ts) against real local HTTP servers standing in for a
 * responder in the states a real one cannot be put in on demand: answering, refusing connections, never answering,
 * breaking off mid-answer. The real api and responder processes together: test/e2e/console-scale-mode.test.ts.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { ConfigSchema } from '@bulwark/config';
import { errorHandler, notFound, type HttpDeps } from '@bulwark/http';
import { isResponderRoute, responderForward } from '../src/responder-forward.js';
import { startRecordingServer, type RecordingServer } from '../../../test/support/recording-server.js';

type Logged = { fields: Record<string, unknown>; msg: string };

function captureLogger(logged: Logged[]): HttpDeps['logger'] {
  const push = (fields: Record<string, unknown>, msg: string) => logged.push({ fields, msg });
  return { warn: push, error: push, info: push, debug: () => {} } as unknown as HttpDeps['logger'];
}

/** An api-shaped app: the forwarder, then a route of the api's own, then the catalogue's 404 and error rendering. */
async function startApi(responderUrl: string | undefined, timeout = '2s', logged: Logged[] = []): Promise<{ url: string; close(): Promise<void> }> {
  const config = ConfigSchema.parse({ api: { ...(responderUrl ? { responder_url: responderUrl } : {}), responder_timeout: timeout } });
  const logger = captureLogger(logged);
  const app = express();
  app.use(responderForward({ config, logger }));
  app.get('/v1/search', (_req, res) => res.json({ served_by: 'api' }));
  app.use(notFound);
  app.use(errorHandler(logger));
  return listen(createServer(app));
}

async function listen(server: Server): Promise<{ url: string; close(): Promise<void> }> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

/** A port nothing listens on (bound, then closed). */
async function deadPort(): Promise<number> {
  const s = await listen(createServer());
  const port = Number(new URL(s.url).port);
  await s.close();
  return port;
}

describe('isResponderRoute', () => {
  it('claims the runs API and nothing beside it', () => {
    for (const p of ['/v1/runs', '/v1/runs/r1/approve', '/v1/playbooks', '/v1/playbooks/x/run', '/v1/actions', '/v1/responder/status', '/v1/responder/breaker/reset']) {
      assert.equal(isResponderRoute(p), true, p);
    }
    for (const p of ['/v1/runsx', '/v1/audit', '/v1/evidence/e1', '/v1/search', '/v1/responders', '/console/runs']) assert.equal(isResponderRoute(p), false, p);
  });
});

describe('the api forwarding the runs API', () => {
  let responder: RecordingServer;
  let api: { url: string; close(): Promise<void> };
  before(async () => {
    responder = await startRecordingServer();
    api = await startApi(responder.url);
  });
  after(async () => {
    await api?.close();
    await responder?.close();
  });

  it('passes method, path, query, body and every credential header through, Host kept as the browser sent it', async () => {
    responder.reset();
    responder.respond({ status: 200, body: { id: 'r1', status: 'running' }, headers: { 'x-from': 'responder' } });
    const res = await fetch(`${api.url}/v1/runs/r1/approve?step=quarantine`, {
      method: 'POST',
      headers: {
        cookie: 'bwk_session=bws_secret',
        'x-csrf-token': 'csrf-1',
        origin: api.url,
        authorization: 'Bearer bwk_tok',
        'content-type': 'application/json',
      },
      body: JSON.stringify({ comment: 'go' }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-from'), 'responder');
    assert.deepEqual(await res.json(), { id: 'r1', status: 'running' });
    const [got] = await responder.waitFor(1);
    assert.equal(got!.method, 'POST');
    assert.equal(got!.path, '/v1/runs/r1/approve?step=quarantine');
    assert.deepEqual(got!.body, { comment: 'go' });
    assert.equal(got!.headers.cookie, 'bwk_session=bws_secret');
    assert.equal(got!.headers['x-csrf-token'], 'csrf-1');
    assert.equal(got!.headers.origin, api.url);
    assert.equal(got!.headers.authorization, 'Bearer bwk_tok');
    assert.equal(got!.headers.host, new URL(api.url).host, 'the Host the browser sent, which its Origin is checked against');
  });

  it('streams a large body both ways without a limit of its own', async () => {
    responder.reset();
    const big = 'x'.repeat(8 * 1024 * 1024);
    responder.respond((req) => ({ status: 200, body: { received: req.rawBody.length }, headers: {} }));
    const res = await fetch(`${api.url}/v1/playbooks/p/run`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: big });
    assert.deepEqual(await res.json(), { received: big.length });
    responder.respond({ status: 200, body: big });
    const back = await fetch(`${api.url}/v1/actions`);
    assert.equal((await back.text()).length, big.length);
  });

  it('forwards the responder\'s own errors unchanged, and leaves the api\'s routes alone', async () => {
    responder.reset();
    responder.respond({ status: 404, body: { error: { code: 'BWK_NOT_FOUND', message: 'no run "nope"' } } });
    const res = await fetch(`${api.url}/v1/runs/nope`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { error: { code: string } }).error.code, 'BWK_NOT_FOUND');
    assert.deepEqual(await (await fetch(`${api.url}/v1/search`)).json(), { served_by: 'api' });
    assert.equal(responder.requests.length, 1, 'the api\'s own route never reached the responder');
  });
});

describe('the api when the responder fails', () => {
  const closers: Array<() => Promise<void>> = [];
  after(async () => {
    for (const close of closers) await close();
  });

  it('no responder configured: 503 BWK_RESPONDER_NOT_CONFIGURED naming the setting, not a 404', async () => {
    const api = await startApi(undefined);
    closers.push(api.close);
    for (const [method, path] of [['GET', '/v1/runs'], ['POST', '/v1/runs/r1/approve'], ['GET', '/v1/responder/status']] as const) {
      const res = await fetch(`${api.url}${path}`, { method });
      assert.equal(res.status, 503, path);
      const body = (await res.json()) as { error: { code: string; message: string; details: { setting: string } } };
      assert.equal(body.error.code, 'BWK_RESPONDER_NOT_CONFIGURED');
      assert.equal(body.error.details.setting, 'api.responder_url');
      assert.match(body.error.message, /BULWARK_API_RESPONDER_URL/);
    }
    assert.equal((await fetch(`${api.url}/v1/search`)).status, 200);
  });

  it('a responder that refuses connections: 502 BWK_RESPONDER_UNREACHABLE at once, with Retry-After, nothing secret logged', async () => {
    const logged: Logged[] = [];
    const port = await deadPort();
    const api = await startApi(`http://127.0.0.1:${port}`, '10s', logged);
    closers.push(api.close);
    const t0 = Date.now();
    const res = await fetch(`${api.url}/v1/runs`, { headers: { authorization: 'Bearer bwk_secret_token', cookie: 'bwk_session=bws_secret' } });
    assert.ok(Date.now() - t0 < 2_000, `answered in ${Date.now() - t0} ms`);
    assert.equal(res.status, 502);
    assert.equal(res.headers.get('retry-after'), '5');
    const body = (await res.json()) as { error: { code: string; details: { responder: string; reason: string } } };
    assert.equal(body.error.code, 'BWK_RESPONDER_UNREACHABLE');
    assert.deepEqual(body.error.details, { responder: `127.0.0.1:${port}`, reason: 'ECONNREFUSED' });
    assert.equal(logged.length, 1);
    assert.equal(logged[0]!.fields.responder, `127.0.0.1:${port}`);
    assert.doesNotMatch(JSON.stringify(logged), /bwk_secret_token|bws_secret/);
  });

  it('a responder that never answers: 504 BWK_RESPONDER_TIMEOUT after api.responder_timeout, not a hang', async () => {
    const silent = await listen(createServer(() => {})); // takes the request, never answers
    closers.push(silent.close);
    const api = await startApi(silent.url, '300ms');
    closers.push(api.close);
    const t0 = Date.now();
    const res = await fetch(`${api.url}/v1/runs/r1/approve`, { method: 'POST', body: '{}' });
    const took = Date.now() - t0;
    assert.equal(res.status, 504);
    assert.ok(took >= 250 && took < 3_000, `answered after ${took} ms`);
    const body = (await res.json()) as { error: { code: string; details: { timeout_ms: number } } };
    assert.equal(body.error.code, 'BWK_RESPONDER_TIMEOUT');
    assert.equal(body.error.details.timeout_ms, 300);
    // The api still serves, and a later request to the same dead-silent responder times out the same way.
    assert.equal((await fetch(`${api.url}/v1/runs`)).status, 504);
  });

  it('a responder that breaks off mid-answer: the client\'s connection ends (no hang, no crash)', async () => {
    const breaking = await listen(
      createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"items":[');
        setTimeout(() => res.socket?.destroy(), 50);
      }),
    );
    closers.push(breaking.close);
    const api = await startApi(breaking.url, '5s');
    closers.push(api.close);
    const outcome = await new Promise<string>((resolve) => {
      const req = request(`${api.url}/v1/runs`, (res) => {
        res.on('data', () => {});
        res.on('end', () => resolve('ended'));
        res.on('error', () => resolve('broken'));
        res.on('aborted', () => resolve('broken'));
      });
      req.on('error', () => resolve('broken'));
      req.setTimeout(4_000, () => resolve('hung'));
      req.end();
    });
    assert.equal(outcome, 'broken');
    assert.equal((await fetch(`${api.url}/v1/search`)).status, 200, 'the api lives on');
  });
});
