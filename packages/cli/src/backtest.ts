/**
 * `bulwark rules backtest <rule-file-or-id> --from <time> [--to <time>] [--config <file>] [--rules <dir>] [--limit N]
 * [--max-events N] [--json]`: runs one rule or correlation over the events already in the configured store and prints
 * what it would have fired, so a rule is judged on real history before it goes live. The configuration is the one the
 * services load (`--config` or BULWARK_CONFIG, BULWARK_* env on top): its store — the SQLite file in `data_dir`, or the
 * search engine in scale mode, only read — and its rules, resolved by detection's `deploymentRules` exactly as the
 * API's `rule_id` is: `detection.rules_dir` (default the bundled rules), compiled with `detection.placeholders` and
 * `detection.logsources`.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import {
  datasetQuery, deploymentRules, findRule, formatProblem, loadCorrelation, loadRule, loadRuleContext, pagedEvents, planBacktest, runBacktest, SigmaRuleError,
  type BacktestPlan, type BacktestResult, type DetectionConfig, type SigmaCorrelation, type SigmaRule,
} from '@bulwark/detection';
import { parseQuery, parseTimestamp, type LogStore } from '@bulwark/store';
import { isCorrelation } from './catalog.js';
import { EXIT, line, parseCommand, UsageError, usageFailed, type CliIo } from './io.js';
import { printBacktest } from './backtest-format.js';
import { withReadStore } from './store.js';

/** Events per store page: large enough to amortise a round trip, small enough to stop soon after `--max-events`. */
const PAGE_SIZE = 1000;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `now`, `now-24h`, `now+5m`, epoch milliseconds, or ISO 8601 (an ISO time without an offset is UTC, as in the search
 * API: `parseTimestamp` of the store, not `Date.parse`, which would read it as local time).
 */
export function parseCliTime(text: string, now = Date.now()): Date | null {
  const t = text.trim();
  const rel = /^now(?:([+-])(\d+)(ms|s|m|h|d|w))?$/.exec(t);
  if (rel) return new Date(now + (rel[1] ? Number(rel[2]) * UNIT_MS[rel[3]!]! * (rel[1] === '-' ? -1 : 1) : 0));
  if (/^\d{10,16}$/.test(t)) return new Date(Number(t));
  const ms = parseTimestamp(t);
  return ms === null ? null : new Date(ms);
}

interface BacktestArgs {
  rule: string;
  from: Date;
  to: Date;
  /** `--rules`: overrides the configured `detection.rules_dir`. */
  rulesDir: string | undefined;
  /** `--config`: the configuration file, instead of BULWARK_CONFIG. */
  configFile: string | undefined;
  limit: number;
  maxEvents: number | undefined;
  json: boolean;
}

function parseBacktestArgs(argv: string[]): BacktestArgs {
  const { values, positionals } = parseCommand(argv, {
    from: { type: 'string' },
    to: { type: 'string' },
    rules: { type: 'string' },
    config: { type: 'string' },
    limit: { type: 'string' },
    'max-events': { type: 'string' },
    json: { type: 'boolean' },
  });
  if (positionals.length !== 1) throw new UsageError('rules backtest needs exactly one rule (a file, or an id or name in the rules directory)');
  if (values.from === undefined) throw new UsageError('rules backtest needs --from (ISO 8601, epoch ms, or now-<n><unit>)');
  const time = (option: string, text: string): Date => {
    const date = parseCliTime(text);
    if (!date) throw new UsageError(`--${option} '${text}': must be ISO 8601, epoch milliseconds, or now[-+]<n><unit>`);
    return date;
  };
  const from = time('from', values.from);
  const to = values.to === undefined ? new Date() : time('to', values.to);
  if (from >= to) throw new UsageError(`--from ${from.toISOString()} must be before --to ${to.toISOString()}`);
  const count = (option: string, text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (!/^\d+$/.test(text) || Number(text) > Number.MAX_SAFE_INTEGER) throw new UsageError(`--${option} '${text}': must be a whole number`);
    return Number(text);
  };
  return {
    rule: positionals[0]!,
    from,
    to,
    rulesDir: values.rules,
    configFile: values.config,
    limit: count('limit', values.limit) ?? 100,
    maxEvents: count('max-events', values['max-events']),
    json: values.json ?? false,
  };
}

/** Runs the command; `argv` is what follows `rules backtest`. */
export async function backtestCommand(argv: string[], io: CliIo): Promise<number> {
  let args: BacktestArgs;
  try {
    args = parseBacktestArgs(argv);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    return usageFailed(io, error);
  }
  let result: BacktestResult | undefined;
  const code = await withReadStore(io, args.configFile, (config) => {
    const rules = deploymentRules(config.detection);
    const resolved = resolvePlan(args.rule, args.rulesDir ?? rules.dir, rules.config, io);
    if (typeof resolved === 'number') return { ready: resolved };
    return async (store) => {
      result = await backtestStore(store, resolved, args);
      return EXIT.ok;
    };
  });
  if (code !== EXIT.ok || !result) return code;
  if (args.json) line(io.stdout, JSON.stringify({ from: args.from.toISOString(), to: args.to.toISOString(), ...result }, null, 2));
  else printBacktest(io.stdout, result, args.from, args.to, args.maxEvents);
  return EXIT.ok;
}

/** Reads `[from, to)` of the plan's datasets oldest first, page by page, and runs the backtest on it. */
export function backtestStore(store: LogStore, plan: BacktestPlan, args: { from: Date; to: Date; limit: number; maxEvents?: number | undefined }): Promise<BacktestResult> {
  const query = parseQuery(datasetQuery(plan.datasets));
  const events = pagedEvents((cursor) =>
    store.search({ query, from: args.from, to: args.to, size: PAGE_SIZE, sort: 'asc', ...(cursor !== undefined ? { cursor } : {}) }),
  );
  return runBacktest(plan, events, { limit: args.limit, ...(args.maxEvents !== undefined ? { maxEvents: args.maxEvents } : {}) });
}

/**
 * The rule — a file, else an id or name among the rules of `rulesDir` — with that directory as the context its
 * references resolve in, compiled with the deployment's settings; an exit code on failure.
 */
function resolvePlan(rule: string, rulesDir: string, detection: DetectionConfig, io: CliIo): BacktestPlan | number {
  if (!existsSync(rulesDir) || !statSync(rulesDir).isDirectory()) {
    line(io.stderr, `bulwark: --rules ${rulesDir}: no such directory`);
    return EXIT.usage;
  }
  const { context, problems } = loadRuleContext(rulesDir);
  if (problems.length > 0) {
    const files = new Set(problems.map((p) => p.file)).size;
    line(io.stderr, `bulwark: warning: ${files} rule files in ${rulesDir} have problems and were left out (see 'bulwark rules validate')`);
  }
  let target: SigmaRule | SigmaCorrelation | undefined;
  if (existsSync(rule)) {
    if (statSync(rule).isDirectory()) {
      line(io.stderr, `bulwark: ${rule} is a directory; backtest takes one rule file, id or name`);
      return EXIT.usage;
    }
    try {
      const source = readFileSync(rule, 'utf8');
      target = isCorrelation(source) ? loadCorrelation(source, rule) : loadRule(source, rule);
    } catch (error) {
      if (!(error instanceof SigmaRuleError)) throw error;
      for (const problem of error.problems) line(io.stderr, formatProblem(problem));
      return EXIT.failed;
    }
  } else {
    target = findRule(rule, context);
    if (!target) {
      line(io.stderr, `bulwark: ${rule}: no such file, and no rule with that id or name in ${rulesDir}`);
      return EXIT.failed;
    }
  }
  try {
    return planBacktest(target, context, detection);
  } catch (error) {
    if (!(error instanceof SigmaRuleError)) throw error;
    for (const problem of error.problems) line(io.stderr, formatProblem(problem));
    return EXIT.failed;
  }
}
