/**
 * A scale-mode deployment for end-to-end tests: the collector and api in this process (the harness) on a real
 * search engine (OpenSearch by default, or any of SEARCH_ENGINES), publishing to BullMQ on the real Redis, and N correlator processes (`npm run start:correlator`)
 * on the same store and bus prefixes. Each deployment gets fresh prefixes, so several share one engine and one Redis.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startHarness, type Harness } from './harness.js';
import { requireEnv } from './opensearch-node.js';
import { OPENSEARCH, type SearchEngine } from './search-engines.js';
import { listeningPort } from './process.js';
import { serviceScript } from './npm-script.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface CorrelatorProcess {
  child: ChildProcess;
  url: string;
  /** Everything the process printed (its log). */
  output(): string;
}

export interface CorrelatorStatus {
  rules: number;
  correlations: number;
  batches: number;
  events: number;
  alerts: number;
  failures: number;
  dead_lettered: number;
  retried: number;
}

export interface ScaleDeployment {
  engine: SearchEngine;
  h: Harness;
  env: Record<string, string>;
  correlators: CorrelatorProcess[];
  startCorrelator(): Promise<CorrelatorProcess>;
  status(c: CorrelatorProcess): Promise<CorrelatorStatus>;
  close(): Promise<void>;
}

export async function startScaleDeployment(
  correlators: number,
  extraEnv: Record<string, string> = {},
  engine: SearchEngine = OPENSEARCH,
): Promise<ScaleDeployment> {
  const tag = randomBytes(4).toString('hex');
  const env: Record<string, string> = {
    ...engine.storeEnv(`det${tag}`),
    BULWARK_REDIS_URL: requireEnv('REDIS_URL'),
    BULWARK_BUS_PREFIX: `det${tag}`,
    BULWARK_BOOTSTRAP_TOKEN: `bootstrap-${tag}-${randomBytes(12).toString('hex')}`,
    ...extraEnv,
  };
  const h = await startHarness(env);
  const dirs: string[] = [];
  const procs: CorrelatorProcess[] = [];
  const startCorrelator = async (): Promise<CorrelatorProcess> => {
    const dir = mkdtempSync(join(tmpdir(), 'bwk-corr-'));
    dirs.push(dir);
    const correlator = serviceScript('correlator');
    const child = spawn(correlator.command, correlator.args, {
      cwd: root,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env, BULWARK_DATA_DIR: dir, BULWARK_PORT: '0', BULWARK_HOST: '127.0.0.1', BULWARK_SHUTDOWN_DELAY: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout!.on('data', (c: Buffer) => (output += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    const { port } = await listeningPort(child, 60_000);
    const proc: CorrelatorProcess = { child, url: `http://127.0.0.1:${port}`, output: () => output };
    procs.push(proc);
    return proc;
  };
  try {
    await Promise.all(Array.from({ length: correlators }, () => startCorrelator()));
  } catch (err) {
    for (const p of procs) p.child.kill('SIGKILL');
    await h.close();
    throw err;
  }
  return {
    engine,
    h,
    env,
    correlators: procs,
    startCorrelator,
    async status(c) {
      const res = await fetch(`${c.url}/v1/correlator/status`, { headers: { authorization: `Bearer ${env.BULWARK_BOOTSTRAP_TOKEN}` } });
      if (res.status !== 200) throw new Error(`correlator status ${res.status}: ${await res.text()}`);
      return (await res.json()) as CorrelatorStatus;
    },
    async close() {
      await Promise.all(
        procs.map(
          (p) =>
            new Promise<void>((resolve) => {
              if (p.child.exitCode !== null || p.child.signalCode !== null) return resolve();
              p.child.once('exit', () => resolve());
              p.child.kill('SIGTERM');
              setTimeout(() => p.child.kill('SIGKILL'), 10_000).unref();
            }),
        ),
      );
      await h.close();
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    },
  };
}
