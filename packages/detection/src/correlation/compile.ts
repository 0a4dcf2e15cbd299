/**
 * Compiling correlations against the detection rules they reference: every `rules` entry must name exactly one
 * loaded rule (by `id` or `name`, "Related rules"), and every `group-by` field becomes one field resolver per
 * referenced rule — the core's resolver, so group-by paths resolve exactly like detection fields (native audit names
 * on audit events, ECS names, dotted keys) — with `aliases` choosing a different field per rule ("Field Name
 * Aliases"). Problems are reported together with file and YAML path, like the rule compiler.
 */
import { compileFieldPath, type FieldResolver } from '../fields.js';
import type { SigmaRule } from '../load.js';
import { ProblemSink, SigmaRuleError, type SigmaProblem } from '../problems.js';
import type { SigmaCorrelation } from './load.js';
import { conditionTest, type WindowSpec } from './window.js';

/**
 * One referenced rule as seen by one correlation: the rule and how to read the group and value fields of its events.
 * A referenced correlation ("Allowing the user to chain multiple correlations together") feeds its matches in as
 * events whose fields are its own group-by values, so the next correlation groups them by the same names.
 */
export interface CorrelationMember {
  rule: SigmaRule | SigmaCorrelation;
  /** One resolver per `group-by` entry, in order (aliases already applied). */
  groupBy: FieldResolver[];
  /** The condition's `field` for value_count / value_sum / value_avg. */
  field?: FieldResolver;
}

export interface CompiledCorrelation {
  correlation: SigmaCorrelation;
  /** Stable identity for state keys and match ids: `id`, else `name`, else `title`. */
  key: string;
  /** Indexed like `correlation.rules`. */
  members: CorrelationMember[];
  spec: Omit<WindowSpec, 'latenessMs'>;
}

/** Compiled correlations plus the lookups the engine needs; build with `compileCorrelations`. */
export class CorrelationSet {
  /** rule id or name → (correlation, member index) pairs that reference that rule. */
  private readonly byRef = new Map<string, { compiled: CompiledCorrelation; member: number }[]>();
  private readonly silent = new Set<SigmaRule | SigmaCorrelation>();

  constructor(readonly correlations: CompiledCorrelation[]) {
    const generating = new Set<SigmaRule | SigmaCorrelation>();
    for (const compiled of correlations) {
      compiled.members.forEach(({ rule }, member) => {
        for (const ref of new Set([rule.id, rule.name].filter((r): r is string => r !== undefined))) {
          const list = this.byRef.get(ref) ?? [];
          list.push({ compiled, member });
          this.byRef.set(ref, list);
        }
        if (compiled.correlation.generate) generating.add(rule);
        else this.silent.add(rule);
      });
    }
    for (const rule of generating) this.silent.delete(rule);
  }

  /** Which members of which correlations a matched rule (given by id or name) feeds. */
  referencing(ref: string): readonly { compiled: CompiledCorrelation; member: number }[] {
    return this.byRef.get(ref) ?? [];
  }

  /**
   * "Generate": a rule referenced only by correlations with `generate: false` (the default) is a building block,
   * not an alert of its own; the correlator asks this before writing a stand-alone alert for a rule match.
   */
  standalone(rule: SigmaRule | SigmaCorrelation): boolean {
    return !this.silent.has(rule);
  }
}

/** Resolves references and compiles every correlation; throws every problem of every correlation together. */
export function compileCorrelations(correlations: SigmaCorrelation[], rules: SigmaRule[]): CorrelationSet {
  const problems: SigmaProblem[] = [];
  const compiled: CompiledCorrelation[] = [];
  for (const correlation of correlations) {
    const sink = new ProblemSink(correlation.file);
    const candidates = [...rules, ...correlations.filter((c) => c !== correlation)];
    const members = correlation.rules.map((ref, i) => resolveMember(correlation, ref, i, candidates, sink));
    if (sink.empty) {
      compiled.push({
        correlation,
        key: correlation.id ?? correlation.name ?? correlation.title,
        members: members as CorrelationMember[],
        spec: {
          type: correlation.type,
          timespanMs: correlation.timespanMs,
          ruleCount: correlation.rules.length,
          test: conditionTest(correlation.condition),
        },
      });
    }
    problems.push(...sink.problems);
  }
  const keys = new Map<string, string>();
  for (const { key, correlation } of compiled) {
    const other = keys.get(key);
    if (other) problems.push({ file: correlation.file, path: 'id', message: `'${key}' also identifies the correlation in ${other}` });
    keys.set(key, correlation.file);
  }
  problems.push(...cycles(compiled));
  if (problems.length > 0) throw new SigmaRuleError(problems);
  return new CorrelationSet(compiled);
}

/** A correlation that (through others) references itself would feed its own matches back forever. */
function cycles(compiled: CompiledCorrelation[]): SigmaProblem[] {
  const byRule = new Map(compiled.map((c) => [c.correlation as SigmaRule | SigmaCorrelation, c]));
  const reaches = (from: CompiledCorrelation, target: CompiledCorrelation, seen: Set<CompiledCorrelation>): boolean =>
    from.members.some(({ rule }) => {
      const next = byRule.get(rule);
      if (!next || seen.has(next)) return false;
      seen.add(next);
      return next === target || reaches(next, target, seen);
    });
  return compiled
    .filter((c) => reaches(c, c, new Set()))
    .map((c) => ({ file: c.correlation.file, path: 'correlation.rules', message: 'correlation chain refers back to this correlation' }));
}

function resolveMember(
  correlation: SigmaCorrelation,
  ref: string,
  index: number,
  rules: (SigmaRule | SigmaCorrelation)[],
  sink: ProblemSink,
): CorrelationMember | undefined {
  const path = `correlation.rules.${index}`;
  const found = rules.filter((r) => r.id === ref || r.name === ref);
  if (found.length === 0) {
    sink.add(path, `no loaded rule or correlation has the id or name '${ref}'`);
    return undefined;
  }
  if (found.length > 1) {
    sink.add(path, `'${ref}' names ${found.length} rules (${found.map((r) => r.file).join(', ')})`);
    return undefined;
  }
  const rule = found[0]!;
  const fieldFor = (name: string, at: string): FieldResolver | undefined => {
    const alias = correlation.aliases[name];
    if (!alias) return compileFieldPath(name);
    const mapped = alias[ref] ?? (rule.id !== undefined ? alias[rule.id] : undefined) ?? (rule.name !== undefined ? alias[rule.name] : undefined);
    if (mapped === undefined) {
      sink.add(at, `alias '${name}' gives no field for rule '${ref}'`);
      return undefined;
    }
    return compileFieldPath(mapped);
  };
  const groupBy = correlation.groupBy.map((name, i) => fieldFor(name, `correlation.group-by.${i}`));
  const field = correlation.field === undefined ? undefined : fieldFor(correlation.field, 'correlation.condition.field');
  if (groupBy.includes(undefined) || (correlation.field !== undefined && !field)) return undefined;
  return { rule, groupBy: groupBy as FieldResolver[], ...(field && { field }) };
}
