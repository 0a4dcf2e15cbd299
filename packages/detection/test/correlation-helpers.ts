/** Test helpers for correlations: base rules by name, correlation YAML, timed audit events, and a stream runner. */
import {
  compileCorrelations, CorrelationEngine, loadCorrelation, loadRule, type CorrelationEngineOptions, type CorrelationMatch,
  type SigmaRule,
} from '../src/index.js';

export const T0 = Date.parse('2026-11-29T10:00:00.000Z');

/** A trivial audit rule named `name` that matches `verb: <name>` (engine tests feed rule names directly). */
export function baseRule(name: string): SigmaRule {
  return loadRule(
    `title: ${name}\nname: ${name}\nlogsource: {product: kubernetes, service: audit}\ndetection:\n  sel:\n    verb: ${name}\n  condition: sel\n`,
    `${name}.yml`,
  );
}

/** A correlation document from its `correlation:` body (indented by the helper). */
export function correlationYaml(body: string, extra = ''): string {
  const indented = body.trim().split('\n').map((l) => '  ' + l).join('\n');
  return `title: test correlation\nname: test_correlation\n${extra}correlation:\n${indented}\n`;
}

/** An engine over base rules `names` and one correlation. */
export function engineFor(names: string[], body: string, options: CorrelationEngineOptions = {}, extra = ''): CorrelationEngine {
  const set = compileCorrelations([loadCorrelation(correlationYaml(body, extra), 'c.yml')], names.map(baseRule));
  return new CorrelationEngine(set, options);
}

/** An audit event `id` at `T0 + ms` with native audit fields. */
export function at(id: string, ms: number, audit: Record<string, unknown> = {}): unknown {
  return {
    '@timestamp': new Date(T0 + ms).toISOString(),
    event: { id, dataset: 'kubernetes.audit' },
    kubernetes: { audit: { user: { username: 'alice' }, ...audit } },
  };
}

export type Step = [event: unknown, rules: string[]];

/** Feeds steps one `process` call each; returns every match in order. */
export async function run(engine: CorrelationEngine, steps: Step[]): Promise<CorrelationMatch[]> {
  const out: CorrelationMatch[] = [];
  for (const [event, rules] of steps) out.push(...(await engine.process(event, rules)));
  return out;
}

/** The parts of matches that must be identical between runs (the rule object aside). */
export function summary(matches: CorrelationMatch[]) {
  return matches.map(({ rule, ...rest }) => ({ rule: rule.title, ...rest }));
}

export const seconds = (s: number) => s * 1000;
