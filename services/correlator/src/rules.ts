/**
 * Loading the detection content a correlator runs: every Sigma rule and correlation document under a directory
 * (fixture files and folders excluded, the same layout `bulwark rules` reads), compiled once at start-up so a broken
 * rule stops the start with every problem listed (ARCHITECTURE.md, "Validate once at the edge").
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  compileCorrelations, compileRules, loadSigmaFiles, type CorrelationSet, type DetectionConfig, type RuleSet, type SigmaCorrelation,
  type SigmaRule,
} from '@bulwark/detection';

/** The bundled rules at the repository root. */
export const BUNDLED_RULES_DIR = fileURLToPath(new URL('../../../rules/', import.meta.url));

const YAML_EXT = /\.ya?ml$/i;
const FIXTURE_FILE = /\.fixtures\.ya?ml$/i;
const FIXTURE_DIR = /\.fixtures$/i;

export interface LoadedRules {
  rules: SigmaRule[];
  correlations: SigmaCorrelation[];
  ruleset: RuleSet;
  correlationSet: CorrelationSet;
  files: string[];
}

/** Rule files under `dir`, sorted, skipping fixtures and dot-files. */
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

/** Loads and compiles every rule and correlation under `dir`; throws `SigmaRuleError` with every problem. */
export function loadRuleDir(dir: string, config: DetectionConfig = {}): LoadedRules {
  const files = findRuleFiles(dir);
  const { rules, correlations } = loadSigmaFiles(files.map((file) => ({ file, source: readFileSync(file, 'utf8') })));
  return {
    rules,
    correlations,
    ruleset: compileRules(rules, config),
    correlationSet: compileCorrelations(correlations, rules),
    files,
  };
}
