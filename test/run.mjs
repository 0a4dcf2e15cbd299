#!/usr/bin/env node
// The test command. Every test file declares, on its first line, the real services it needs:
//   // services: opensearch redis
// (names of test/services/<name>.sh, plus the pseudo-service `process` for files that start Bulwark itself); a file
// without the line needs none. Usage:
//   node test/run.mjs                      `npm test`: type-check, start the default services, run every file, stop them
//   node test/run.mjs <file-or-filter...>  type-check, start only the services the selected files declare (left
//                                          running for the next run: test/services/down stops them), run those files
//   node test/run.mjs --unit [filter...]   `npm run test:unit`: only the files that declare nothing; starts nothing
// Options: --no-typecheck (still builds what ships); --list prints the selected files with their services and runs nothing.
// Tests run from source under tsx with the `source` export condition (each package exports src/*.ts under it and its
// compiled dist/*.js by default); the services a test starts as processes run compiled, as `npm start` does, so every
// run first brings dist/ up to date (tsc -b; a second or so when nothing changed).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Not started by test/services: `process` marks a file that starts Bulwark itself (seconds per test), not a unit test. */
const PSEUDO_SERVICES = new Set(['process']);
/** How every test process loads TypeScript: the packages' sources through their `source` export condition. */
const FROM_SOURCE = ['--conditions=source', '--import', 'tsx'];
const HEADER = /^\/\/ services:(.*)$/;
/** Per-package test time of the last unit run, which the next one balances its processes by (gitignored). */
const TIMES_FILE = join(root, 'test/.cache/unit-times.json');

/** `packages/store` for any file of that package (its tests, and the contract suites they define tests in). */
function packageOf(file) {
  return /^(packages|services)\/[^/]+/.exec(file)?.[0] ?? 'test';
}

// A unit shard: `node --conditions=source --import tsx test/run.mjs --shard <file...>` imports its files into one process (below).
if (process.argv[2] === '--shard') await runShard(process.argv.slice(3));
else await main(process.argv.slice(2));

async function main(args) {
  const unit = args.includes('--unit');
  const list = args.includes('--list');
  const typecheck = !unit && !list && !args.includes('--no-typecheck');
  const filters = args.filter((a) => !a.startsWith('--'));
  const known = new Set(args.filter((a) => a.startsWith('--')));
  for (const flag of known) {
    if (!['--unit', '--list', '--no-typecheck'].includes(flag)) fail(`unknown option ${flag} (known: --unit, --list, --no-typecheck)`);
  }

  let files = ['packages', 'services', 'test'].flatMap((d) => (existsSync(join(root, d)) ? findTests(join(root, d)) : []));
  if (filters.length) files = files.filter((f) => filters.some((flt) => f.includes(flt)));
  const declared = new Map(files.map((f) => [f, servicesOf(f)]));
  if (unit) files = files.filter((f) => declared.get(f).length === 0);
  files.sort();
  if (!files.length) fail(unit ? 'no test file without services matched' : 'no test files matched');

  const wanted = [...new Set(files.flatMap((f) => declared.get(f)))].filter((s) => !PSEUDO_SERVICES.has(s)).sort();
  if (list) {
    for (const f of files) console.log(`${f}${declared.get(f).length ? `  [${declared.get(f).join(' ')}]` : ''}`);
    if (!unit) console.error(`» services: ${filters.length === 0 ? 'the defaults of test/services/up' : wanted.join(' ') || 'none'}`);
    return;
  }
  if (typecheck) {
    console.log('» type-checking the whole tree and building what ships (tsc -b)');
    if (run(join(root, 'node_modules/.bin/tsc'), ['-b']) !== 0) fail('type errors: fix them before the suite runs');
  } else if (!list) {
    console.log('» building what ships (npm run build: tsc -b tsconfig.build.json)');
    if (run(join(root, 'node_modules/.bin/tsc'), ['-b', 'tsconfig.build.json']) !== 0) fail('the build failed: fix it before the suite runs');
  }
  // The console's bundle is what ships too: the browser tests must see the app/ sources as they are now.
  console.log('» building the console bundle (npm run build:console)');
  if (run(join(root, 'node_modules/.bin/vite'), ['build', '--config', 'packages/console/vite.config.ts', '--logLevel', 'warn']) !== 0) fail('the console build failed: fix it before the suite runs');
  // Test support (test/support/npm-script.ts) builds dist/ itself when a file runs outside this command; here it is done.
  process.env.BWK_TEST_BUILT = '1';
  if (unit) process.exit(await runUnit(files));

  // The whole suite starts the default services as it always has; a selection starts only what it declares.
  const whole = filters.length === 0;
  const available = new Set(readdirSync(join(root, 'test/services')).filter((n) => n.endsWith('.sh') && !n.startsWith('_')).map((n) => n.slice(0, -3)));
  for (const s of wanted.filter((s) => !available.has(s))) {
    console.warn(`» warning: no test/services/${s}.sh: '${s}' is not started; the files that declare it will say what is missing`);
  }
  const up = join(root, 'test/services/up');
  const names = wanted.filter((s) => available.has(s));
  // The suites here expect a control plane without a node (pods never run, deletes are immediate): a test node left
  // by `npm run test:node` or `test/services/up node` goes first. Its own suite is test/node/run.sh.
  if ((whole || names.includes('k8s')) && available.has('node')) run(join(root, 'test/services/down'), ['node']);
  if (whole || names.length) {
    console.log(`» starting real services (test/services/up${whole ? '' : ` ${names.join(' ')}`})`);
    if (run(up, whole ? [] : names) !== 0) fail('a service the suite needs did not start; see the message above');
  }

  console.log(`» running ${files.length} test files`);
  const status = run(process.execPath, [...FROM_SOURCE, '--test', '--test-concurrency=2', '--test-timeout=300000', ...files], {
    env: { ...process.env, ...servicesEnv() },
  });
  if (whole) run(join(root, 'test/services/down'), []);
  else if (names.length) console.log(`» left running for the next run: ${names.join(' ')} (test/services/down stops them)`);
  process.exit(status);
}

function fail(message) {
  console.error(`✗ ${message}`);
  process.exit(1);
}

function run(cmd, cmdArgs, opts = {}) {
  const r = spawnSync(cmd, cmdArgs, { stdio: 'inherit', cwd: root, ...opts });
  return r.status ?? 1;
}

function findTests(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findTests(p, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, p));
  }
  return out;
}

/** The services a file declares on its first line. */
function servicesOf(file) {
  const first = readFileSync(join(root, file), 'utf8').split('\n', 1)[0];
  const m = HEADER.exec(first.trim());
  return m ? m[1].trim().split(/\s+/).filter(Boolean) : [];
}

/** The addresses `test/services/up` wrote (`export NAME=value` lines), for the suites' environment. */
function servicesEnv() {
  const env = {};
  const file = join(root, 'test/.services.env');
  if (!existsSync(file)) return env;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return env;
}

/**
 * The unit loop: the files run in a few processes (one more than cores), each package's files in one process. Most
 * of a file's time under `node --test` (a process per file) is loading TypeScript and the dependencies — the
 * Kubernetes client alone is ~1000 modules through the TypeScript loader — so sharing a process pays that once per
 * process instead of once per file. Measured on the 2-core VM (77 files): a process per file 263 s of file time, a
 * process per package 88 s of CPU, two processes 57 s of CPU; importing every unit file without running a test costs
 * 16 s of CPU alone. Each package keeps its files together so a module's state is shared only with its own package's
 * tests; packages are spread by the time their tests took in the last run (test/support/unit-times.mjs reports it).
 * A failing shard prints its whole report.
 */
async function runUnit(files) {
  const started = Date.now();
  const byPackage = new Map();
  for (const f of files) {
    const key = packageOf(f);
    byPackage.set(key, [...(byPackage.get(key) ?? []), f]);
  }
  // Whole packages into the shard with the least time so far, slowest package first: each package's test time in the
  // last run (test/.cache/unit-times.json), a package never measured counting as the median of those that were.
  const times = readTimes();
  const known = Object.values(times).sort((a, b) => a - b);
  const unmeasured = known.length ? known[Math.floor(known.length / 2)] : 1000;
  const cost = (key) => times[key] ?? unmeasured;
  // One process more than cores: part of the suite waits on timers (redelivery, lock and poll intervals), which the
  // extra process fills with work. Measured on 2 cores (83 files): 2 processes 56 s, 3 processes 38 s, 4 processes 61 s.
  const shards = Array.from({ length: Math.min(availableParallelism() + 1, byPackage.size) }, () => ({ packages: [], files: [], cost: 0 }));
  for (const [key, pkgFiles] of [...byPackage].sort((a, b) => cost(b[0]) - cost(a[0]))) {
    const shard = shards.reduce((a, b) => (b.cost < a.cost ? b : a));
    shard.packages.push(key);
    shard.files.push(...pkgFiles);
    shard.cost += cost(key);
  }
  console.log(`» unit: ${files.length} files of ${byPackage.size} packages in ${shards.length} processes, no services`);
  const results = await Promise.all(shards.map((shard, i) => runShardProcess(shard.files, i)));
  let tests = 0;
  let failed = 0;
  results.forEach((result, i) => {
    const ok = result.code === 0 && result.fail === 0;
    tests += result.pass + result.fail;
    if (!ok) failed++;
    console.log(`${ok ? '✓' : '✗'} ${shards[i].packages.join(', ')}: ${shards[i].files.length} files, ${result.pass} passed, ${result.fail} failed (${(result.ms / 1000).toFixed(1)} s)`);
    if (!ok) process.stdout.write(result.output);
  });
  // This run's measurements replace the last ones of every package it ran.
  for (const key of byPackage.keys()) delete times[key];
  for (const result of results) {
    for (const [file, ms] of Object.entries(result.times)) times[packageOf(file)] = (times[packageOf(file)] ?? 0) + ms;
  }
  writeTimes(times);
  console.log(`» unit: ${tests} tests, ${failed ? 'FAILED' : 'all passed'} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return failed ? 1 : 0;
}

function readTimes() {
  if (!existsSync(TIMES_FILE)) return {};
  try {
    return JSON.parse(readFileSync(TIMES_FILE, 'utf8'));
  } catch {
    return {}; // unreadable: balance by the default estimate, and write it afresh after this run
  }
}

function writeTimes(times) {
  mkdirSync(dirname(TIMES_FILE), { recursive: true });
  writeFileSync(TIMES_FILE, `${JSON.stringify(times, null, 1)}\n`);
}

function runShardProcess(files, index) {
  const t0 = Date.now();
  const timesOut = join(tmpdir(), `bulwark-unit-${process.pid}-${index}.jsonl`);
  const reporters = ['--test-reporter=spec', '--test-reporter-destination=stdout'];
  reporters.push(`--test-reporter=${pathToFileURL(join(root, 'test/support/unit-times.mjs')).href}`, `--test-reporter-destination=${timesOut}`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...FROM_SOURCE, ...reporters, fileURLToPath(import.meta.url), '--shard', ...files], { cwd: root });
    let output = '';
    child.stdout.on('data', (c) => (output += c));
    child.stderr.on('data', (c) => (output += c));
    // A file that leaves a handle open keeps its process alive: past the budget it is a failure, not a hang.
    const timer = setTimeout(() => {
      output += `\n✗ still running after 300 s: killed (a test left a timer, socket or thread open?)\n`;
      child.kill('SIGKILL');
    }, 300_000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const count = (word) => Number(new RegExp(`^ℹ ${word} (\\d+)$`, 'm').exec(output)?.[1] ?? 0);
      const times = {};
      if (existsSync(timesOut)) {
        for (const line of readFileSync(timesOut, 'utf8').split('\n').filter(Boolean)) {
          const { file, ms } = JSON.parse(line);
          times[file] = (times[file] ?? 0) + ms;
        }
        rmSync(timesOut, { force: true });
      }
      resolve({ code: code ?? 1, pass: count('pass'), fail: count('fail') + count('cancelled'), ms: Date.now() - t0, output, times });
    });
  });
}

/** Inside a shard process: import each file (its tests register with node:test); a file that fails to load fails. */
async function runShard(files) {
  const { test } = await import('node:test');
  for (const f of files) {
    try {
      await import(pathToFileURL(join(root, f)).href);
    } catch (error) {
      test(`${f} loads`, () => {
        throw error;
      });
    }
  }
}
