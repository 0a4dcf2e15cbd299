/**
 * Compiles a loaded rule into one event test: search identifiers (`detection.ts`) joined by the parsed condition
 * (`condition.ts`), plus the datasets its logsource maps to and the exact-value hint the rule index uses.
 */
import { identifiersFor, requiredIdentifiers, type ConditionNode } from './condition.js';
import { compileIdentifiers, type CompiledIdentifier, type EventTest, type ExactHint } from './detection.js';
import type { ParsedCondition, SigmaRule } from './load.js';
import { datasetsFor, DEFAULT_LOGSOURCES, describeLogsource, type LogsourceMapping } from './logsource.js';
import type { ProblemSink } from './problems.js';
import type { Placeholders } from './values.js';

/** What compiling needs from the deployment. */
export interface DetectionConfig {
  /** Values for `expand` placeholders (`%Administrators%` → names). A missing placeholder is an error. */
  placeholders?: Placeholders;
  /** logsource → `event.dataset`; defaults to `DEFAULT_LOGSOURCES`. */
  logsources?: readonly LogsourceMapping[];
}

/**
 * The detection settings of a deployment (`detection.placeholders`, `detection.logsources` in the config) as the
 * compiler takes them: configured logsource rows come before the built-in table, so they can override a row.
 */
export function detectionConfigFrom(settings: { placeholders?: Placeholders; logsources?: readonly LogsourceMapping[] }): DetectionConfig {
  return {
    placeholders: settings.placeholders ?? {},
    logsources: [...(settings.logsources ?? []), ...DEFAULT_LOGSOURCES],
  };
}

export interface CompiledRule {
  rule: SigmaRule;
  datasets: string[];
  test: EventTest;
  /** Field values every match must have (each hint alone is required); `RuleSet` indexes by one of them. */
  hints: ExactHint[];
}

export function compileRule(rule: SigmaRule, config: DetectionConfig, sink: ProblemSink): CompiledRule | undefined {
  const datasets = datasetsFor(rule.logsource, config.logsources ?? DEFAULT_LOGSOURCES);
  if (!datasets) {
    sink.add('logsource', `no dataset is configured for logsource ${describeLogsource(rule.logsource)}`);
  }
  const identifiers = compileIdentifiers(rule.detection, sink, config.placeholders ?? {});
  const names = Object.keys(rule.detection).filter((k) => k !== 'condition' && k !== 'timeframe');
  const tests = rule.conditions.map((node, i) =>
    compileCondition(node, identifiers, names, sink, rule.conditions.length > 1 ? `detection.condition.${i}` : 'detection.condition'),
  );
  if (!sink.empty || !datasets) return undefined;
  const test: EventTest = tests.length === 1 ? tests[0]! : (event) => tests.some((t) => t(event));
  const hints = rule.conditions.length === 1 ? requiredHints(rule.conditions[0]!, identifiers, names) : [];
  return { rule, datasets, test, hints };
}

/**
 * Placeholder values belong to the deployment, so a rule the loader refused is compiled with every placeholder
 * defined: its other problems are listed, and a missing placeholder is reported once the rule loads and compiles with
 * the real configuration.
 */
const ANY_PLACEHOLDER: Placeholders = new Proxy({}, { get: (_target, name) => (typeof name === 'string' ? 'placeholder' : undefined) });

/**
 * The compile problems of a rule the loader already refused (a condition that does not parse, a bad attribute): its
 * search identifiers (modifiers, values, regexes) and the conditions that did parse (unknown identifiers), added to
 * the same sink so one pass lists every problem in the file. The logsource is not mapped here (that is configuration).
 */
export function compileDespiteLoadProblems(detection: unknown, conditions: ParsedCondition[], sink: ProblemSink): void {
  if (detection === null || typeof detection !== 'object' || Array.isArray(detection)) return;
  const map = detection as Record<string, unknown>;
  const identifiers = compileIdentifiers(map, sink, ANY_PLACEHOLDER);
  const names = Object.keys(map).filter((k) => k !== 'condition' && k !== 'timeframe');
  for (const { node, path } of conditions) compileCondition(node, identifiers, names, sink, path);
}

/**
 * Turns a condition tree into closures. Unknown identifiers (with their column) and `x of` patterns that match
 * nothing are problems. Identifiers that failed to compile were already reported, so they are not repeated.
 */
function compileCondition(
  node: ConditionNode, ids: Map<string, CompiledIdentifier>, names: string[], sink: ProblemSink, path: string,
): EventTest {
  const never: EventTest = () => false;
  switch (node.kind) {
    case 'id': {
      if (!names.includes(node.name)) {
        sink.add(path, `unknown search identifier '${node.name}' at column ${node.pos + 1}`);
      }
      return ids.get(node.name)?.test ?? never;
    }
    case 'not': {
      const inner = compileCondition(node.item, ids, names, sink, path);
      return (event) => !inner(event);
    }
    case 'and':
    case 'or': {
      const items = node.items.map((item) => compileCondition(item, ids, names, sink, path));
      return node.kind === 'and' ? (e) => items.every((t) => t(e)) : (e) => items.some((t) => t(e));
    }
    case 'of': {
      const matched = identifiersFor(node.pattern, names);
      if (matched.length === 0) {
        const what = node.pattern === null ? "'them' (no search identifiers)" : `pattern '${node.pattern}'`;
        sink.add(path, `${what} at column ${node.pos + 1} matches no search identifier`);
      }
      const items = matched.map((name) => ids.get(name)?.test ?? never);
      return node.quantifier === 'all' ? (e) => items.every((t) => t(e)) : (e) => items.some((t) => t(e));
    }
  }
}

/** The hints of the identifiers every match requires (under `or`/`not` nothing is required). */
function requiredHints(node: ConditionNode, ids: Map<string, CompiledIdentifier>, names: string[]): ExactHint[] {
  return requiredIdentifiers(node, names).flatMap((name) => ids.get(name)?.hints ?? []);
}
