/**
 * Production code never reaches into tests (issue 13 item 3): no file under a package's or service's `src/` (or a
 * package `bin/`) imports from a `test/` folder or a `…/testing` export, and no package exports test code as its
 * main entry or a bin. Test code may import production code, and tests of one package may import another package's
 * `./testing` export (e.g. `@bulwark/detection/testing`, the CorrelationState contract suite the adapters in
 * @bulwark/bus and @bulwark/store run); the reverse would ship test helpers and test dependencies in the product.
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
      const manifest = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as {
        name: string;
        exports?: Record<string, string> | string;
        bin?: Record<string, string> | string;
      };
      const exported = typeof manifest.exports === 'string' ? { '.': manifest.exports } : (manifest.exports ?? {});
      const bins = typeof manifest.bin === 'string' ? { [manifest.name]: manifest.bin } : (manifest.bin ?? {});
      for (const [key, target] of [...Object.entries(exported).filter(([k]) => k !== './testing'), ...Object.entries(bins)]) {
        if (/(^|\/)tests?\//.test(target)) offences.push(`${manifest.name} ${key} → ${target}`);
      }
      for (const [key, target] of Object.entries(exported)) {
        if (key === './testing' && !/(^|\/)test\//.test(target)) offences.push(`${manifest.name} ./testing → ${target} is not test code`);
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
