/**
 * The rules a deployment runs, read from its `detection` settings the one way every reader of them shares — the API's
 * backtest (`rule_id`) and alert intake, and `bulwark rules backtest` — so an id names the same rule, compiled the same
 * way, whichever of them resolves it: `rules_dir` (default the bundled rules), then `placeholders` and `logsources`
 * for compiling (docs/ARCHITECTURE.md, "Detection").
 */
import { readFileSync } from 'node:fs';
import type { BacktestContext } from './backtest.js';
import { detectionConfigFrom, type DetectionConfig } from './compile.js';
import { loadSigmaFiles } from './correlation/load.js';
import type { LogsourceMapping } from './logsource.js';
import { SigmaRuleError, type SigmaProblem } from './problems.js';
import { BUNDLED_RULES_DIR, findRuleFiles } from './rule-files.js';
import type { Placeholders } from './values.js';

/** The part of the configuration's `detection` section that says which rules run and how they compile. */
export interface DetectionSettings {
  rules_dir?: string | undefined;
  placeholders?: Placeholders | undefined;
  logsources?: readonly LogsourceMapping[] | undefined;
}

export interface DeploymentRules {
  /** The rules directory: `detection.rules_dir`, else the bundled `rules/`. */
  dir: string;
  /** Placeholder values, and the configured logsource rows before the built-in table. */
  config: DetectionConfig;
}

export function deploymentRules(settings: DetectionSettings): DeploymentRules {
  return {
    dir: settings.rules_dir ?? BUNDLED_RULES_DIR,
    config: detectionConfigFrom({ placeholders: settings.placeholders ?? {}, logsources: settings.logsources ?? [] }),
  };
}

/**
 * Every rule and correlation document under `dir`, loaded but not compiled (what uses one compiles it with the
 * deployment's `config`): what a rule id or name resolves among, and where a correlation's references resolve. Each
 * file loads on its own; those that do not are left out and their problems returned, for the caller to refuse (the
 * API: a broken rules directory is the server's fault) or to warn about (the CLI).
 */
export function loadRuleContext(dir: string): { context: BacktestContext; problems: SigmaProblem[] } {
  const context: BacktestContext = { rules: [], correlations: [] };
  const problems: SigmaProblem[] = [];
  for (const file of findRuleFiles(dir)) {
    try {
      const loaded = loadSigmaFiles([{ file, source: readFileSync(file, 'utf8') }]);
      context.rules.push(...loaded.rules);
      context.correlations.push(...loaded.correlations);
    } catch (error) {
      if (!(error instanceof SigmaRuleError)) throw error;
      problems.push(...error.problems);
    }
  }
  return { context, problems };
}
