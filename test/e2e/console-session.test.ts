// services: process
/**
 * Console sessions against the real `npm start` process (docs/ARCHITECTURE.md, "Console sessions"): people sign in
 * with tokens minted through the API and act through the cookie alone. Separation of duties sees the token behind the
 * session: the person who started a run through a session can approve it neither through a session nor with a bearer
 * token, a read-only session cannot approve, a second person's session can (with the CSRF token, not without). The
 * cookie is refused on `/_bulk`; revoking a token ends its session; sessions are not listed as tokens. The process also
 * answers a browser's `GET /` with the console and the Elasticsearch probe as before, and with `server.tls` the cookie
 * is Secure.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONSOLE_CSP, defaultBundleDir } from '@bulwark/http';
import { startBulwark, type BulwarkProcess } from '../support/bulwark-process.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { createCa, writePem } from '../support/tls-certs.js';
import { tlsRequest } from '../support/tls-client.js';
import { until } from '../support/until.js';
import { APPROVED_CALL } from '../support/playbooks.js';

const BROWSER_ACCEPT = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

interface Session {
  cookie: string;
  csrf: string;
  body: any;
}

describe('console sessions on npm start', () => {
  let p: BulwarkProcess;
  let hook: RecordingServer;
  let dir: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-console-e2e-'));
    mkdirSync(join(dir, 'playbooks'));
    writeFileSync(join(dir, 'playbooks', 'call-out.yml'), APPROVED_CALL);
    hook = await startRecordingServer();
    p = await startBulwark({
      configYaml: [
        'responder:',
        `  playbooks_dir: '${join(dir, 'playbooks')}'`,
        "  http: { allow_hosts: ['127.0.0.1'], allow_cidrs: ['127.0.0.0/8'] }",
        '',
      ].join('\n'),
    });
  });
  after(async () => {
    await p?.stop();
    await hook?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const signIn = async (token: string): Promise<Session> => {
    const res = await p.fetch('/v1/session', { token: null, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
    const body = (await res.json()) as any;
    assert.equal(res.status, 201, JSON.stringify(body));
    return { cookie: res.headers.getSetCookie()[0]!.split(';')[0]!, csrf: body.csrf_token, body };
  };
  /** A request authenticated by the session cookie alone (with its CSRF token unless `csrf: false`). */
  const asSession = async (s: Session, method: string, path: string, body?: unknown, csrf = true) => {
    const headers: Record<string, string> = { cookie: s.cookie, 'content-type': 'application/json' };
    if (csrf) headers['x-csrf-token'] = s.csrf;
    const res = await p.fetch(path, { token: null, method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as any) : null };
  };

  it('keeps separation of duties through sessions: the requester cannot approve, a read-only session cannot, a second person can', async () => {
    const bob = await p.mint('bob', ['read', 'respond', 'approve']);
    const carol = await p.mint('carol', ['read']);
    const alice = await p.mint('alice', ['read', 'approve']);
    const bobs = await signIn(bob.token);
    assert.equal(bobs.body.token_id, bob.id);

    const started = await asSession(bobs, 'POST', '/v1/playbooks/call-out/run', { inputs: { base: hook.url } });
    assert.equal(started.status, 202, JSON.stringify(started.body));
    const runId: string = started.body.id;
    await until('the run waits for approval', async () => (await asSession(bobs, 'GET', `/v1/runs/${runId}`)).body.status === 'waiting_approval' || undefined, 15_000, 100);

    const selfBySession = await asSession(bobs, 'POST', `/v1/runs/${runId}/approve`, { comment: 'me' });
    assert.equal(selfBySession.status, 403, JSON.stringify(selfBySession.body));
    assert.equal(selfBySession.body.error.code, 'BWK_SELF_APPROVAL');
    const selfByToken = await p.fetch(`/v1/runs/${runId}/approve`, { token: bob.token, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    assert.equal(selfByToken.status, 403);
    assert.equal(((await selfByToken.json()) as any).error.code, 'BWK_SELF_APPROVAL', 'the session and the token are one person');

    const readOnly = await asSession(await signIn(carol.token), 'POST', `/v1/runs/${runId}/approve`, {});
    assert.equal(readOnly.status, 403);
    assert.equal(readOnly.body.error.code, 'BWK_AUTH_FORBIDDEN');

    const alices = await signIn(alice.token);
    const forged = await asSession(alices, 'POST', `/v1/runs/${runId}/approve`, {}, false);
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error.code, 'BWK_CSRF_INVALID');
    assert.equal(hook.requests.length, 0, 'nothing ran before a valid approval');
    const approved = await asSession(alices, 'POST', `/v1/runs/${runId}/approve`, { comment: 'looked at it' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await hook.waitFor(1);
    const run = await until('the run succeeds', async () => {
      const r = (await asSession(alices, 'GET', `/v1/runs/${runId}`)).body;
      return r.status === 'succeeded' ? r : undefined;
    }, 15_000, 100);
    assert.equal(run.steps[0].approval.decided_by, 'alice');
  });

  it('ends the session of a revoked token and lists no session as a token', async () => {
    const dave = await p.mint('dave', ['read']);
    const s = await signIn(dave.token);
    assert.equal((await asSession(s, 'GET', '/v1/session')).status, 200);
    const listed = (await p.get<{ items: Array<{ id: string; name: string }> }>('/v1/tokens')).items;
    assert.ok(listed.some((t) => t.id === dave.id));
    assert.equal(listed.filter((t) => t.name === 'dave').length, 1, 'the session is not listed as a token');
    assert.equal((await p.fetch(`/v1/tokens/${dave.id}`, { method: 'DELETE' })).status, 204);
    const refused = await asSession(s, 'GET', '/v1/alerts');
    assert.equal(refused.status, 401);
    assert.equal(refused.body.error.code, 'BWK_AUTH_INVALID');
  });

  it('refuses a sign-in with an ingest-only token, and the cookie on /_bulk', async () => {
    const shipper = await p.mint('shipper', ['ingest']);
    const res = await p.fetch('/v1/session', { token: null, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: shipper.token }) });
    assert.equal(res.status, 403);
    assert.equal(res.headers.getSetCookie().length, 0);
    const admin = await signIn(p.admin);
    const bulk = '{"create":{}}\n{"message":"through a session?"}\n';
    const refused = await p.fetch('/_bulk', { token: null, method: 'POST', headers: { cookie: admin.cookie, 'x-csrf-token': admin.csrf, 'content-type': 'application/x-ndjson' }, body: bulk });
    assert.equal(refused.status, 401);
    const accepted = await p.fetch('/_bulk', { token: shipper.token, method: 'POST', headers: { 'content-type': 'application/x-ndjson' }, body: bulk });
    assert.equal(accepted.status, 200, 'the same request with the shipper\'s token is taken');
  });

  it("sends a browser's GET / to the console and answers the Elasticsearch probe as before", async () => {
    const browser = await p.fetch('/', { token: null, headers: { accept: BROWSER_ACCEPT }, redirect: 'manual' });
    assert.equal(browser.status, 302);
    assert.equal(browser.headers.get('location'), '/console/');
    const shipper = await p.mint('probe', ['ingest']);
    for (const accept of [undefined, 'application/json', '*/*']) {
      const probe = await p.fetch('/', { token: shipper.token, headers: accept ? { accept } : {}, redirect: 'manual' });
      assert.equal(probe.status, 200, `Accept: ${accept}`);
      assert.equal(probe.headers.get('x-elastic-product'), 'Elasticsearch');
      assert.ok(((await probe.json()) as any).version.number, `Accept: ${accept}`);
    }
    const console = await p.fetch('/console/alerts?status=open', { token: null });
    for (const [header, value] of [['content-security-policy', CONSOLE_CSP], ['x-content-type-options', 'nosniff'], ['referrer-policy', 'no-referrer']]) {
      assert.equal(console.headers.get(header!), value, header);
    }
    // Built by @bulwark/console at npm install; where that package is absent the console says how to build it.
    const bundle = await defaultBundleDir();
    if (bundle && existsSync(join(bundle, 'index.html'))) {
      assert.equal(console.status, 200);
      assert.match(console.headers.get('content-type') ?? '', /^text\/html/);
    } else {
      assert.equal(console.status, 503);
      assert.equal(((await console.json()) as any).error.code, 'BWK_CONSOLE_NOT_BUILT');
    }
  });
});

describe('console sessions on npm start over TLS', () => {
  it('sets the cookie Secure on the HTTPS port and on the plain port beside it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-console-tls-'));
    const ca = await createCa();
    const files = writePem(dir, 'server', await ca.issue({ cn: 'bulwark', ips: ['127.0.0.1'] }));
    const p = await startBulwark({ configYaml: ['server:', `  tls: { cert_file: '${files.certFile}', key_file: '${files.keyFile}', http_port: 0 }`, ''].join('\n') });
    try {
      const body = JSON.stringify({ token: p.admin });
      const secure = await tlsRequest(p.tlsPort!, '/v1/session', { ca: ca.cert, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(secure.status, 201, secure.body);
      const cookie = String(secure.headers['set-cookie']?.[0] ?? '');
      const attributes = cookie.split(';').map((a) => a.trim());
      for (const attribute of ['Secure', 'HttpOnly', 'SameSite=Strict', 'Path=/']) assert.ok(attributes.includes(attribute), `${attribute} in ${cookie}`);
      const whoami = await tlsRequest(p.tlsPort!, '/v1/session', { ca: ca.cert, headers: { cookie: cookie.split(';')[0]! } });
      assert.equal(whoami.status, 200);
      assert.equal(JSON.parse(whoami.body).name, 'bootstrap-admin');
      const plain = await p.fetch('/v1/session', { token: null, method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.ok(plain.headers.getSetCookie()[0]!.split(';').map((a) => a.trim()).includes('Secure'), 'a plain port beside TLS never carries the session in clear');
    } finally {
      await p.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
