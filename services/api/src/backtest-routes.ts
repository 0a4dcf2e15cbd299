/**
 * `POST /v1/rules/backtest`: runs one Sigma rule or correlation — posted as YAML (`rule`) or named by the id or name of
 * a loaded rule (`rule_id`) — over the events the store already holds in `[from, to)`, and answers what it would have
 * fired (the `@bulwark/detection` backtest core: same rule index and correlation engine as the correlator, on fresh
 * in-memory state). It only reads events, so it takes the `read` scope, like search.
 *
 * Cost is bounded per request, since it runs inside a shared service: the range is at most MAX_RANGE_DAYS (longer is a
 * 400 naming the field), at most MAX_EVENTS events are read and at most TIME_BUDGET_MS spent (beyond either the answer
 * says `truncated: true` with `scanned_until`), at most MAX_CONCURRENT backtests run at once per process (429), and the
 * store is asked only for the datasets the rules read.
 *
 * Rules for `rule_id`, and the context a correlation's references resolve in, are the deployment's rules directory
 * (`detection.rules_dir`, default the bundled `rules/`), compiled with its placeholders and logsources — resolved by
 * `deploymentRules`, as `bulwark rules backtest` does. They are loaded once, on first use.
 */
import express, { Router } from 'express';
import { z } from 'zod';
import { BulwarkError } from '@bulwark/schema';
import { parseQuery } from '@bulwark/store';
import type { ApiDeps } from '@bulwark/runtime';
import {
  datasetQuery, deploymentRules, findRule, loadCorrelation, loadRule, loadRuleContext, pagedEvents, planBacktest, runBacktest, SigmaRuleError,
  type BacktestContext, type BacktestPlan, type DetectionConfig, type SigmaCorrelation, type SigmaRule,
} from '@bulwark/detection';
import { parseTime } from './params.js';

export const MAX_RANGE_DAYS = 31;
export const MAX_EVENTS = 200_000;
export const MAX_LIMIT = 1000;
export const TIME_BUDGET_MS = 20_000;
export const MAX_CONCURRENT = 2;
const PAGE_SIZE = 1000;

const time = z.string().max(64).transform((v, ctx) => {
  const d = parseTime(v);
  if (!d) {
    ctx.addIssue({ code: 'custom', message: 'must be ISO 8601, epoch milliseconds, or now[-+]<n><unit>' });
    return z.NEVER;
  }
  return d;
});

const BacktestBody = z
  .strictObject({
    rule: z.string().min(1).max(64 * 1024).optional(),
    rule_id: z.string().min(1).max(256).optional(),
    from: time,
    to: time.optional(),
    limit: z.number().int().min(0).max(MAX_LIMIT).default(100),
    max_events: z.number().int().min(1).max(MAX_EVENTS).default(MAX_EVENTS),
  })
  .superRefine((body, ctx) => {
    if ((body.rule === undefined) === (body.rule_id === undefined)) {
      ctx.addIssue({ code: 'custom', path: [body.rule === undefined ? 'rule' : 'rule_id'], message: 'give exactly one of "rule" (Sigma YAML) and "rule_id"' });
    }
  });

function badField(field: string, message: string, details: Record<string, unknown> = {}): BulwarkError {
  return new BulwarkError('BWK_BAD_REQUEST', `field "${field}": ${message}`, { field, ...details });
}


/** The rules a backtest may name or reference; a broken bundle is the server's problem (500), not the caller's. */
function loadContext(dir: string): BacktestContext {
  const { context, problems } = loadRuleContext(dir);
  if (problems.length > 0) throw new SigmaRuleError(problems);
  return context;
}

/** The posted YAML or the named rule, compiled with its context; every problem is a 400 on the field that caused it. */
function planFor(body: { rule?: string | undefined; rule_id?: string | undefined }, context: BacktestContext, config: DetectionConfig): BacktestPlan {
  const field = body.rule !== undefined ? 'rule' : 'rule_id';
  let target: SigmaRule | SigmaCorrelation | undefined;
  try {
    if (body.rule !== undefined) {
      target = /^correlation\s*:/m.test(body.rule) ? loadCorrelation(body.rule, 'rule') : loadRule(body.rule, 'rule');
    } else {
      target = findRule(body.rule_id!, context);
      if (!target) throw badField('rule_id', `no loaded rule or correlation has the id or name "${body.rule_id}"`);
    }
    return planBacktest(target, context, config);
  } catch (error) {
    if (!(error instanceof SigmaRuleError)) throw error;
    const problems = error.problems.map((p) => ({ path: p.path, message: p.message }));
    const first = problems[0]!;
    throw badField(field, `${first.path ? `${first.path}: ` : ''}${first.message}`, { problems });
  }
}

export function backtestRouter(deps: ApiDeps): Router {
  const { store, auth } = deps;
  const rules = deploymentRules(deps.config.detection);
  const router = Router();
  let context: BacktestContext | undefined;
  let running = 0;

  router.post('/v1/rules/backtest', auth.require('read'), express.json({ limit: '128kb' }), async (req, res) => {
    if (!req.is('application/json')) throw badField('(body)', 'send a JSON object with Content-Type: application/json');
    const parsed = BacktestBody.safeParse(req.body ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      if (issue.code === 'unrecognized_keys') throw badField(issue.keys[0]!, 'unknown field (expected rule or rule_id, from, to, limit, max_events)');
      if (issue.path.length === 0) throw badField('(body)', 'the body must be a JSON object');
      throw badField(issue.path.join('.'), /received undefined$/.test(issue.message) ? 'is required' : issue.message);
    }
    const body = parsed.data;
    const to = body.to ?? new Date();
    if (body.from >= to) throw badField('from', `${body.from.toISOString()} must be before "to" (${to.toISOString()})`);
    if (to.getTime() - body.from.getTime() > MAX_RANGE_DAYS * 86_400_000) {
      throw badField('to', `the range is longer than ${MAX_RANGE_DAYS} days; backtest it in parts`, { max_days: MAX_RANGE_DAYS });
    }
    context ??= loadContext(rules.dir);
    const plan = planFor(body, context, rules.config);
    if (running >= MAX_CONCURRENT) {
      throw new BulwarkError('BWK_OVERLOADED', `${MAX_CONCURRENT} backtests are already running; retry shortly`, { running });
    }
    running++;
    try {
      const query = parseQuery(datasetQuery(plan.datasets));
      // The embedded store answers in the calling tick: yield to the event loop after each page, so a long backtest
      // never stalls ingest or other requests of the process (and the time budget and concurrency bound mean something).
      const events = pagedEvents(async (cursor) => {
        const page = await store.search({ query, from: body.from, to, size: PAGE_SIZE, sort: 'asc', ...(cursor !== undefined ? { cursor } : {}) });
        await new Promise((resolve) => setImmediate(resolve));
        return page;
      });
      const result = await runBacktest(plan, events, { limit: body.limit, maxEvents: body.max_events, deadline: Date.now() + TIME_BUDGET_MS });
      res.json({ from: body.from.toISOString(), to: to.toISOString(), max_events: body.max_events, ...result });
    } finally {
      running--;
    }
  });

  return router;
}
