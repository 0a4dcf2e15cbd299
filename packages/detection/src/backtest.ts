/**
 * Backtesting: "what would this rule have fired on the history we already store?" Before a rule goes live (or after a
 * tuning change) an analyst runs it over past events and reads the would-be alerts, instead of learning its noise from
 * production. The same rule set and correlation engine the correlator runs are used, on a fresh in-memory state, so the
 * answer is what the correlator would have produced had the rule been loaded over that period.
 *
 * The core is store-independent: it takes events as an (async) iterable in event-time order, the order the store's
 * `search(…, sort: 'asc')` pages them in. `datasetQuery` names the datasets worth reading (a cheap prefilter the store
 * evaluates on its `event.dataset` index) and `pagedEvents` turns a keyset-paged search into that iterable.
 *
 * Known limit: a correlation window that opened before the first event scanned is not seen, as for a correlator started
 * at `from`.
 */
import type { SigmaRule } from './load.js';
import type { SigmaCorrelation } from './correlation/load.js';
import { compileRules, type RuleSet } from './ruleset.js';
import { compileCorrelations, type CorrelationSet } from './correlation/compile.js';
import { CorrelationEngine, type CorrelationMatch } from './correlation/engine.js';
import { InMemoryCorrelationState } from './correlation/state.js';
import { isNewTerm, newTermsOf } from './new-terms.js';
import type { DetectionConfig } from './compile.js';

type AnyRule = SigmaRule | SigmaCorrelation;

/** Rules to resolve a correlation's references against (a rules directory, loaded). */
export interface BacktestContext {
  rules: SigmaRule[];
  correlations: SigmaCorrelation[];
}

/** What a backtest runs: the target, plus for a correlation every rule and correlation it reaches. */
export interface BacktestPlan {
  target: AnyRule;
  ruleset: RuleSet;
  /** Undefined for a single-event rule. */
  correlations: CorrelationSet | undefined;
  /** The datasets any evaluated rule reads; events of other datasets cannot change the result. */
  datasets: string[];
}

export interface BacktestOptions {
  /** How many hits to list (counts stay exact beyond it). Default 100. */
  limit?: number;
  /** Stop after this many events; the result then says `truncated` and where it stopped. Default: no bound. */
  maxEvents?: number;
  /**
   * Wall-clock instant (epoch ms) after which the scan stops, `truncated` like `maxEvents`: bounds what one request
   * may cost a shared service whatever the store's speed. Default: none.
   */
  deadline?: number;
  /** As the correlator's option: how late (behind its group) an event may be and still count. Default 60 s. */
  allowedLatenessMs?: number;
}

/** One would-be alert. Single-event rules: one event; correlations: the window that fired. */
export interface BacktestHit {
  rule: { id: string; title: string; level: string; kind: 'rule' | 'correlation' };
  first_seen: string;
  last_seen: string;
  /** Up to MAX_HIT_EVENT_IDS ids (the latest); `event_count` is exact. */
  event_ids: string[];
  event_count: number;
  /** The event's `message`, shortened (single-event rules), so a listing says what happened. */
  summary?: string;
  match_id?: string;
  group_key?: string;
  group?: Record<string, string>;
  window?: { start: string; end: string };
  count?: number;
  distinct?: number;
  sum?: number;
  avg?: number;
}

export interface BacktestResult {
  rule: BacktestHit['rule'];
  datasets: string[];
  /** Events read from the history. */
  scanned: number;
  /** Hits of the target rule over the scanned events (exact, whatever `limit`). */
  matches: number;
  /** The scan stopped (at `maxEvents` or the deadline) before the history ended: counts cover up to `scanned_until` only. */
  truncated: boolean;
  /** Which bound stopped the scan, when `truncated`. */
  truncated_by: 'max_events' | 'deadline' | null;
  /** `@timestamp` of the last event scanned (ISO), to resume from when truncated. */
  scanned_until: string | null;
  /** Hits beyond `limit`, counted but not listed. */
  hits_omitted: number;
  /** Matches per evaluated rule (for a correlation: its building blocks too), keyed by rule id (else name, title). */
  by_rule: Record<string, { title: string; level: string; kind: 'rule' | 'correlation'; matches: number }>;
  /** The first `limit` hits of the target, in the order they would have fired. */
  hits: BacktestHit[];
}

export const DEFAULT_BACKTEST_LIMIT = 100;
export const MAX_HIT_EVENT_IDS = 100;

/** The key a rule is referenced and reported by, as the correlator's alerts name it. */
export function ruleKey(rule: AnyRule): string {
  return rule.id ?? rule.name ?? rule.title;
}

/** A rule or correlation of the context by id (case-insensitive, as ids are UUIDs) or name. */
export function findRule(ref: string, context: BacktestContext): AnyRule | undefined {
  const wanted = ref.toLowerCase();
  return [...context.rules, ...context.correlations].find((r) => r.id?.toLowerCase() === wanted || r.name === ref);
}

/**
 * Compiles what the target needs. A single-event rule runs alone. A correlation runs with the closure of its references
 * (rules and chained correlations) from `context`; a context rule with the target's id or name is the target's older
 * self (the file being edited) and is left out. Throws `SigmaRuleError` when the target does not compile or a
 * reference does not resolve.
 */
export function planBacktest(target: AnyRule, context: BacktestContext = { rules: [], correlations: [] }, config: DetectionConfig = {}): BacktestPlan {
  if (!isCorrelation(target)) {
    const ruleset = compileRules([target], config);
    return { target, ruleset, correlations: undefined, datasets: datasetsOf(ruleset) };
  }
  const same = (r: AnyRule) => r === target || ((target.id !== undefined && r.id === target.id) || (target.name !== undefined && r.name === target.name));
  const rules = context.rules.filter((r) => !same(r));
  const correlations = [target, ...context.correlations.filter((c) => !same(c))];
  // Only the closure is compiled (a broken rule elsewhere in the directory is no concern here); a reference that
  // resolves to nothing, or to two rules, is reported by the correlation compiler with its file and path.
  const needed = closure(target, [...rules, ...correlations]);
  const neededRules = rules.filter((r) => needed.has(r));
  const ruleset = compileRules(neededRules, config);
  const set = compileCorrelations(correlations.filter((c) => needed.has(c)), neededRules);
  return { target, ruleset, correlations: set, datasets: datasetsOf(ruleset) };
}

function isCorrelation(rule: AnyRule): rule is SigmaCorrelation {
  return 'timespanMs' in rule;
}

/** The target and every rule or correlation it reaches through `rules` references. */
function closure(start: SigmaCorrelation, all: AnyRule[]): Set<AnyRule> {
  const seen = new Set<AnyRule>([start]);
  const queue: SigmaCorrelation[] = [start];
  while (queue.length > 0) {
    for (const ref of queue.shift()!.rules) {
      for (const found of all.filter((r) => r.id === ref || r.name === ref)) {
        if (seen.has(found)) continue;
        seen.add(found);
        if (isCorrelation(found)) queue.push(found);
      }
    }
  }
  return seen;
}

function datasetsOf(ruleset: RuleSet): string[] {
  return [...new Set(ruleset.rules.flatMap((r) => r.datasets))].sort();
}

/** The store prefilter in Bulwark's search language (packages/store/SEARCH.md): `event.dataset` is one of them. */
export function datasetQuery(datasets: readonly string[]): string {
  if (datasets.length === 0) return '';
  return `event.dataset:(${datasets.map((d) => JSON.stringify(d)).join(' OR ')})`;
}

/** One page of a keyset-paged search (the LogStore `search` shape). */
export type PageFetcher = (cursor: string | undefined) => Promise<{ hits: readonly unknown[]; cursor: string | null }>;

/** Every event of a keyset-paged search, page after page, fetched only as the consumer reads on. */
export async function* pagedEvents(fetchPage: PageFetcher): AsyncGenerator<unknown> {
  let cursor: string | undefined;
  for (;;) {
    const page = await fetchPage(cursor);
    yield* page.hits;
    if (page.cursor === null || page.hits.length === 0) return;
    cursor = page.cursor;
  }
}

/** Runs the plan over `events` (event-time order) and reports what would have fired. */
export async function runBacktest(plan: BacktestPlan, events: AsyncIterable<unknown> | Iterable<unknown>, options: BacktestOptions = {}): Promise<BacktestResult> {
  const limit = Math.max(0, options.limit ?? DEFAULT_BACKTEST_LIMIT);
  const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
  const engine = plan.correlations
    ? new CorrelationEngine(plan.correlations, { state: new InMemoryCorrelationState(), allowedLatenessMs: options.allowedLatenessMs ?? 60_000 })
    : undefined;
  // First-seen rules remember what the scan has seen so far (the scan is in time order), as the correlator would.
  const terms = new InMemoryCorrelationState();
  const result: BacktestResult = {
    rule: describe(plan.target),
    datasets: plan.datasets,
    scanned: 0,
    matches: 0,
    truncated: false,
    truncated_by: null,
    scanned_until: null,
    hits_omitted: 0,
    by_rule: {},
    hits: [],
  };
  for (const compiled of plan.ruleset.rules) countRule(result, compiled.rule, 0);
  for (const c of plan.correlations?.correlations ?? []) countRule(result, c.correlation, 0);
  const hit = (h: BacktestHit): void => {
    result.matches++;
    if (result.hits.length < limit) result.hits.push(h);
    else result.hits_omitted++;
  };

  const iterator = (Symbol.asyncIterator in events ? events[Symbol.asyncIterator]() : events[Symbol.iterator]()) as AsyncIterator<unknown> | Iterator<unknown>;
  try {
    for (;;) {
      const next = await iterator.next();
      if (next.done) break;
      const stop = result.scanned >= maxEvents ? 'max_events' : options.deadline !== undefined && Date.now() > options.deadline ? 'deadline' : null;
      if (stop) {
        result.truncated = true;
        result.truncated_by = stop;
        break;
      }
      const event = next.value;
      result.scanned++;
      result.scanned_until = isoTime(event) ?? result.scanned_until;
      const matched = plan.ruleset.match(event).map((m) => m.rule);
      for (const rule of matched) {
        if (newTermsOf(rule) && !(await isNewTerm(terms, rule, ruleKey(rule), event, Date.parse(isoTime(event) ?? '') || 0, eventIdOf(event) ?? ''))) continue;
        countRule(result, rule, 1);
        if (rule === plan.target) hit(ruleHit(rule, event));
      }
      if (!engine || matched.length === 0) continue;
      for (const match of await engine.process(event, matched.map(ruleKey))) {
        countRule(result, match.rule, 1);
        if (match.rule === plan.target) hit(correlationHit(match));
      }
    }
  } finally {
    await iterator.return?.();
  }
  return result;
}

function eventIdOf(event: unknown): string | undefined {
  const id = (event as { event?: { id?: unknown } } | null)?.event?.id;
  return typeof id === 'string' ? id : undefined;
}

function describe(rule: AnyRule): BacktestHit['rule'] {
  return { id: ruleKey(rule), title: rule.title, level: rule.level ?? 'informational', kind: isCorrelation(rule) ? 'correlation' : 'rule' };
}

function countRule(result: BacktestResult, rule: AnyRule, n: number): void {
  const entry = (result.by_rule[ruleKey(rule)] ??= {
    title: rule.title, level: rule.level ?? 'informational', kind: isCorrelation(rule) ? 'correlation' : 'rule', matches: 0,
  });
  entry.matches += n;
}

function ruleHit(rule: SigmaRule, event: unknown): BacktestHit {
  const at = isoTime(event) ?? '';
  const id = eventIdOf(event);
  const message = (event as { message?: unknown } | null)?.message;
  return {
    rule: describe(rule),
    first_seen: at,
    last_seen: at,
    event_ids: id !== undefined ? [id] : [],
    event_count: 1,
    ...(typeof message === 'string' && message !== '' ? { summary: message.length > 200 ? `${message.slice(0, 199)}…` : message } : {}),
  };
}

function correlationHit(match: CorrelationMatch): BacktestHit {
  const window = { start: iso(match.window.start), end: iso(match.window.end) };
  return {
    rule: describe(match.rule),
    first_seen: window.start,
    last_seen: window.end,
    event_ids: match.eventIds.slice(-MAX_HIT_EVENT_IDS),
    event_count: match.eventIds.length,
    match_id: match.id,
    group_key: match.groupKey,
    group: match.group,
    window,
    ...(match.count !== undefined ? { count: match.count } : {}),
    ...(match.distinct !== undefined ? { distinct: match.distinct } : {}),
    ...(match.sum !== undefined ? { sum: match.sum } : {}),
    ...(match.avg !== undefined ? { avg: match.avg } : {}),
  };
}

function iso(text: string): string {
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? new Date(ms).toISOString() : text;
}

function isoTime(event: unknown): string | undefined {
  const raw = (event as { '@timestamp'?: unknown } | null)?.['@timestamp'];
  const ms = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : Number.NaN;
  return Number.isFinite(ms) ? new Date(ms).toISOString() : undefined;
}
