/**
 * Loading the detection content a correlator runs: every Sigma rule and correlation document under a directory
 * (fixture files and folders excluded, the same layout `bulwark rules` reads), compiled once at start-up so a broken
 * rule stops the start with every problem listed (ARCHITECTURE.md, "Validate once at the edge").
 */
import { readFileSync } from 'node:fs';
import {
  BUNDLED_RULES_DIR, compileCorrelations, compileRules, findRuleFiles, loadSigmaFiles, type CorrelationSet, type DetectionConfig, type RuleSet,
  type SigmaCorrelation, type SigmaRule,
} from '@bulwark/detection';

export interface LoadedRules {
  rules: SigmaRule[];
  correlations: SigmaCorrelation[];
  ruleset: RuleSet;
  correlationSet: CorrelationSet;
  files: string[];
}

export { BUNDLED_RULES_DIR, findRuleFiles };

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
