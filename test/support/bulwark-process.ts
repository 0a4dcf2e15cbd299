/**
 * The real `npm start` process for the adversarial and end-to-end suites: the all-in-one service started as `npm start`
 * starts it (the compiled services/all-in-one/dist/main.js with the script's flags, test/support/npm-script.ts), on a
 * throwaway data directory, a loopback port and a known bootstrap admin token. Tokens for the attacker and for people are minted through the real `/v1/tokens` API.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { listeningPort } from './process.js';
import { serviceScript } from './npm-script.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface BulwarkProcess {
  /** Plain HTTP: the process's port, or with `server.tls` and `http_port` the plain port beside the HTTPS one. */
  url: string;
  port: number;
  /** With `server.tls`: the port serving HTTPS (`server.port`); null without. */
  tlsPort: number | null;
  dir: string;
  child: ChildProcess;
  /** The bootstrap admin token. */
  admin: string;
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
  /** Mints a token through `POST /v1/tokens` with the admin token; extra body fields (e.g. `sources`) are passed on. */
  mint(name: string, scopes: string[], extra?: Record<string, unknown>): Promise<{ id: string; token: string }>;
  /** fetch against the process with `Authorization: Bearer <token>` (default: the admin token; null: none). */
  fetch(path: string, init?: RequestInit & { token?: string | null }): Promise<Response>;
  /** JSON of a GET that must answer 200. */
  get<T = any>(path: string, token?: string): Promise<T>;
  /** Kill the process (SIGTERM, then SIGKILL) and keep or remove the data directory. */
  stop(options?: { keepData?: boolean }): Promise<void>;
}

export interface BulwarkProcessOptions {
  /** YAML text of a config file (written to the data directory and passed as BULWARK_CONFIG). */
  configYaml?: string;
  /** Extra environment (BULWARK_* settings, KUBECONFIG…). */
  env?: Record<string, string>;
  /** Reuse a data directory (a restart); default: a new one. */
  dir?: string;
  /** Bootstrap admin secret; default: a random one. */
  adminToken?: string;
  /**
   * A fixed port another suite may still hold for a moment (the audit webhook's target is one port for every suite):
   * start again while the process exits with EADDRINUSE, for up to this long.
   */
  retryBusyPortMs?: number;
}

/** Starts the real process and waits until it listens. */
export async function startBulwark(options: BulwarkProcessOptions = {}): Promise<BulwarkProcess> {
  const deadline = Date.now() + (options.retryBusyPortMs ?? 0);
  for (;;) {
    try {
      return await startOnce(options);
    } catch (err) {
      if (!/EADDRINUSE/.test(String(err)) || Date.now() > deadline) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

async function startOnce(options: BulwarkProcessOptions): Promise<BulwarkProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), 'bwk-proc-'));
  const admin = options.adminToken ?? `bwk_admin_${randomBytes(16).toString('hex')}`;
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith('BULWARK_')) env[k] = v;
  if (options.configYaml !== undefined) {
    writeFileSync(join(dir, 'config.yml'), options.configYaml);
    env.BULWARK_CONFIG = join(dir, 'config.yml');
  }
  const start = serviceScript('all-in-one');
  const child = spawn(start.command, start.args, {
    cwd: root,
    // No shutdown delay: no load balancer routes to a test's process (a test that wants one sets it).
    env: { ...env, BULWARK_DATA_DIR: dir, BULWARK_PORT: '0', BULWARK_HOST: '127.0.0.1', BULWARK_BOOTSTRAP_TOKEN: admin, BULWARK_SHUTDOWN_DELAY: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  let port: number;
  let tlsPort: number | null = null;
  try {
    const listening = await listeningPort(child, 60_000);
    // With server.tls the port logged is the HTTPS one, and `listen` logs the plain one beside it first.
    const plain = /"http_port":(\d+)/.exec(listening.output);
    if (plain) [tlsPort, port] = [listening.port, Number(plain[1])];
    else port = listening.port;
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  const url = `http://127.0.0.1:${port}`;
  const doFetch = (path: string, init: RequestInit & { token?: string | null } = {}): Promise<Response> => {
    const { token = admin, headers, ...rest } = init;
    const h = new Headers(headers);
    if (token !== null) h.set('authorization', `Bearer ${token}`);
    return fetch(`${url}${path}`, { ...rest, headers: h });
  };
  return {
    url,
    port,
    tlsPort,
    dir,
    child,
    admin,
    output: () => output,
    async mint(name, scopes, extra = {}) {
      const res = await doFetch('/v1/tokens', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name, scopes, ...extra }) });
      if (res.status !== 201) throw new Error(`minting ${name}: ${res.status} ${await res.text()}`);
      const body = (await res.json()) as { id: string; token: string };
      return { id: body.id, token: body.token };
    },
    fetch: doFetch,
    async get(path, token) {
      const res = await doFetch(path, { token: token ?? admin });
      if (res.status !== 200) throw new Error(`GET ${path}: ${res.status} ${await res.text()}`);
      return (await res.json()) as never;
    },
    async stop({ keepData = false } = {}) {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
        await exited;
        clearTimeout(timer);
      }
      if (!keepData && options.dir === undefined) rmSync(dir, { recursive: true, force: true });
    },
  };
}
