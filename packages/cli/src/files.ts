/**
 * Where rules and their fixtures live. A rule is a `.yml`/`.yaml` file; its fixtures sit beside it, either in
 * `<rule>.fixtures.yml` or in a folder `<rule>.fixtures/` of YAML files ("Tests live with data", ARCHITECTURE.md).
 * Fixture files and folders are never taken for rules.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

const YAML_EXT = /\.ya?ml$/i;
const FIXTURE_FILE = /\.fixtures\.ya?ml$/i;
const FIXTURE_DIR = /\.fixtures$/i;

/** A file read from disk, named as the user gave it (relative paths stay relative in every message). */
export interface SourceFile {
  file: string;
  source: string;
}

/** Rule files under the given files and directories, sorted; a path that does not exist is an error. */
export function findRuleFiles(paths: string[]): { files: string[]; missing: string[] } {
  const files: string[] = [];
  const missing: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) missing.push(path);
    else if (statSync(path).isDirectory()) walk(path, files);
    else files.push(path);
  }
  return { files: [...new Set(files)].sort(), missing };
}

function walk(dir: string, out: string[]): void {
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith('.') || name === 'node_modules') continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) {
      if (!FIXTURE_DIR.test(name)) walk(path, out);
    } else if (YAML_EXT.test(name) && !FIXTURE_FILE.test(name)) out.push(path);
  }
}

export function readSources(files: string[]): SourceFile[] {
  return files.map((file) => ({ file, source: readFileSync(file, 'utf8') }));
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
