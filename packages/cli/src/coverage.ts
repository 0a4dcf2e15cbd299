/**
 * `bulwark rules coverage [--from now-7d] [--to now] [--config <file>] [--rules <dir>] [--json]`: per rule, how many of
 * the stored events of its datasets in the range had every field it names — the events it could have judged. A rule at
 * 0% reads fields the deployment's events do not carry (a shipper that drops them, an audit policy at `Metadata`
 * where the rule needs `requestObject`), which `rules validate` cannot know. Counted in the configured store (read
 * only) with one count per rule and one per dataset set; audit rules' native field names are looked up under
 * `kubernetes.audit` as the matcher does.
 */
import { AUDIT_DATASET, datasetQuery, datasetsFor, DEFAULT_LOGSOURCES, deploymentRules, fieldRefs, loadRuleContext, type SigmaRule } from '@bulwark/detection';
import { parseQuery, type LogStore } from '@bulwark/store';
import { parseCliTime } from './backtest.js';
import { EXIT, line, parseCommand, UsageError, usageFailed, type CliIo } from './io.js';
import { withReadStore } from './store.js';

export interface RuleCoverage {
  id: string;
  title: string;
  fields: string[];
  events: number;
  covered: number;
}

const quoteField = (f: string) => f.replace(/([\s:()"\\])/g, '\\$1');

/** The query of events that carry `field` (under `kubernetes.audit` too for audit datasets). */
function presence(field: string, datasets: readonly string[]): string {
  const own = `${quoteField(field)}:*`;
  return datasets.includes(AUDIT_DATASET) ? `(kubernetes.audit.${quoteField(field)}:* OR ${own})` : own;
}

async function count(store: LogStore, query: string, from: Date, to: Date): Promise<number> {
  const result = await store.histogram({ query: parseQuery(query), from, to, intervalMs: Math.max(1, to.getTime() - from.getTime()) });
  return result.buckets.reduce((n, b) => n + b.count, 0);
}

export async function ruleCoverage(store: LogStore, rules: readonly SigmaRule[], datasetsOf: (rule: SigmaRule) => string[], from: Date, to: Date): Promise<RuleCoverage[]> {
  const totals = new Map<string, number>();
  const out: RuleCoverage[] = [];
  for (const rule of rules) {
    const datasets = datasetsOf(rule);
    const scope = datasetQuery(datasets) || '*';
    if (!totals.has(scope)) totals.set(scope, await count(store, scope, from, to));
    const fields = [...new Set(fieldRefs(rule.detection as Record<string, unknown>).filter((r) => !r.modifiers.includes('exists')).map((r) => r.field))];
    const events = totals.get(scope)!;
    const covered = fields.length === 0 || events === 0 ? events : await count(store, [scope, ...fields.map((f) => presence(f, datasets))].join(' AND '), from, to);
    out.push({ id: rule.id ?? rule.title, title: rule.title, fields, events, covered });
  }
  return out;
}

export async function coverageCommand(argv: string[], io: CliIo): Promise<number> {
  let values;
  let from: Date;
  let to: Date;
  try {
    ({ values } = parseCommand(argv, { from: { type: 'string' }, to: { type: 'string' }, config: { type: 'string' }, rules: { type: 'string' }, json: { type: 'boolean' } }));
    const time = (option: string, text: string): Date => {
      const date = parseCliTime(text);
      if (!date) throw new UsageError(`--${option} '${text}': must be ISO 8601, epoch milliseconds, or now[-+]<n><unit>`);
      return date;
    };
    from = time('from', values.from ?? 'now-7d');
    to = time('to', values.to ?? 'now');
    if (from >= to) throw new UsageError(`--from ${from.toISOString()} must be before --to ${to.toISOString()}`);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailed(io, error);
  }
  let rows: RuleCoverage[] = [];
  const code = await withReadStore(io, values.config, (config) => {
    const deployment = deploymentRules(config.detection);
    const { context } = loadRuleContext(values.rules ?? deployment.dir);
    const logsources = deployment.config.logsources ?? DEFAULT_LOGSOURCES;
    return async (store) => {
      rows = await ruleCoverage(store, context.rules, (rule) => datasetsFor(rule.logsource, logsources) ?? [], from, to);
      return EXIT.ok;
    };
  });
  if (code !== EXIT.ok) return code;
  if (values.json) {
    line(io.stdout, JSON.stringify({ from: from.toISOString(), to: to.toISOString(), rules: rows }, null, 2));
    return EXIT.ok;
  }
  line(io.stdout, `field coverage ${from.toISOString()} → ${to.toISOString()}`);
  for (const r of rows) {
    const pct = r.events === 0 ? 'no events' : `${((100 * r.covered) / r.events).toFixed(1)}%`;
    line(io.stdout, `${pct.padStart(9)}  ${r.covered}/${r.events}  ${r.title}${r.fields.length ? ` [${r.fields.join(', ')}]` : ''}`);
  }
  return EXIT.ok;
}
