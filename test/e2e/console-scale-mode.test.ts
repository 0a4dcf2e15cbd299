// services: opensearch redis process
/**
 * The console in scale mode (docs/ARCHITECTURE.md, "The console in scale mode"): the api (`npm run start:api`) and a
 * responder (`npm run start:responder`) as separate processes on a real OpenSearch and Redis, the api forwarding the
 * runs API to the responder (`api.responder_url`). Everything below goes through the api's origin only, as the
 * console's pages do: people sign in there with a session, list runs, and a second person approves a waiting step
 * with the session's CSRF token (refused without it, and from another origin — the responder checks the Origin
 * against the Host the browser sent, which the api keeps — and so does the compose balancer in front of responders).
 * The requester's own session cannot approve: the responder sees the person behind the forwarded cookie. With the
 * responder gone, the api answers 502 at once.
 */
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireEnv } from '../support/opensearch-node.js';
import { listeningPort } from '../support/process.js';
import { serviceScript } from '../support/npm-script.js';
import { startRecordingServer, type RecordingServer } from '../support/recording-server.js';
import { OPENSEARCH } from '../support/search-engines.js';
import { until } from '../support/until.js';
import { APPROVED_CALL } from '../support/playbooks.js';

const root = fileURLToPath(new URL('../..', import.meta.url));


function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

interface Service {
  child: ChildProcess;
  url: string;
  output(): string;
}

interface Session {
  cookie: string;
  csrf: string;
  tokenId: string;
}

describe('the console in scale mode: the runs API through the api', () => {
  const tag = randomBytes(4).toString('hex');
  const admin = `bootstrap-${tag}-${randomBytes(12).toString('hex')}`;
  let dir: string;
  let hook: RecordingServer;
  let responder: Service;
  let api: Service;
  const started: Service[] = [];

  const env = (): Record<string, string> => ({
    ...OPENSEARCH.storeEnv(`csm${tag}`),
    BULWARK_REDIS_URL: requireEnv('REDIS_URL'),
    BULWARK_BUS_PREFIX: `csm${tag}`,
    BULWARK_BOOTSTRAP_TOKEN: admin,
    BULWARK_PORT: '0',
    BULWARK_HOST: '127.0.0.1',
    BULWARK_SHUTDOWN_DELAY: '0',
    BULWARK_LOG_FORMAT: 'json',
  });

  /** A service started exactly as its npm script starts it, with its own data directory. */
  const start = async (service: 'api' | 'responder', extra: Record<string, string>): Promise<Service> => {
    const script = serviceScript(service);
    const data = mkdtempSync(join(dir, `${service}-`));
    const child = spawn(script.command, script.args, {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env(), BULWARK_DATA_DIR: data, ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const { port } = await listeningPort(child, 90_000);
    const s = { child, url: `http://127.0.0.1:${port}`, output: () => output };
    started.push(s);
    return s;
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'bwk-console-scale-'));
    mkdirSync(join(dir, 'playbooks'));
    writeFileSync(join(dir, 'playbooks', 'call-out.yml'), APPROVED_CALL);
    writeFileSync(
      join(dir, 'responder.yml'),
      ['responder:', `  playbooks_dir: '${join(dir, 'playbooks')}'`, "  http: { allow_hosts: ['127.0.0.1'], allow_cidrs: ['127.0.0.0/8'] }", ''].join('\n'),
    );
    hook = await startRecordingServer();
    // The responder first: the api is told its address at start, as the deployments do with a fixed Service name.
    responder = await start('responder', { BULWARK_CONFIG: join(dir, 'responder.yml') });
    api = await start('api', { BULWARK_API_RESPONDER_URL: responder.url, BULWARK_API_RESPONDER_TIMEOUT: '10s' });
  });

  after(async () => {
    for (const s of started) {
      if (s.child.exitCode !== null || s.child.signalCode !== null) continue;
      const exited = new Promise((resolve) => s.child.once('exit', resolve));
      s.child.kill('SIGTERM');
      const timer = setTimeout(() => s.child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await hook?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** A request to the api's origin, as the console's page makes it: its Origin is the api's. */
  const viaApi = async (path: string, init: { method?: string; session?: Session; csrf?: boolean; origin?: string; bearer?: string; body?: unknown } = {}, to: Service = api) => {
    const headers: Record<string, string> = { 'content-type': 'application/json', origin: init.origin ?? to.url };
    if (init.bearer) headers.authorization = `Bearer ${init.bearer}`;
    if (init.session) {
      headers.cookie = init.session.cookie;
      if (init.csrf !== false) headers['x-csrf-token'] = init.session.csrf;
    }
    const res = await fetch(`${to.url}${path}`, { method: init.method ?? 'GET', headers, ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }) });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as any) : null };
  };

  const mint = async (name: string, scopes: string[]): Promise<string> => {
    const res = await viaApi('/v1/tokens', { method: 'POST', bearer: admin, body: { name, scopes } });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    return res.body.token as string;
  };

  const signIn = async (token: string, to: Service = api): Promise<Session> => {
    const res = await fetch(`${to.url}/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json', origin: to.url }, body: JSON.stringify({ token }) });
    const body = (await res.json()) as any;
    assert.equal(res.status, 201, JSON.stringify(body));
    return { cookie: res.headers.getSetCookie()[0]!.split(';')[0]!, csrf: body.csrf_token, tokenId: body.token_id };
  };

  it('a session made on the api lists runs and playbooks, reads the responder status, and a second person approves a waiting step', async () => {
    const bob = await signIn(await mint('bob', ['read', 'respond', 'approve']));
    const alice = await signIn(await mint('alice', ['read', 'approve']));

    const playbooks = await viaApi('/v1/playbooks', { session: alice });
    assert.equal(playbooks.status, 200, JSON.stringify(playbooks.body));
    assert.deepEqual(playbooks.body.items.map((p: { name: string }) => p.name), ['call-out'], 'the responder\'s playbooks, through the api');
    assert.equal((await viaApi('/v1/responder/status', { session: alice })).body.breaker.open.length, 0);

    const run = await viaApi('/v1/playbooks/call-out/run', { method: 'POST', session: bob, body: { inputs: { base: hook.url } } });
    assert.equal(run.status, 202, JSON.stringify(run.body));
    const runId: string = run.body.id;
    await until('the run waits for approval', async () => (await viaApi(`/v1/runs/${runId}`, { session: alice })).body.status === 'waiting_approval', 20_000, 150);
    const listed = await viaApi('/v1/runs?status=waiting_approval', { session: alice });
    assert.equal(listed.status, 200);
    assert.ok(listed.body.items.some((r: { id: string }) => r.id === runId), 'the waiting run is listed through the api');

    // The responder sees the person behind the forwarded cookie: the requester cannot decide his own step.
    const self = await viaApi(`/v1/runs/${runId}/approve`, { method: 'POST', session: bob, body: { comment: 'me' } });
    assert.equal(self.status, 403, JSON.stringify(self.body));
    assert.equal(self.body.error.code, 'BWK_SELF_APPROVAL');

    const withoutCsrf = await viaApi(`/v1/runs/${runId}/approve`, { method: 'POST', session: alice, csrf: false, body: {} });
    assert.equal(withoutCsrf.status, 403);
    assert.equal(withoutCsrf.body.error.code, 'BWK_CSRF_INVALID');
    const crossOrigin = await viaApi(`/v1/runs/${runId}/approve`, { method: 'POST', session: alice, origin: 'https://evil.example', body: {} });
    assert.equal(crossOrigin.status, 403);
    assert.equal(crossOrigin.body.error.code, 'BWK_CSRF_INVALID');
    assert.equal(hook.requests.length, 0, 'nothing ran before a valid approval');

    const approved = await viaApi(`/v1/runs/${runId}/approve`, { method: 'POST', session: alice, body: { comment: 'looked at it' } });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    await hook.waitFor(1, 20_000);
    const done = await until('the run succeeds', async () => {
      const r = (await viaApi(`/v1/runs/${runId}`, { session: alice })).body;
      return r.status === 'succeeded' ? r : undefined;
    }, 20_000, 150);
    assert.equal(done.steps[0].approval.decided_by, 'alice');
    assert.equal(done.trigger.actor, 'bob');
  });

  it('the api serves its own routes itself and the responder\'s refusals reach the caller unchanged', async () => {
    const carol = await signIn(await mint('carol', ['read']));
    assert.equal((await viaApi('/v1/alerts', { session: carol })).status, 200);
    const missing = await viaApi('/v1/runs/no-such-run', { session: carol });
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error.code, 'BWK_NOT_FOUND');
    const noScope = await viaApi('/v1/responder/breaker/reset', { method: 'POST', session: carol });
    assert.equal(noScope.status, 403);
    assert.equal(noScope.body.error.code, 'BWK_AUTH_FORBIDDEN');
    assert.equal((await viaApi('/v1/runs', {})).status, 401, 'no credentials: refused by the responder');
  });

  it('through the compose balancer in front of the responders (deploy/compose/balancer.mjs), Host still reaches the responder: approvals work', async () => {
    const port = await freePort();
    const balancer = spawn(process.execPath, [join(root, 'deploy/compose/balancer.mjs')], {
      cwd: root,
      env: { PATH: process.env.PATH, BALANCER_BACKENDS: new URL(responder.url).host, BALANCER_PORT: String(port) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    started.push({ child: balancer, url: `http://127.0.0.1:${port}`, output: () => '' });
    await new Promise<void>((resolve, reject) => {
      balancer.stdout!.on('data', (c: Buffer) => c.toString().includes('listening on') && resolve());
      balancer.once('exit', (code) => reject(new Error(`the balancer exited with ${code}`)));
    });
    const viaBalancer = await start('api', { BULWARK_API_RESPONDER_URL: `http://127.0.0.1:${port}` });
    const erin = await signIn(await mint('erin', ['read', 'respond']), viaBalancer);
    const frank = await signIn(await mint('frank', ['read', 'approve']), viaBalancer);
    const run = await viaApi('/v1/playbooks/call-out/run', { method: 'POST', session: erin, body: { inputs: { base: hook.url } } }, viaBalancer);
    assert.equal(run.status, 202, JSON.stringify(run.body));
    await until('the run waits', async () => (await viaApi(`/v1/runs/${run.body.id}`, { session: frank }, viaBalancer)).body.status === 'waiting_approval', 20_000, 150);
    const forged = await viaApi(`/v1/runs/${run.body.id}/approve`, { method: 'POST', session: frank, origin: 'https://evil.example', body: {} }, viaBalancer);
    assert.equal(forged.body.error?.code, 'BWK_CSRF_INVALID');
    const approved = await viaApi(`/v1/runs/${run.body.id}/approve`, { method: 'POST', session: frank, body: {} }, viaBalancer);
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
  });

  it('with the responder gone, the api answers 502 BWK_RESPONDER_UNREACHABLE at once and serves the rest', async () => {
    const dave = await signIn(await mint('dave', ['read']));
    const exited = new Promise((resolve) => responder.child.once('exit', resolve));
    responder.child.kill('SIGKILL');
    await exited;
    const t0 = Date.now();
    const res = await viaApi('/v1/runs', { session: dave });
    const took = Date.now() - t0;
    assert.equal(res.status, 502, JSON.stringify(res.body));
    assert.equal(res.body.error.code, 'BWK_RESPONDER_UNREACHABLE');
    assert.equal(res.headers.get('retry-after'), '5');
    assert.ok(took < 2_000, `answered in ${took} ms`);
    assert.equal((await viaApi('/v1/alerts', { session: dave })).status, 200, 'the api itself still serves');
    assert.match(api.output(), /forwarding to the responder failed/);
    assert.ok(!api.output().includes(dave.cookie.split('=')[1]!), 'the session secret is never logged');
  });
});
