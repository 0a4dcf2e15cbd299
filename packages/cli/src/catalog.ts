/**
 * Loads a rule directory the way the correlator will: every file loaded and compiled, every problem kept with its
 * file and YAML path (never just the first), plus the checks that only make sense across files (unique ids).
 */
import {
  compileCorrelations, compileRules, loadCorrelation, loadRule, SigmaRuleError,
  type RuleSet, type SigmaCorrelation, type SigmaProblem, type SigmaRule,
} from '@bulwark/detection';
import { parseDocument } from 'yaml';
import { readSources } from './files.js';

export interface Catalog {
  /** Rules that loaded and compiled, in file order. */
  rules: SigmaRule[];
  /** Correlation rules that loaded (their references are checked against `rules`). */
  correlations: SigmaCorrelation[];
  /** All of them compiled into one indexed set, as the correlator runs them. */
  set: RuleSet;
  problems: SigmaProblem[];
}

/** Loads and compiles each file on its own, so one broken rule neither hides the others' problems nor their fixtures. */
export function loadCatalog(files: string[]): Catalog {
  const rules: SigmaRule[] = [];
  const correlations: SigmaCorrelation[] = [];
  const problems: SigmaProblem[] = [];
  for (const { file, source } of readSources(files)) {
    if (isCorrelation(source)) {
      problems.push(...collect(() => correlations.push(loadCorrelation(source, file))));
      continue;
    }
    try {
      const rule = loadRule(source, file);
      compileRules([rule]);
      rules.push(rule);
    } catch (error) {
      if (!(error instanceof SigmaRuleError)) throw error;
      problems.push(...error.problems, ...compileProblemsDespite(error.problems, source, file));
    }
  }
  problems.push(...duplicateIds([...rules, ...correlations]));
  if (correlations.length > 0) problems.push(...collect(() => compileCorrelations(correlations, rules)));
  return { rules, correlations, set: compileRules(rules), problems };
}

/** A Sigma correlation document: a top-level `correlation` key (as the detection core's `loadSigmaFiles` decides). */
export function isCorrelation(source: string): boolean {
  return /^correlation\s*:/m.test(source);
}

function collect(load: () => unknown): SigmaProblem[] {
  try {
    load();
    return [];
  } catch (error) {
    if (!(error instanceof SigmaRuleError)) throw error;
    return error.problems;
  }
}

/** Alerts and suppression key on the rule id, so two files with one id would merge their alerts. */
function duplicateIds(rules: (SigmaRule | SigmaCorrelation)[]): SigmaProblem[] {
  const first = new Map<string, string>();
  const problems: SigmaProblem[] = [];
  for (const rule of rules) {
    if (rule.id === undefined) {
      problems.push({ file: rule.file, path: 'id', message: 'an id is required (alerts and suppression key on it)' });
      continue;
    }
    const id = rule.id.toLowerCase();
    const other = first.get(id);
    if (other) problems.push({ file: rule.file, path: 'id', message: `duplicate id ${rule.id} (also in ${other})` });
    else first.set(id, rule.file);
  }
  return problems;
}

/**
 * The detection core stops at the loader when an attribute is invalid (a bad `id` or `level`), so the compile
 * problems of the same rule (unknown modifiers, unknown identifiers in the condition) would only show after a second
 * run. To list everything in one pass, the rule is loaded again without the top-level attributes that already have a
 * problem, compiled, and the new problems (outside those attributes) are added.
 */
function compileProblemsDespite(loadProblems: SigmaProblem[], source: string, file: string): SigmaProblem[] {
  const bad = new Set(loadProblems.map((p) => p.path.split('.')[0]!));
  if (bad.has('') || bad.has('detection')) return []; // not a YAML map, or the detection itself is unreadable
  const doc = parseDocument(source, { uniqueKeys: true });
  for (const key of bad) doc.delete(key);
  if (bad.has('logsource')) doc.set('logsource', { product: 'kubernetes', service: 'audit' }); // any known row
  if (bad.has('title')) doc.set('title', 'untitled');
  try {
    compileRules([loadRule(doc.toString(), file)]);
    return [];
  } catch (error) {
    if (!(error instanceof SigmaRuleError)) throw error;
    const seen = new Set(loadProblems.map((p) => `${p.path}\u0000${p.message}`));
    return error.problems.filter((p) => !bad.has(p.path.split('.')[0]!) && !seen.has(`${p.path}\u0000${p.message}`));
  }
}
