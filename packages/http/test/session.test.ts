/**
 * Console sessions (docs/ARCHITECTURE.md, "Console sessions") on a real express app with the real token stores — the
 * embedded SQLite one and the CaseTokenStore scale mode uses (here on the SQLite case store): signing in with a token
 * sets an HttpOnly, SameSite=Strict cookie and answers who is signed in and the CSRF token; the cookie then acts as the
 * token (same id and name, without `ingest`/`metrics`), never on the ingest or metrics routes, never as a bearer token;
 * a state change with it needs the CSRF token and its own origin; revoking the token or signing out ends it; an
 * expired session is refused. Sign-in failures are logged without the secret, and throttled per address.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import express from 'express';
import { pino } from 'pino';
import { loadConfig } from '@bulwark/config';
import { CaseTokenStore, SqliteCaseStore, SqliteTokenStore, type TokenStore } from '@bulwark/store';
import { Authenticator, errorHandler, mintSession, mintToken, sessionRouter } from '../src/index.js';

interface App {
  url: string;
  tokens: TokenStore;
  auth: Authenticator;
  secrets: Record<string, string>;
  ids: Record<string, string>;
  logged: () => string;
  close(): Promise<void>;
}

const PEOPLE: Record<string, string[]> = {
  alice: ['read', 'approve', 'ingest', 'metrics'],
  carol: ['read'],
  shipper: ['ingest'],
  scraper: ['metrics'],
  root: ['admin'],
};

async function startApp(tokens: TokenStore, dir: string): Promise<App> {
  await tokens.init();
  let logged = '';
  const logger = pino({ level: 'info' }, new Writable({ write: (chunk, _enc, done) => ((logged += String(chunk)), done()) }));
  const config = loadConfig({ BULWARK_DATA_DIR: dir });
  const auth = new Authenticator(tokens, 10_000, logger);
  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};
  for (const [name, scopes] of Object.entries(PEOPLE)) {
    const { secret, stored } = mintToken(name, scopes);
    await tokens.put(stored);
    secrets[name] = secret;
    ids[name] = stored.id;
  }
  const app = express();
  app.use(sessionRouter({ config, logger, auth, tokens }));
  const principal = (req: express.Request, res: express.Response) => void res.json(req.principal);
  app.get('/v1/probe', auth.require('read'), principal);
  app.post('/v1/probe', auth.require('respond'), principal);
  app.post('/v1/approve', auth.require('approve'), principal);
  app.post('/_bulk', auth.require('ingest', { esSchemes: true }), principal);
  app.post('/v1/ingest', auth.require('ingest'), principal);
  app.get('/metrics', auth.require('metrics'), principal);
  app.use(errorHandler(logger));
  const server: Server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokens,
    auth,
    secrets,
    ids,
    logged: () => logged,
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await tokens.close();
    },
  };
}

/** Signs in with `token`; answers the status, the body, the Set-Cookie header and the cookie to send back. */
async function signIn(app: App, token: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ token }) });
  const setCookie = res.headers.getSetCookie()[0] ?? '';
  return { status: res.status, body: (await res.json()) as any, setCookie, cookie: setCookie.split(';')[0]! };
}

async function call(app: App, method: string, path: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${app.url}${path}`, { method, headers });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as any) : null, setCookie: res.headers.getSetCookie()[0] ?? '' };
}

const STORES: Array<[string, (dir: string) => TokenStore]> = [
  ['SqliteTokenStore', (dir) => new SqliteTokenStore({ path: join(dir, 'tokens.sqlite') })],
  ['CaseTokenStore', (dir) => new CaseTokenStore(new SqliteCaseStore({ path: join(dir, 'cases.sqlite') }))],
];

for (const [storeName, openStore] of STORES) {
  describe(`console sessions (${storeName})`, () => {
    let dir: string;
    let app: App;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'bwk-session-'));
      app = await startApp(openStore(dir), dir);
    });
    after(async () => {
      await app?.close();
      rmSync(dir, { recursive: true, force: true });
    });

    it('signs in, says who is signed in, and signs out', async () => {
      const before = Date.now();
      const signed = await signIn(app, app.secrets.alice!);
      assert.equal(signed.status, 201, JSON.stringify(signed.body));
      assert.deepEqual(Object.keys(signed.body).sort(), ['csrf_token', 'expires_at', 'name', 'scopes', 'token_id']);
      assert.equal(signed.body.token_id, app.ids.alice);
      assert.equal(signed.body.name, 'alice');
      assert.deepEqual(signed.body.scopes, ['read', 'approve'], 'a session never carries ingest or metrics');
      const ttl = Date.parse(signed.body.expires_at) - before;
      assert.ok(ttl >= 12 * 3_600_000 - 1000 && ttl <= 12 * 3_600_000 + 5000, `default lifetime 12h, got ${ttl} ms`);
      assert.ok(!JSON.stringify(signed.body).includes(signed.cookie.split('=')[1]!), 'the session secret is only in the cookie');

      const whoami = await call(app, 'GET', '/v1/session', { cookie: signed.cookie });
      assert.equal(whoami.status, 200);
      assert.deepEqual(whoami.body, signed.body, 'a reload gets the same session and CSRF token back');
      const probe = await call(app, 'GET', '/v1/probe', { cookie: signed.cookie });
      assert.equal(probe.status, 200);
      assert.equal(probe.body.tokenId, app.ids.alice, 'the cookie acts as the token it was made from');
      assert.equal(probe.body.name, 'alice');
      assert.equal(probe.body.credential, 'session');

      assert.equal((await call(app, 'DELETE', '/v1/session', { cookie: signed.cookie })).status, 403, 'signing out is CSRF-checked');
      const out = await call(app, 'DELETE', '/v1/session', { cookie: signed.cookie, 'x-csrf-token': signed.body.csrf_token });
      assert.equal(out.status, 204);
      assert.match(out.setCookie, /^bwk_session=;/);
      assert.match(out.setCookie, /Expires=Thu, 01 Jan 1970/);
      const after = await call(app, 'GET', '/v1/probe', { cookie: signed.cookie });
      assert.equal(after.status, 401);
      assert.equal(after.body.error.code, 'BWK_AUTH_INVALID');
      assert.equal((await call(app, 'GET', '/v1/session', { cookie: signed.cookie })).status, 401);
      assert.equal((await call(app, 'GET', '/v1/session')).body.error.code, 'BWK_AUTH_MISSING');
      assert.equal((await call(app, 'DELETE', '/v1/session')).status, 204, 'signing out without a session only clears the cookie');
    });

    it('sets the cookie HttpOnly, SameSite=Strict, Path=/ with a Max-Age, not Secure over plain HTTP', async () => {
      const { setCookie } = await signIn(app, app.secrets.carol!);
      const attributes = setCookie.split(';').slice(1).map((a) => a.trim());
      assert.match(setCookie, /^bwk_session=bws_[A-Za-z0-9_-]{43};/);
      assert.ok(attributes.includes('HttpOnly'), setCookie);
      assert.ok(attributes.includes('SameSite=Strict'), setCookie);
      assert.ok(attributes.includes('Path=/'), setCookie);
      assert.ok(attributes.includes(`Max-Age=${12 * 3600}`), setCookie);
      assert.ok(!attributes.includes('Secure'), setCookie);
    });

    it('refuses a wrong token as a bad bearer token is, and a token without a console scope', async () => {
      const wrong = 'bwk_this-is-not-a-token-at-all-0123456789';
      const signed = await signIn(app, wrong);
      const bearer = await call(app, 'GET', '/v1/probe', { authorization: `Bearer ${wrong}` });
      assert.equal(signed.status, 401);
      assert.deepEqual(signed.body, bearer.body, 'the same error as a bad bearer token');
      assert.equal(signed.setCookie, '');
      assert.ok(app.logged().includes('console sign-in refused'), 'the failure is logged');
      assert.ok(!app.logged().includes(wrong), 'without the secret');
      for (const name of ['shipper', 'scraper']) {
        const refused = await signIn(app, app.secrets[name]!);
        assert.equal(refused.status, 403, name);
        assert.equal(refused.body.error.code, 'BWK_AUTH_FORBIDDEN');
        assert.equal(refused.setCookie, '');
      }
    });

    it('ends every session of a revoked token, in every process sharing the store', async () => {
      const { secret, stored } = mintToken('dave', ['read', 'respond']);
      await app.tokens.put(stored);
      const signed = await signIn(app, secret);
      assert.equal((await call(app, 'GET', '/v1/probe', { cookie: signed.cookie })).status, 200);
      // Another process: its own Authenticator on the same store, no cache.
      const elsewhere = new Authenticator(app.tokens, 0);
      const sessionSecret = signed.cookie.slice('bwk_session='.length);
      assert.equal((await elsewhere.verifySession(sessionSecret))?.tokenId, stored.id);
      await app.tokens.revoke(stored.id);
      assert.equal(await elsewhere.verifySession(sessionSecret), null, 'the parent token is checked on every verify');
      app.auth.forget(); // what DELETE /v1/tokens/:id does in this process
      const refused = await call(app, 'GET', '/v1/probe', { cookie: signed.cookie });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.code, 'BWK_AUTH_INVALID');
    });

    it('refuses an expired session', async () => {
      const parent = (await app.tokens.getById(app.ids.carol!))!;
      const old = mintSession(parent, 60_000, new Date(Date.now() - 120_000));
      await app.tokens.put(old.stored);
      const refused = await call(app, 'GET', '/v1/probe', { cookie: `bwk_session=${old.secret}` });
      assert.equal(refused.status, 401);
      assert.equal(refused.body.error.code, 'BWK_AUTH_INVALID');
    });

    it('is never a bearer token, and a token is never a session cookie', async () => {
      const signed = await signIn(app, app.secrets.carol!);
      const sessionSecret = signed.cookie.slice('bwk_session='.length);
      assert.equal((await call(app, 'GET', '/v1/probe', { authorization: `Bearer ${sessionSecret}` })).status, 401);
      assert.equal((await call(app, 'GET', '/v1/probe', { cookie: `bwk_session=${app.secrets.carol}` })).status, 401);
      // A session cannot be exchanged for another session either.
      assert.equal((await signIn(app, sessionSecret)).status, 401);
    });

    it('is not accepted where events are sent or metrics scraped, even for an admin', async () => {
      const signed = await signIn(app, app.secrets.root!);
      const csrf = { cookie: signed.cookie, 'x-csrf-token': signed.body.csrf_token };
      for (const [method, path] of [['POST', '/_bulk'], ['POST', '/v1/ingest'], ['GET', '/metrics']] as const) {
        const refused = await call(app, method, path, csrf);
        assert.equal(refused.status, 401, `${method} ${path}`);
        assert.equal(refused.body.error.code, 'BWK_AUTH_MISSING', `${method} ${path}`);
      }
      assert.equal((await call(app, 'POST', '/_bulk', { authorization: `Bearer ${app.secrets.root}` })).status, 200, 'the token itself still may');
    });

    it('needs the CSRF token and the same origin on every state change made with the cookie', async () => {
      const signed = await signIn(app, app.secrets.root!);
      const cookie = { cookie: signed.cookie };
      const host = new URL(app.url).host;
      const post = (headers: Record<string, string>) => call(app, 'POST', '/v1/probe', { ...cookie, ...headers });
      const refusals: Array<[string, Record<string, string>]> = [
        ['no header', {}],
        ['a wrong token', { 'x-csrf-token': 'x'.repeat(signed.body.csrf_token.length) }],
        ['another session\'s token', { 'x-csrf-token': (await signIn(app, app.secrets.carol!)).body.csrf_token }],
        ['another origin', { 'x-csrf-token': signed.body.csrf_token, origin: 'https://evil.example' }],
        ['an opaque origin', { 'x-csrf-token': signed.body.csrf_token, origin: 'null' }],
        ['a cross-site fetch', { 'x-csrf-token': signed.body.csrf_token, 'sec-fetch-site': 'cross-site' }],
      ];
      for (const [what, headers] of refusals) {
        const refused = await post(headers);
        assert.equal(refused.status, 403, what);
        assert.equal(refused.body.error.code, 'BWK_CSRF_INVALID', what);
      }
      assert.equal((await post({ 'x-csrf-token': signed.body.csrf_token })).status, 200);
      assert.equal((await post({ 'x-csrf-token': signed.body.csrf_token, origin: `http://${host}`, 'sec-fetch-site': 'same-origin' })).status, 200);
      assert.equal((await call(app, 'GET', '/v1/probe', cookie)).status, 200, 'reading needs no CSRF token');
      assert.equal((await call(app, 'POST', '/v1/probe', { authorization: `Bearer ${app.secrets.root}` })).status, 200, 'a bearer token needs none');
    });

    it('keeps the token\'s scopes: a read-only session cannot approve', async () => {
      const signed = await signIn(app, app.secrets.carol!);
      const refused = await call(app, 'POST', '/v1/approve', { cookie: signed.cookie, 'x-csrf-token': signed.body.csrf_token });
      assert.equal(refused.status, 403);
      assert.equal(refused.body.error.code, 'BWK_AUTH_FORBIDDEN');
      const alice = await signIn(app, app.secrets.alice!);
      assert.equal((await call(app, 'POST', '/v1/approve', { cookie: alice.cookie, 'x-csrf-token': alice.body.csrf_token })).status, 200);
    });

    it('signs in only from its own origin, with a JSON body', async () => {
      assert.equal((await signIn(app, app.secrets.carol!, { origin: 'https://evil.example' })).body.error.code, 'BWK_CSRF_INVALID');
      const form = await fetch(`${app.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `token=${app.secrets.carol}` });
      assert.equal(form.status, 400);
      assert.equal(form.headers.getSetCookie().length, 0);
    });
  });
}

describe('console sign-in throttle', () => {
  it('answers 429 with Retry-After after 30 failures from one address, and lets other sign-ins through before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-session-throttle-'));
    const app = await startApp(new SqliteTokenStore({ path: join(dir, 'tokens.sqlite') }), dir);
    try {
      for (let i = 0; i < 30; i++) assert.equal((await signIn(app, `bwk_wrong_${i}`)).status, 401);
      const res = await fetch(`${app.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: app.secrets.carol }) });
      assert.equal(res.status, 429);
      assert.equal(((await res.json()) as any).error.code, 'BWK_SIGNIN_THROTTLED');
      const retryAfter = Number(res.headers.get('retry-after'));
      assert.ok(retryAfter > 0 && retryAfter <= 60, String(retryAfter));
    } finally {
      await app.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
