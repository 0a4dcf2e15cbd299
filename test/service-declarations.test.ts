/**
 * The `// services: …` line of every test file (CONTRIBUTING.md, "Running tests") is what `node test/run.mjs <file>`
 * starts and what keeps a file out of `npm run test:unit`, so it must be true: a file that reads a service's address,
 * or imports the test support that does, declares that service; a file that starts Bulwark itself (a child process,
 * or the whole product through the harness) declares something, so the unit loop never runs it; and every name is a
 * service test/services can start, or the pseudo-service `process`.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Environment variables each service's `up` exports, read as `process.env.X` or through an env helper `…Env('X')`. */
const ADDRESS_READS: Record<string, RegExp> = {
  opensearch: /(?:process\.env\.|[eE]nv\(')OPENSEARCH_URL\b|\brequireOpenSearchUrl\(/,
  redis: /(?:process\.env\.|[eE]nv\(')REDIS_URL\b/,
  k8s: /(?:process\.env\.|[eE]nv\(')KUBE_[A-Z_]+/,
  smtp: /(?:process\.env\.|[eE]nv\(')SMTP_[A-Z_]+/,
  elasticsearch: /(?:process\.env\.|[eE]nv\(')ELASTICSEARCH_URL\b/,
  chromium: /(?:process\.env\.|[eE]nv\(')CHROMIUM_PATH\b/,
};

/** Test support that reads those addresses (or starts Bulwark) on the importer's behalf. */
const SUPPORT: Record<string, string[]> = {
  'test/support/kube.ts': ['k8s'],
  'test/support/kube-clients.ts': ['k8s'],
  'test/support/scale-deployment.ts': ['opensearch', 'redis'],
  'packages/actions/test/helpers.ts': ['k8s'],
  'test/support/bulwark-process.ts': ['process'],
  'test/support/process.ts': ['process'],
  'test/support/harness.ts': ['process'],
  'test/support/kube-access.ts': ['k8s'],
  'test/support/server-side-apply.ts': ['k8s'],
  // Builds and runs kustomize and Go (child processes, minutes the first time): never in the unit loop.
  'test/support/kustomize.ts': ['process'],
  // The console's browser tests: Chromium (test/services/chromium.sh) and the npm start process they drive.
  'test/console/browser.ts': ['chromium'],
  'test/console/console-server.ts': ['process'],
};
const STARTS_A_PROCESS = /from 'node:child_process'|\bscaleBus\(/;

/** What test/services can start (one script each), plus names a file may declare without a script here. */
const SCRIPTS = readdirSync(join(root, 'test/services')).filter((n) => n.endsWith('.sh') && !n.startsWith('_')).map((n) => n.slice(0, -3));
// `process` is not a service; `elasticsearch` comes with the Elasticsearch script (its suites skip or fail saying so).
const KNOWN = new Set([...SCRIPTS, 'process', 'elasticsearch']);

function testFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) testFiles(path, out);
    else if (name.endsWith('.test.ts')) out.push(relative(root, path));
  }
  return out;
}

function declared(source: string): string[] {
  const m = /^\/\/ services:(.*)$/.exec(source.split('\n', 1)[0]!.trim());
  return m ? m[1]!.trim().split(/\s+/).filter(Boolean) : [];
}

/** The repository paths of the file's relative imports (`./x.js` → `x.ts`). */
function relativeImports(file: string, source: string): string[] {
  return [...source.matchAll(/from '(\.{1,2}\/[^']+)'/g)].map((m) => relative(root, resolve(dirname(join(root, file)), m[1]!.replace(/\.js$/, '.ts'))));
}

/** The services the file's code shows it needs; `process` when it starts Bulwark or a child process. */
function needed(file: string, source: string): Set<string> {
  const needs = new Set<string>();
  for (const [service, read] of Object.entries(ADDRESS_READS)) if (read.test(source)) needs.add(service);
  for (const target of relativeImports(file, source)) for (const service of SUPPORT[target] ?? []) needs.add(service);
  if (STARTS_A_PROCESS.test(source)) needs.add('process');
  return needs;
}

// This file names every pattern it looks for, so it is not checked against itself.
const self = relative(root, fileURLToPath(import.meta.url));
const files = ['packages', 'services', 'test']
  .flatMap((d) => (existsSync(join(root, d)) ? testFiles(join(root, d)) : []))
  .filter((f) => f !== self)
  .sort();

describe('test files declare the services they need', () => {
  it('finds the test files', () => assert.ok(files.length > 50, `${files.length} files`));

  it('every declared name is a service test/services starts, or process', () => {
    const unknown = files.flatMap((f) => declared(readFileSync(join(root, f), 'utf8')).filter((s) => !KNOWN.has(s)).map((s) => `${f}: ${s}`));
    assert.deepEqual(unknown, [], `known: ${[...KNOWN].join(', ')}`);
  });

  it('a file that reads a service address, directly or through test support, declares that service', () => {
    const missing: string[] = [];
    for (const f of files) {
      const source = readFileSync(join(root, f), 'utf8');
      const have = new Set(declared(source));
      for (const service of needed(f, source)) {
        if (service !== 'process' && !have.has(service)) missing.push(`${f}: needs ${service}`);
      }
    }
    assert.deepEqual(missing, []);
  });

  it('a file that starts Bulwark or a child process declares something, so the unit loop leaves it out', () => {
    const undeclared = files.filter((f) => {
      const source = readFileSync(join(root, f), 'utf8');
      return needed(f, source).has('process') && declared(source).length === 0;
    });
    assert.deepEqual(undeclared, []);
  });

  it('recognises what it checks (so the checks above can fail)', () => {
    assert.deepEqual([...needed('test/e2e/x.test.ts', "const u = process.env.OPENSEARCH_URL;\nimport { a } from '../support/kube-clients.js';")].sort(), ['k8s', 'opensearch']);
    assert.deepEqual([...needed('packages/actions/test/x.test.ts', "import { testClients } from './helpers.js';")], ['k8s']);
    assert.deepEqual([...needed('test/e2e/x.test.ts', "import { spawn } from 'node:child_process';")], ['process']);
    assert.deepEqual([...needed('packages/store/test/search/x.test.ts', '// mentions ELASTICSEARCH_URL in prose only')], []);
    assert.deepEqual([...needed('packages/store/test/search/x.test.ts', 'const url = requireOpenSearchUrl();')], ['opensearch']);
    assert.deepEqual(declared('// services: opensearch  redis\n/** doc */'), ['opensearch', 'redis']);
    assert.deepEqual(declared('/** no line */\n// services: redis'), []);
  });
});
