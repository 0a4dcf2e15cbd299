/**
 * Where detection content lives on disk: every Sigma rule and correlation document under a directory, with fixture
 * files (`<rule>.fixtures.yml`) and fixture folders (`<rule>.fixtures/`) left out — the layout the correlator, the
 * API's backtest and alert intake, and `bulwark rules` all read.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const YAML_EXT = /\.ya?ml$/i;
const FIXTURE_FILE = /\.fixtures\.ya?ml$/i;
const FIXTURE_DIR = /\.fixtures$/i;

/** Rule files under `dir`, sorted, skipping fixtures, dot-files and node_modules. @throws Error when `dir` is missing. */
export function findRuleFiles(dir: string): string[] {
  if (!existsSync(dir)) throw new Error(`rules directory ${dir} does not exist`);
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
