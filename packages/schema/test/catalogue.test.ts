/**
 * The error catalogue is complete and honest: every code has a status and a meaning, docs/errors.md lists exactly the
 * catalogue, every code is raised somewhere in production code (no code documented that Bulwark never reports), and
 * production code names no code outside the catalogue.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulwarkError, ErrorCatalogue, errorDocs, type ErrorCode } from '../src/index.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const CATALOGUE_FILE = join(root, 'packages/schema/src/errors.ts');
const codes = Object.keys(ErrorCatalogue) as ErrorCode[];

/** Every TypeScript source file of the packages and services (their `src`, not tests, scripts or generated types). */
function productionSources(): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts') && path !== CATALOGUE_FILE) out.push(path);
    }
  };
  for (const group of ['packages', 'services']) {
    for (const pkg of readdirSync(join(root, group))) {
      const src = join(root, group, pkg, 'src');
      if (statSync(join(root, group, pkg)).isDirectory() && readdirSync(join(root, group, pkg)).includes('src')) walk(src);
    }
  }
  return out;
}

/** Code literals (`'BWK_…'`) per production file. */
function codesNamed(): Map<string, string[]> {
  const named = new Map<string, string[]>();
  for (const file of productionSources()) {
    for (const m of readFileSync(file, 'utf8').matchAll(/['"`](BWK_[A-Z0-9_]+)['"`]/g)) {
      named.set(m[1]!, [...(named.get(m[1]!) ?? []), file.slice(root.length)]);
    }
  }
  return named;
}

describe('error catalogue', () => {
  it('gives every code an HTTP error status and a one-line meaning', () => {
    for (const code of codes) {
      const { status, meaning } = ErrorCatalogue[code];
      assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: status ${status}`);
      assert.ok(meaning.trim().length >= 10 && !meaning.includes('\n'), `${code}: meaning '${meaning}'`);
    }
  });

  it('docs/errors.md is generated from the catalogue and up to date', () => {
    const onDisk = readFileSync(join(root, 'docs/errors.md'), 'utf8');
    assert.equal(onDisk, errorDocs(), 'stale: run `npx tsx packages/schema/scripts/generate-error-docs.ts` and commit docs/errors.md');
    for (const code of codes) assert.match(onDisk, new RegExp(`\\| \`${code}\` \\| ${ErrorCatalogue[code].status} \\|`), code);
  });

  it('every code is raised somewhere in production code', () => {
    const named = codesNamed();
    const unused = codes.filter((code) => !named.has(code));
    assert.deepEqual(unused, [], `catalogue codes no production code names (raise them or remove them): ${unused.join(', ')}`);
  });

  it('production code names no code outside the catalogue', () => {
    const unknown = [...codesNamed()].filter(([code]) => !(code in ErrorCatalogue)).map(([code, files]) => `${code} (${files.join(', ')})`);
    assert.deepEqual(unknown, [], `codes missing from packages/schema/src/errors.ts: ${unknown.join('; ')}`);
  });

  it('takes its status from the catalogue and renders the API shape', () => {
    const err = new BulwarkError('BWK_AUTH_FORBIDDEN', 'needs respond', { scope: 'respond', granted: ['read'] });
    assert.equal(err.status, 403);
    assert.ok(err instanceof BulwarkError && err instanceof Error);
    assert.deepEqual(JSON.parse(JSON.stringify(err)), {
      error: { code: 'BWK_AUTH_FORBIDDEN', message: 'needs respond', details: { scope: 'respond', granted: ['read'] } },
    });
  });

  it('types the details by code: a required detail cannot be left out, a named one cannot have the wrong type', () => {
    // Compile-time checks: `tsc -b` fails if any of these lines stops being an error.
    // @ts-expect-error BWK_AUTH_FORBIDDEN needs {scope, granted}
    new BulwarkError('BWK_AUTH_FORBIDDEN', 'no details');
    // @ts-expect-error BWK_BAD_PARAM's `param` is a string
    new BulwarkError('BWK_BAD_PARAM', 'wrong type', { param: 3 });
    // A code without required details takes any JSON details, or none.
    assert.equal(new BulwarkError('BWK_BAD_REQUEST', 'fine').details, undefined);
  });
});
