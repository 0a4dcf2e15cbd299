// services: process
/**
 * The image and docker-compose.yml run for real under podman (test/deploy/README.md), driven by `npm run test:deploy`
 * (test/deploy/run.sh builds the image first and runs this file; not named *.test.ts, so `npm test` leaves it out:
 * it needs minutes of image builds). Each stack gets its own compose project, loopback ports and volumes, removed at
 * the end.
 *
 *   image    the built image runs with a read-only root filesystem as uid 1000 under tini, healthy, drains on SIGTERM
 *   default  the embedded all-in-one: the breach's incident through the composed stack; down and up keep everything
 *   scale    OpenSearch, Redis, 2 collectors behind the balancer, api, 2 correlators, 2 responders behind the
 *            balancer the api forwards the runs API to: the same, and the runs API answers through the api's port
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { attack, expectAttackIncident, USER, type GetJson } from '../support/attack.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));
const COMPOSE = join(root, 'test/deploy/compose.sh');
const IMAGE = process.env.BULWARK_IMAGE ?? 'localhost/bulwark:latest';
const TOKEN = `bwk_e2e_${randomBytes(24).toString('hex')}`;
const tmp = mkdtempSync(join(tmpdir(), 'bwk-compose-e2e-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const elapsed = (t0: number) => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const note = (msg: string) => console.log(`# ${msg}`);

async function sh(cmd: string, args: string[]): Promise<string> {
  try {
    return (await run(cmd, args, { cwd: root, maxBuffer: 64 << 20 })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`${cmd} ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(1000);
  }
  throw new Error(`${what}: not within ${timeoutMs / 1000}s${last ? ` (last: ${last instanceof Error ? last.message : String(last)})` : ''}`);
}

function api(base: string): { get: GetJson; post: (path: string, body: unknown, type?: string) => Promise<unknown> } {
  const headers = { authorization: `Bearer ${TOKEN}` };
  return {
    get: async <T>(path: string) => {
      const res = await fetch(base + path, { headers });
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as T;
    },
    post: async (path, body, type = 'application/json') => {
      const res = await fetch(base + path, { method: 'POST', headers: { ...headers, 'content-type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });
      const text = await res.text();
      if (res.status !== 200 && res.status !== 201) throw new Error(`POST ${path}: ${res.status} ${text}`);
      return JSON.parse(text) as unknown;
    },
  };
}

/** One compose project on docker-compose.yml, with its own env file (the token, the ports). */
class Stack {
  readonly envFile: string;
  constructor(
    readonly project: string,
    readonly profiles: string[],
    env: Record<string, string | number>,
    readonly upArgs: string[] = [],
  ) {
    this.envFile = join(tmp, `${project}.env`);
    writeFileSync(this.envFile, Object.entries({ BULWARK_BOOTSTRAP_TOKEN: TOKEN, BULWARK_IMAGE: IMAGE, ...env }).map(([k, v]) => `${k}=${v}`).join('\n') + '\n', { mode: 0o600 });
  }
  compose(...args: string[]): Promise<string> {
    return sh(COMPOSE, ['-p', this.project, '--env-file', this.envFile, '-f', join(root, 'docker-compose.yml'), ...this.profiles.flatMap((p) => ['--profile', p]), ...args]);
  }
  async containers(): Promise<string[]> {
    const out = await sh('podman', ['ps', '-a', '--filter', `label=com.docker.compose.project=${this.project}`, '--format', '{{.Names}}']);
    return out.split('\n').filter(Boolean).sort();
  }
  /** `up -d`, then every container of the project healthy. */
  async up(expected: number, timeoutMs: number): Promise<void> {
    const t0 = Date.now();
    await this.compose('up', '-d', '--no-build', ...this.upArgs);
    const names = await this.containers();
    assert.equal(names.length, expected, `containers of ${this.project}: ${names.join(', ')}`);
    await until(`${this.project}: every container healthy`, timeoutMs, async () => {
      const states = await Promise.all(names.map(async (n) => `${n}=${(await sh('podman', ['inspect', '-f', '{{.State.Health.Status}}', n])).trim()}`));
      return states.every((s) => s.endsWith('=healthy')) ? true : (last = states.join(' '), undefined);
    }).catch(async (err: Error) => {
      throw new Error(`${err.message}\n${last}\n${await this.logs()}`);
    });
    note(`${this.project}: ${names.length} containers healthy ${elapsed(t0)} after up`);
  }
  async logs(): Promise<string> {
    return this.compose('logs', '--no-color', '--tail=30').catch((e: Error) => e.message);
  }
  async down(removeVolumes: boolean): Promise<void> {
    const t0 = Date.now();
    await this.compose('down', ...(removeVolumes ? ['-v'] : []), '-t', '30');
    note(`${this.project}: down${removeVolumes ? ' -v' : ''} in ${elapsed(t0)}`);
  }
}
let last = '';

const bulkBody = (marker: string, n: number) =>
  Array.from({ length: n }, (_, i) => [
    JSON.stringify({ create: { _index: 'logs-shop-default', _id: `${marker}-${i}` } }),
    JSON.stringify({ '@timestamp': new Date(Date.now() - 60_000).toISOString(), message: `${marker} order=${i}`, kubernetes: { namespace: 'shop' } }),
  ].join('\n')).join('\n') + '\n';

interface Snapshot {
  auditEvents: string[];
  logEvents: string[];
  alerts: string[];
  incidents: string[];
  alertCount: number;
}

async function snapshot(get: GetJson, marker: string): Promise<Snapshot> {
  const ids = async (q: string) =>
    (await get<{ hits: { event: { id: string } }[] }>(`/v1/search?q=${encodeURIComponent(q)}&from=now-1d&size=500`)).hits.map((h) => h.event.id).sort();
  const incidents = (await get<{ items: { id: string; alert_count: number; entity: { value: string } }[] }>('/v1/incidents?size=100')).items.filter((i) => i.entity.value === USER);
  const alerts = (await get<{ items: { id: string }[] }>('/v1/alerts?size=100')).items.map((a) => a.id).sort();
  return {
    auditEvents: await ids(`user.name:"${USER}"`),
    logEvents: await ids(marker),
    alerts,
    incidents: incidents.map((i) => i.id).sort(),
    alertCount: incidents.reduce((n, i) => n + i.alert_count, 0),
  };
}

/**
 * The breach and 50 logs into `ingestUrl`, the incident and every record read back through `apiUrl`; then the stack
 * goes down (volumes kept) and up again, and the same records are there, once; a shipper's retry of the same batches
 * after the restart adds nothing.
 */
async function breachSurvivesRestart(stack: Stack, expected: number, ingestUrl: string, apiUrl: string, timeoutMs: number): Promise<void> {
  const ingest = api(ingestUrl);
  const read = api(apiUrl);
  const marker = `composee2e${randomBytes(4).toString('hex')}`;
  let t0 = Date.now();
  await ingest.post('/v1/ingest/k8s-audit', attack);
  const bulk = (await ingest.post('/_bulk', bulkBody(marker, 50), 'application/x-ndjson')) as { errors: boolean };
  assert.equal(bulk.errors, false, JSON.stringify(bulk).slice(0, 500));
  const { incident } = await expectAttackIncident(read.get, timeoutMs);
  note(`${stack.project}: the breach's critical incident ${incident.id} via the API ${elapsed(t0)} after sending`);
  const before = await until('every event searchable', 30_000, async () => {
    const s = await snapshot(read.get, marker);
    return s.auditEvents.length === attack.items.length && s.logEvents.length === 50 ? s : undefined;
  });

  await stack.down(false);
  await stack.up(expected, timeoutMs);
  t0 = Date.now();
  const afterRestart = await until('the API answers after the restart', 60_000, () => snapshot(read.get, marker));
  assert.deepEqual(afterRestart, before, 'events, alerts and incident after down/up are exactly those before');
  await expectAttackIncident(read.get, 5_000);

  // A shipper that never saw its acknowledgement sends again: nothing is stored twice, no alert is raised twice.
  await ingest.post('/v1/ingest/k8s-audit', attack);
  await ingest.post('/_bulk', bulkBody(marker, 50), 'application/x-ndjson').catch(() => undefined); // 409 items: already stored
  await sleep(5_000);
  assert.deepEqual(await snapshot(read.get, marker), before, 'a re-sent batch after the restart duplicates nothing');
  note(`${stack.project}: nothing lost, nothing duplicated across down/up (${before.auditEvents.length} audit events, ${before.logEvents.length} logs, ${before.alerts.length} alerts, 1 incident) ${elapsed(t0)}`);
}

describe('Bulwark under podman: image and docker-compose.yml', { concurrency: false }, () => {
  test('the image runs read-only as uid 1000 under tini, serves /healthz, passes its HEALTHCHECK and drains on SIGTERM', async () => {
    const port = await freePort();
    const name = `bwk-deploy-e2e-image-${randomBytes(3).toString('hex')}`;
    try {
      const t0 = Date.now();
      await sh('podman', ['run', '-d', '--pull=never', '--name', name, '--read-only', '--tmpfs', '/tmp', '-p', `127.0.0.1:${port}:8080`, '-e', `BULWARK_BOOTSTRAP_TOKEN=${TOKEN}`, IMAGE]);
      const base = `http://127.0.0.1:${port}`;
      await until('/healthz', 120_000, async () => ((await fetch(`${base}/healthz`)).ok ? true : undefined));
      note(`image: /healthz ${elapsed(t0)} after podman run`);
      await sh('podman', ['healthcheck', 'run', name]);
      const pid1 = (await sh('podman', ['exec', name, 'cat', '/proc/1/cmdline'])).split('\0').join(' ');
      assert.match(pid1, /^\/usr\/bin\/tini /, 'tini is PID 1');
      assert.equal((await sh('podman', ['exec', name, 'id', '-u'])).trim(), '1000');
      // Writes land in the data volume: the root filesystem is read-only, and the store works.
      await api(base).post('/v1/ingest/events', { message: 'read-only root filesystem', tags: ['e2e'] });
      await assert.rejects(sh('podman', ['exec', name, 'touch', '/app/x']), /Read-only file system/);
      const t1 = Date.now();
      await sh('podman', ['stop', '-t', '30', name]);
      const code = (await sh('podman', ['inspect', '-f', '{{.State.ExitCode}}', name])).trim();
      assert.equal(code, '0', 'SIGTERM: drained and exited 0');
      assert.ok(Date.now() - t1 < 28_000, `stopped within the drain bound (${elapsed(t1)})`);
      note(`image: SIGTERM -> exit 0 in ${elapsed(t1)}`);
    } finally {
      await sh('podman', ['rm', '-f', '-v', '-t', '0', name]).catch(() => undefined);
    }
  });

  test('default profile: the breach becomes an incident in the composed all-in-one, and down/up loses nothing', async () => {
    const port = await freePort();
    const stack = new Stack(`bwkdeploye2e${randomBytes(3).toString('hex')}`, [], { HOST_PORT: port });
    try {
      await stack.up(1, 180_000);
      const base = `http://127.0.0.1:${port}`;
      await breachSurvivesRestart(stack, 1, base, base, 60_000);
    } finally {
      await stack.down(true).catch((err: Error) => console.error(err.message));
    }
  });

  test('scale profile: OpenSearch, Redis, 2 collectors behind one port, api, 2 correlators, 2 responders; the runs API through the api; the breach and a restart', async () => {
    const ingestPort = await freePort();
    const apiPort = await freePort();
    const stack = new Stack(`bwkdeploye2escale${randomBytes(3).toString('hex')}`, ['scale'], { INGEST_HOST_PORT: ingestPort, API_HOST_PORT: apiPort, HOST_PORT: await freePort() }, ['--scale', 'bulwark=0']);
    try {
      await stack.up(11, 420_000);
      // The console's Runs pages: the responders' runs API through the api's port (api.responder_url → `responders`).
      const status = await api(`http://127.0.0.1:${apiPort}`).get<{ playbooks: number; breaker: { open: string[] } }>('/v1/responder/status');
      assert.ok(status.playbooks > 0, `the responders' bundled playbooks, through the api: ${JSON.stringify(status)}`);
      await api(`http://127.0.0.1:${apiPort}`).get('/v1/runs');
      await breachSurvivesRestart(stack, 11, `http://127.0.0.1:${ingestPort}`, `http://127.0.0.1:${apiPort}`, 120_000);
    } finally {
      await stack.down(true).catch((err: Error) => console.error(err.message));
    }
  });
});
