/**
 * What the HTTP benchmarks share: starting the service exactly as `npm start` does (its script from package.json),
 * and the line naming the machine a figure came from.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { listeningPort } from '../test/support/process.js';
import { root } from './lib.js';

/**
 * `npm start` on a free loopback port with `dataDir` and bootstrap `token`. The caller's BULWARK_* settings reach the
 * service (e.g. BULWARK_DECODE_THREADS=0 to compare), then `env`; BENCH_SERVER_NODE_FLAGS adds node flags (a CPU
 * profile: `--cpu-prof --cpu-prof-dir=…`).
 */
export async function startNpmStart(dataDir: string, token: string, env: Record<string, string> = {}): Promise<{ url: string; child: ChildProcess }> {
  const startScript = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start;
  const extraFlags = process.env.BENCH_SERVER_NODE_FLAGS ?? '';
  const command = extraFlags ? startScript.replace(/^node /, `node ${extraFlags} `) : startScript;
  const child = spawn('sh', ['-c', `exec ${command}`], {
    cwd: root,
    env: {
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BULWARK_'))),
      PATH: `${join(root, 'node_modules/.bin')}:${process.env.PATH}`,
      HOME: process.env.HOME,
      BULWARK_DATA_DIR: dataDir,
      BULWARK_PORT: '0',
      BULWARK_HOST: '127.0.0.1',
      BULWARK_BOOTSTRAP_TOKEN: token,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const { port } = await listeningPort(child);
  return { url: `http://127.0.0.1:${port}`, child };
}

/** CPU model, cores, memory and Node version. */
export function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  return `${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
}
