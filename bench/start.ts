/**
 * `npm run bench:start`: how long `npm start` takes to serve, and how much memory it holds, compiled (what npm start
 * runs: services/all-in-one/dist/main.js) against the same service from source under tsx (what it ran before the
 * compiled build), in the same run, alternating, on a fresh data directory each time. Ready means the process logged
 * its listening line (after the correlator thread loaded the rules and the responder its playbooks) and `/healthz`
 * answered; memory is the process's resident set (VmRSS, threads included) at ready and after an idle settle, and
 * its peak (VmHWM).
 *
 * Options: --runs=N (per variant, default 7), --settle-ms=N (default 5000).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serviceScript } from '../test/support/npm-script.js';
import { listeningPort } from '../test/support/process.js';
import { benchArgs, median, root } from './lib.js';

const args = benchArgs();
const runs = Number(args.get('runs') ?? 7);
const settleMs = Number(args.get('settle-ms') ?? 5000);

interface Sample {
  readyMs: number;
  rssReadyMiB: number;
  rssSettledMiB: number;
  peakMiB: number;
}

const compiled = serviceScript('all-in-one');
const variants: Record<string, string[]> = {
  compiled: compiled.args,
  'source under tsx': ['--max-semi-space-size=32', '--conditions=source', '--import', 'tsx', join(root, 'services/all-in-one/src/main.ts')],
};

/** VmRSS and VmHWM of a process, in MiB. */
function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kib('VmRSS') / 1024, peak: kib('VmHWM') / 1024 };
}

async function once(nodeArgs: string[]): Promise<Sample> {
  const dir = mkdtempSync(join(tmpdir(), 'bwk-bench-start-'));
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('BULWARK_')) env[k] = v;
  const t0 = performance.now();
  const child = spawn(process.execPath, nodeArgs, {
    cwd: root,
    env: { ...env, BULWARK_DATA_DIR: dir, BULWARK_PORT: '0', BULWARK_HOST: '127.0.0.1' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  try {
    const { port } = await listeningPort(child, 120_000);
    const health = await fetch(`http://127.0.0.1:${port}/healthz`);
    if (health.status !== 200) throw new Error(`/healthz answered ${health.status}`);
    const readyMs = performance.now() - t0;
    const atReady = memory(child.pid!);
    await new Promise((r) => setTimeout(r, settleMs));
    const settled = memory(child.pid!);
    return { readyMs, rssReadyMiB: atReady.rss, rssSettledMiB: settled.rss, peakMiB: settled.peak };
  } finally {
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
    rmSync(dir, { recursive: true, force: true });
  }
}

const samples = new Map<string, Sample[]>(Object.keys(variants).map((name) => [name, []]));
await once(compiled.args); // warm the page cache for both before measuring
await once(variants['source under tsx']!);
for (let i = 0; i < runs; i++) {
  for (const [name, nodeArgs] of Object.entries(variants)) samples.get(name)!.push(await once(nodeArgs));
}

const m = (xs: Sample[], key: keyof Sample): number => median(xs.map((s) => s[key]));
console.log(`npm start, ${runs} runs per variant (medians), settle ${settleMs} ms`);
console.log('| variant | ready (ms) | RSS at ready (MiB) | RSS settled (MiB) | peak RSS (MiB) |');
console.log('|---|---|---|---|---|');
for (const [name, xs] of samples) {
  console.log(`| ${name} | ${m(xs, 'readyMs').toFixed(0)} | ${m(xs, 'rssReadyMiB').toFixed(0)} | ${m(xs, 'rssSettledMiB').toFixed(0)} | ${m(xs, 'peakMiB').toFixed(0)} |`);
}
const c = samples.get('compiled')!;
const s = samples.get('source under tsx')!;
console.log(
  `compiled / source: ready ${(m(c, 'readyMs') / m(s, 'readyMs')).toFixed(2)}×, settled RSS ${(m(c, 'rssSettledMiB') / m(s, 'rssSettledMiB')).toFixed(2)}×`,
);
