#!/usr/bin/env node
// The one test command (`npm test`): type-checks the whole tree, starts the real services the suites need
// (test/services/up), runs every `*.test.ts` under packages/, services/ and test/ with node's test runner, then stops
// the services. Usage: node test/run.mjs [--no-typecheck] [file-or-dir-filter...]
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const args = process.argv.slice(2);
const typecheck = !args.includes('--no-typecheck');
const filters = args.filter((a) => !a.startsWith('--'));

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

if (typecheck) {
  console.log('» type-checking the whole tree (tsc -b)');
  if (run(join(root, 'node_modules/.bin/tsc'), ['-b']) !== 0) {
    console.error('✗ type errors: fix them before the suite runs');
    process.exit(1);
  }
}

let files = ['packages', 'services', 'test'].flatMap((d) => (existsSync(join(root, d)) ? findTests(join(root, d)) : []));
if (filters.length) files = files.filter((f) => filters.some((flt) => f.includes(flt)));
files.sort();
if (!files.length) {
  console.error('✗ no test files matched');
  process.exit(1);
}

const up = join(root, 'test/services/up');
if (existsSync(up)) {
  console.log('» starting real services (test/services/up)');
  if (run(up, []) !== 0) {
    console.error('✗ a service the suite needs did not start; see the message above');
    process.exit(1);
  }
}

// The addresses `up` wrote (`export NAME=value` lines) reach the suites through their environment.
const servicesEnv = join(root, 'test/.services.env');
const env = { ...process.env };
if (existsSync(servicesEnv)) {
  for (const line of readFileSync(servicesEnv, 'utf8').split('\n')) {
    const m = /^export ([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
}

console.log(`» running ${files.length} test files`);
const status = run(process.execPath, [
  '--import',
  'tsx',
  '--test',
  '--test-concurrency=2',
  '--test-timeout=300000',
  ...files,
], { env });

const down = join(root, 'test/services/down');
if (existsSync(down)) run(down, []);
process.exit(status);
