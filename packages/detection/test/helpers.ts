/** Test helpers: build a one-rule set from a detection section and events of a given dataset. */
import { compileRules, loadRule, type DetectionConfig, type RuleSet } from '../src/index.js';

let counter = 0;

/** A rule on the `kubernetes.audit` dataset (or `logsource`) with the given `detection:` YAML body. */
export function ruleYaml(detection: string, logsource = 'product: kubernetes\n  service: audit'): string {
  const body = detection.trim().split('\n').map((line) => '  ' + line).join('\n');
  return `title: test rule ${++counter}\nlogsource:\n  ${logsource}\ndetection:\n${body}\nlevel: high\n`;
}

export function ruleSet(detection: string, config: DetectionConfig = {}, logsource?: string): RuleSet {
  return compileRules([loadRule(ruleYaml(detection, logsource), 'test.yml')], config);
}

/** Does a one-rule set built from `detection` match `event`? */
export function matches(detection: string, event: unknown, config: DetectionConfig = {}): boolean {
  return ruleSet(detection, config).match(event).length === 1;
}

/** An ECS event of the audit dataset with `fields` merged at the top. */
export function auditEvent(audit: Record<string, unknown>, fields: Record<string, unknown> = {}): unknown {
  return {
    '@timestamp': '2026-11-29T10:00:00Z',
    event: { id: `e${++counter}`, dataset: 'kubernetes.audit' },
    kubernetes: { audit },
    ...fields,
  };
}

/** An event of the audit dataset with plain top-level fields (for value-semantics tests). */
export function event(fields: Record<string, unknown>): unknown {
  return { '@timestamp': '2026-11-29T10:00:00Z', event: { id: `e${++counter}`, dataset: 'kubernetes.audit' }, ...fields };
}
