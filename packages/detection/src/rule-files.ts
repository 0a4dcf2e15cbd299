/**
 * Where detection content lives on disk: every Sigma rule and correlation document under a directory, with fixture
 * files (`<rule>.fixtures.yml`) and fixture folders (`<rule>.fixtures/`) left out — the layout the correlator, the
 * API's backtest and alert intake, and `bulwark rules` all read. Fixtures sit beside their rule ("Tests live with
 * data", ARCHITECTURE.md) and are never taken for rules.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BulwarkError } from '@bulwark/schema';

/**
 * The rules shipped with Bulwark, at the repository root: the default `detection.rules_dir`, and the context a
 * correlation's references resolve in when a backtest names no other.
 */
export const BUNDLED_RULES_DIR = fileURLToPath(new URL('../../../rules/', import.meta.url));

const YAML_EXT = /\.ya?ml$/i;
const FIXTURE_FILE = /\.fixtures\.ya?ml$/i;
const FIXTURE_DIR = /\.fixtures$/i;

/**
 * Rule files under `dir`, sorted, skipping fixtures, dot-files and node_modules.
 * @throws BulwarkError BWK_CONFIG_INVALID when `dir` does not exist (a misspelt rules directory must not start a
 * correlator that detects nothing).
 */
export function findRuleFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new BulwarkError('BWK_CONFIG_INVALID', `rules directory ${dir} does not exist`, { path: dir });
  const out: string[] = [];
  const walk = (path: string): void => {
    for (const name of readdirSync(path).sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      const child = join(path, name);
      if (statSync(child).isDirectory()) {
        if (!FIXTURE_DIR.test(name)) walk(child);
      } else if (YAML_EXT.test(name) && !FIXTURE_FILE.test(name)) out.push(child);
    }
  };
  walk(dir);
  return out;
}

/** The fixture files of a rule: `<rule>.fixtures.yml` / `.yaml`, and every YAML file in `<rule>.fixtures/`. */
export function fixtureFilesFor(ruleFile: string): string[] {
  const stem = join(dirname(ruleFile), basename(ruleFile).replace(YAML_EXT, ''));
  const found = [`${stem}.fixtures.yml`, `${stem}.fixtures.yaml`].filter((f) => existsSync(f));
  const dir = `${stem}.fixtures`;
  if (existsSync(dir) && statSync(dir).isDirectory()) {
    for (const name of readdirSync(dir).sort()) if (YAML_EXT.test(name)) found.push(join(dir, name));
  }
  return found;
}
