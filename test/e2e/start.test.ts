// services: process
/**
 * The real process as `npm start` runs it: the first start mints an admin token and hands it over once — never on the
 * log stream (stdout here is a pipe, as under a container runtime), but in a 0600 file in the data directory; bad
 * config exits 2; it runs compiled JavaScript, with no TypeScript loader anywhere in the process or its threads.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { listeningPort } from '../support/process.js';
import { attack, expectAttackIncident } from '../support/attack.js';
import { serviceScript } from '../support/npm-script.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BULWARK_')) env[k] = v;
  return { ...env, ...extra };
}

/** Starts the service, waits for its listening line, returns the port, the token it printed (if any), and a stopper. */
async function startProcess(dataDir: string, nodeArgs: string[] = []): Promise<{ port: number; output: string; stop: () => Promise<number | null> }> {
  const start = serviceScript('all-in-one');
  const child = spawn(start.command, [...nodeArgs, ...start.args], {
    cwd: root,
    env: cleanEnv({ BULWARK_DATA_DIR: dataDir, BULWARK_PORT: '0', BULWARK_HOST: '127.0.0.1' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const { port, output } = await listeningPort(child);
  return {
    port,
    output,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', (code) => resolve(code));
        child.kill('SIGTERM');
      }),
  };
}

describe('npm start', () => {
  it('serves with no external service, hands over an admin token once (not on its log stream), detects the attack, shuts down cleanly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-start-'));
    try {
      const started = await startProcess(dir);
      const tokenFile = join(dir, 'initial-admin-token');
      assert.ok(existsSync(tokenFile), `the minted token is in ${tokenFile}`);
      assert.equal(statSync(tokenFile).mode & 0o777, 0o600, 'only the owner can read it');
      const secret = readFileSync(tokenFile, 'utf8').trim();
      assert.match(secret, /^bwk_[A-Za-z0-9_-]{40,}$/);
      assert.ok(!started.output.includes(secret), 'the secret never reaches stdout/stderr (the log stream)');
      assert.match(started.output, /initial-admin-token/, 'the log says where the token is');
      const first = { ...started, token: secret };
      const base = `http://127.0.0.1:${first.port}`;
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      const ingest = await fetch(`${base}/v1/ingest/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${first.token}` },
        body: JSON.stringify({ message: 'hello from the smoke test' }),
      });
      assert.equal(ingest.status, 200);
      // Detection is on out of the box: the attack becomes an incident with the critical correlation alert.
      const attackRes = await fetch(`${base}/v1/ingest/k8s-audit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${first.token}`, 'content-type': 'application/json' },
        body: JSON.stringify(attack),
      });
      assert.equal(attackRes.status, 200);
      await expectAttackIncident(async <T>(path: string): Promise<T> => {
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${first.token}` } });
        assert.equal(res.status, 200);
        return (await res.json()) as T;
      });
      assert.equal(await first.stop(), 0);

      rmSync(tokenFile);
      const second = await startProcess(dir);
      assert.ok(!existsSync(tokenFile), 'no token is minted again once one exists');
      assert.doesNotMatch(second.output, /bwk_/, 'nothing secret printed on a later start');
      const res = await fetch(`http://127.0.0.1:${second.port}/v1/search?q=smoke`, { headers: { authorization: `Bearer ${first.token}` } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as { hits: unknown[] }).hits.length, 1, 'data survives a restart');
      const incidents = await fetch(`http://127.0.0.1:${second.port}/v1/incidents`, { headers: { authorization: `Bearer ${first.token}` } });
      assert.equal(((await incidents.json()) as { items: unknown[] }).items.length, 1, 'the incident survives a restart, none added');
      assert.equal(await second.stop(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('runs compiled JavaScript: no .ts module and no tsx is loaded in the process or its worker threads', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-start-js-'));
    try {
      // Module hooks that refuse any TypeScript file and any import of tsx. `--import` runs in every worker thread
      // too, so the correlator thread, the SQLite writer and the decode pool are held to the same rule.
      const hooks = join(dir, 'refuse-typescript-hooks.mjs');
      writeFileSync(
        hooks,
        `export async function resolve(specifier, context, next) {
  if (/^tsx(\\/|$)/.test(specifier)) throw new Error('tsx imported: ' + specifier + ' from ' + context.parentURL);
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (/\\.[cm]?tsx?$/.test(new URL(url).pathname)) throw new Error('TypeScript loaded: ' + url);
  return next(url, context);
}
`,
      );
      const register = join(dir, 'refuse-typescript.mjs');
      writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hooks).href)});\n`);
      const started = await startProcess(join(dir, 'data'), ['--import', pathToFileURL(register).href]);
      const token = readFileSync(join(dir, 'data', 'initial-admin-token'), 'utf8').trim();
      const base = `http://127.0.0.1:${started.port}`;
      // The attack goes through the decode pool, the store's writer thread and the correlator thread.
      const attackRes = await fetch(`${base}/v1/ingest/k8s-audit`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(attack),
      });
      assert.equal(attackRes.status, 200);
      await expectAttackIncident(async <T>(path: string): Promise<T> => {
        const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
        assert.equal(res.status, 200);
        return (await res.json()) as T;
      });
      assert.doesNotMatch(started.output, /TypeScript loaded|tsx imported/);
      assert.equal(await started.stop(), 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exits 2 listing every configuration problem', () => {
    const start = serviceScript('all-in-one');
    const r = spawnSync(start.command, start.args, {
      cwd: root,
      env: cleanEnv({ BULWARK_PORT: 'http', BULWARK_LOG_LEVEL: 'loud', BULWARK_NOPE: '1' }),
      encoding: 'utf8',
      timeout: 30_000,
    });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /server\.port/);
    assert.match(r.stderr, /log\.level/);
    assert.match(r.stderr, /BULWARK_NOPE/);
  });
});
