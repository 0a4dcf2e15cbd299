/**
 * The rule index. Matching every rule against every event makes cost grow with the rule count; instead rules are
 * grouped by the datasets their logsource maps to, and within a dataset by an exact field value every match
 * must have (`verb: create`), so an event is evaluated only against rules that could match it. A rule may
 * require several exact values; the index picks the one fewest rules of that dataset share, so buckets stay small
 * (`objectRef.subresource: exec` rather than `verb: create` when many rules say `verb: create`).
 */
import { compileRule, type CompiledRule, type DetectionConfig } from './compile.js';
import type { ExactHint } from './detection.js';
import { AUDIT_DATASET, collectFieldNames, compileFieldPath, datasetOf, withFieldMemo, type FieldResolver } from './fields.js';
import { asString } from './match.js';
import type { SigmaRule } from './load.js';
import { ProblemSink, SigmaRuleError, type SigmaProblem } from './problems.js';

/** A rule that matched an event. */
export interface MatchedRule {
  rule: SigmaRule;
}

interface DatasetIndex {
  /** Rules without a usable hint: always evaluated for this dataset. */
  unindexed: CompiledRule[];
  /** field → lower-cased value → rules requiring it. */
  byField: Map<string, { resolve: FieldResolver; byValue: Map<string, CompiledRule[]> }>;
}

/** Compiled rules, indexed; build with `compileRules`. */
export class RuleSet {
  /** Rule evaluations so far (candidates tested), to show the index at work. */
  evaluations = 0;
  private readonly order = new Map<CompiledRule, number>();
  private readonly datasets = new Map<string, DatasetIndex>();
  private readonly chosen = new Map<string, Map<CompiledRule, ExactHint | undefined>>();

  /** Dotted paths an event is read at (`readsPath`), or null when the rules' fields are unknown. */
  private readonly paths: string[] | null;

  /** `fieldNames`: every field the rules read (`compileRules` collects them); without them `readsPath` is always true. */
  constructor(readonly rules: CompiledRule[], fieldNames?: Iterable<string>) {
    this.paths = fieldNames === undefined ? null : readPaths(fieldNames);
    rules.forEach((rule, i) => this.order.set(rule, i));
    for (const dataset of new Set(rules.flatMap((r) => r.datasets))) {
      const members = rules.filter((r) => r.datasets.includes(dataset));
      const choices = chooseHints(members);
      this.chosen.set(dataset, choices);
      for (const rule of members) this.add(dataset, rule, choices.get(rule));
    }
  }

  /** The exact value a rule is indexed by on a dataset, or undefined when it is evaluated for every event. */
  indexHint(rule: CompiledRule, dataset: string): ExactHint | undefined {
    return this.chosen.get(dataset)?.get(rule);
  }

  /** Whether any rule reads events of this dataset: an event of another dataset (or of none) can match nothing. */
  readsDataset(dataset: string | null | undefined): boolean {
    return typeof dataset === 'string' && this.datasets.has(dataset);
  }

  /**
   * Whether `match` may read anything stored at the field path `keys` (a stored column's keys): a path a rule's field
   * resolves to (`fields.ts`: natively under `kubernetes.audit` on audit events, keys holding dots), a path below one
   * (an object's fields, flattened into the field's values) or above one (a scalar or an array of objects the walk
   * meets on the way). An event with only such paths matches exactly the rules the whole event matches. Always true
   * when the rules' fields are unknown.
   */
  readsPath(keys: readonly string[]): boolean {
    if (this.paths === null) return true;
    const dotted = keys.join('.');
    for (const path of this.paths) {
      if (dotted === path || dotted.startsWith(`${path}.`) || path.startsWith(`${dotted}.`)) return true;
    }
    return false;
  }

  /** Whether the rules' fields are known, so `readsPath` can leave columns out. */
  get knowsFields(): boolean {
    return this.paths !== null;
  }

  /** The rules an event matches, in the order they were given. Events of other datasets cost a map lookup. */
  match(event: unknown): MatchedRule[] {
    const dataset = datasetOf(event);
    const index = dataset === undefined ? undefined : this.datasets.get(dataset);
    if (!index) return [];
    return withFieldMemo(event, () => this.matchIndexed(event, index));
  }

  private matchIndexed(event: unknown, index: DatasetIndex): MatchedRule[] {
    const matched: CompiledRule[] = [];
    for (const rule of index.unindexed) {
      this.evaluations++;
      if (rule.test(event)) matched.push(rule);
    }
    // A rule is either unindexed or in the buckets of one field; it can sit in several of that field's buckets.
    let seen: Set<CompiledRule> | undefined;
    for (const { resolve, byValue } of index.byField.values()) {
      for (const value of resolve(event).values) {
        const text = asString(value);
        const rules = text === undefined ? undefined : byValue.get(text.toLowerCase());
        if (!rules) continue;
        for (const rule of rules) {
          if (seen?.has(rule)) continue;
          (seen ??= new Set()).add(rule);
          this.evaluations++;
          if (rule.test(event)) matched.push(rule);
        }
      }
    }
    if (matched.length > 1) matched.sort((a, b) => this.order.get(a)! - this.order.get(b)!);
    return matched.map((c) => ({ rule: c.rule }));
  }

  private add(dataset: string, rule: CompiledRule, hint: ExactHint | undefined): void {
    let index = this.datasets.get(dataset);
    if (!index) this.datasets.set(dataset, (index = { unindexed: [], byField: new Map() }));
    if (!hint) {
      index.unindexed.push(rule);
      return;
    }
    let field = index.byField.get(hint.field);
    if (!field) index.byField.set(hint.field, (field = { resolve: compileFieldPath(hint.field), byValue: new Map() }));
    for (const value of new Set(hint.values)) {
      const bucket = field.byValue.get(value);
      if (bucket) bucket.push(rule);
      else field.byValue.set(value, [rule]);
    }
  }
}

/** The dotted paths fields are looked up at: each name as written and under `kubernetes.audit`, and `event.dataset`. */
function readPaths(fieldNames: Iterable<string>): string[] {
  const paths = new Set(['event.dataset']);
  for (const name of fieldNames) {
    paths.add(name);
    paths.add(`${AUDIT_DATASET}.${name}`);
  }
  return [...paths];
}

/** Per rule, the hint whose values the fewest rules of the dataset share (ties: the first written). */
function chooseHints(rules: CompiledRule[]): Map<CompiledRule, ExactHint | undefined> {
  const key = (field: string, value: string) => `${field}\u0000${value}`;
  const shared = new Map<string, number>();
  for (const rule of rules) {
    const keys = new Set(rule.hints.flatMap((h) => h.values.map((v) => key(h.field, v))));
    for (const k of keys) shared.set(k, (shared.get(k) ?? 0) + 1);
  }
  const cost = (h: ExactHint) => h.values.reduce((sum, v) => sum + shared.get(key(h.field, v))!, 0);
  return new Map(
    rules.map((rule) => [rule, rule.hints.reduce<ExactHint | undefined>((best, h) => (!best || cost(h) < cost(best) ? h : best), undefined)]),
  );
}

/** Compiles loaded rules once (matchers, placeholders, logsources); throws every problem of every rule together. */
export function compileRules(rules: SigmaRule[], config: DetectionConfig = {}): RuleSet {
  const compiled: CompiledRule[] = [];
  const problems: SigmaProblem[] = [];
  const { names } = collectFieldNames(() => {
    for (const rule of rules) {
      const sink = new ProblemSink(rule.file);
      const result = compileRule(rule, config, sink);
      if (result) compiled.push(result);
      problems.push(...sink.problems);
    }
  });
  if (problems.length > 0) throw new SigmaRuleError(problems);
  return new RuleSet(compiled, names);
}
