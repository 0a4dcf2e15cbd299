/**
 * Production code never reaches into tests: no file under a package's or service's `src/` (or a
 * package `bin/`) imports from a `test/` folder or a `…/testing` export, and no package exports test code as its
 * main entry or a bin. Test code may import production code, and tests of one package may import another package's
 * `./testing` export (e.g. `@bulwark/detection/testing`, the CorrelationState contract suite the adapters in
 * @bulwark/bus and @bulwark/store run), which resolves only under the `source` condition tests run with; the reverse
 * would ship test helpers and test dependencies in the product. Every other export ships compiled JavaScript.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';

const root = fileURLToPath(new URL('..', import.meta.url));
const projects = ['packages', 'services'].flatMap((group) =>
  readdirSync(join(root, group))
    .map((name) => join(root, group, name))
    .filter((dir) => existsSync(join(dir, 'package.json'))),
);

function sourceFiles(dir: string, out: string[] = []): string[] {
  if (!existsSync(dir)) return out;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name === 'node_modules' || name.startsWith('.')) continue;
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (/\.(ts|mts|js|mjs|cjs)$/.test(name)) out.push(path);
  }
  return out;
}

interface Manifest {
  name: string;
  exports?: string | Record<string, string | Record<string, string>>;
  bin?: Record<string, string> | string;
}

function manifestOf(project: string): Manifest {
  return JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as Manifest;
}

/** Each export's targets by condition (a plain string export is its `default`). */
function exportTargets(exports: Manifest['exports']): Record<string, Record<string, string>> {
  const map = typeof exports === 'string' ? { '.': exports } : (exports ?? {});
  return Object.fromEntries(Object.entries(map).map(([key, target]) => [key, typeof target === 'string' ? { default: target } : target]));
}

/** Static and dynamic import specifiers, `export … from`, and `new URL('…', import.meta.url)` paths. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+|\bnew URL\(\s*)['"]([^'"]+)['"]/g;

/** Why `specifier`, imported by `file`, reaches into test code; null when it does not. */
function intoTests(file: string, specifier: string): string | null {
  if (/^@bulwark\/[^/]+\/testing(?:\/|$)/.test(specifier)) return 'a package\'s ./testing export';
  if (!specifier.startsWith('.')) return null;
  const target = relative(root, resolve(dirname(file), specifier));
  return target.split(sep).some((part) => part === 'test' || part === 'tests') ? `a path into ${target}` : null;
}

describe('production code never references test/', () => {
  it('no src/ or bin/ file imports test code', () => {
    const offences: string[] = [];
    let checked = 0;
    for (const project of projects) {
      for (const file of [...sourceFiles(join(project, 'src')), ...sourceFiles(join(project, 'bin'))]) {
        checked++;
        for (const [, specifier] of readFileSync(file, 'utf8').matchAll(SPECIFIER)) {
          const why = intoTests(file, specifier!);
          if (why) offences.push(`${relative(root, file)} imports ${specifier} (${why})`);
        }
      }
    }
    assert.ok(checked > 100, `only ${checked} production files found: the walk is broken`);
    assert.deepEqual(offences, []);
  });

  it('no package exports test code as its entry point or a bin', () => {
    const offences: string[] = [];
    for (const project of projects) {
      const { name, exports, bin } = manifestOf(project);
      const bins = typeof bin === 'string' ? { [name]: bin } : (bin ?? {});
      for (const [key, targets] of Object.entries(exportTargets(exports))) {
        for (const [condition, target] of Object.entries(targets)) {
          const isTest = /(^|\/)tests?\//.test(target);
          if (key === './testing') {
            // Test helpers for other packages' tests: reachable only from source, never from what ships.
            if (!isTest) offences.push(`${name} ./testing → ${target} is not test code`);
            if (condition !== 'source') offences.push(`${name} ./testing is exported under '${condition}', not only 'source'`);
          } else if (isTest) offences.push(`${name} ${key} → ${target}`);
        }
      }
      for (const [key, target] of Object.entries(bins)) if (/(^|\/)tests?\//.test(target)) offences.push(`${name} bin ${key} → ${target}`);
    }
    assert.deepEqual(offences, []);
  });

  it('what ships resolves to compiled JavaScript, and the source condition to the TypeScript it is built from', () => {
    const offences: string[] = [];
    for (const project of projects) {
      const { name, exports } = manifestOf(project);
      for (const [key, targets] of Object.entries(exportTargets(exports))) {
        if (key === './testing') continue;
        const { source, default: shipped } = targets;
        if (!shipped || !/^\.\/dist\/.+\.js$/.test(shipped)) offences.push(`${name} ${key}: default → ${shipped ?? 'nothing'} (want ./dist/….js)`);
        if (!source || source.replace(/^\.\/src\//, './dist/').replace(/\.ts$/, '.js') !== shipped) offences.push(`${name} ${key}: source ${source} is not what ${shipped} is built from`);
      }
      // A package's build (its tsconfig.json) compiles src/ only and never references a test project.
      const tsconfig = JSON.parse(readFileSync(join(project, 'tsconfig.json'), 'utf8')) as { include?: string[]; references?: { path: string }[] };
      if (JSON.stringify(tsconfig.include) !== '["src"]') offences.push(`${name} tsconfig.json includes ${JSON.stringify(tsconfig.include)}, not only src`);
      for (const ref of tsconfig.references ?? []) {
        if (resolve(project, ref.path).split(sep).some((part) => part === 'test')) offences.push(`${name} tsconfig.json references ${ref.path}`);
      }
    }
    assert.deepEqual(offences, []);
  });

  it('the check itself recognises an import into test code', () => {
    const file = join(root, 'packages/detection/src/index.ts');
    assert.match(intoTests(file, '../test/correlation-helpers.js') ?? '', /packages\/detection\/test/);
    assert.ok(intoTests(file, '@bulwark/detection/testing'));
    assert.equal(intoTests(file, './correlation/engine.js'), null);
    assert.equal(intoTests(file, '@bulwark/schema'), null);
    const found = [..."import { x } from '../test/helpers.js';\nconst u = new URL('../../test/fixtures/', import.meta.url);".matchAll(SPECIFIER)].map((m) => m[1]);
    assert.deepEqual(found, ['../test/helpers.js', '../../test/fixtures/']);
  });
});
