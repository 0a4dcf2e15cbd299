/**
 * Learning before alerting, for first-seen rules (`@bulwark/detection` new-terms.ts): a rule deployed today has seen
 * nothing, so every combination would be "new" and it would alert on the whole cluster's ordinary work. At start, each
 * first-seen rule the state store has not learned yet reads the stored events of its datasets over its history window
 * (oldest first, bounded), records every combination its selection matches — without alerting — and marks itself
 * learned in the same store. A restart (SQLite) or a second correlator (Redis) finds the mark and learns nothing again;
 * two learning at once write the same combinations (the writes are compare-and-set, the outcome the same).
 */
import type { Logger } from 'pino';
import { datasetQuery, isNewTerm, newTermsOf, type CorrelationState, type RuleSet, type SigmaRule } from '@bulwark/detection';
import { parseQuery, type LogStore } from '@bulwark/store';

/** Stored events read per rule at most while learning; what lies beyond is learned as it comes (and may alert once). */
export const MAX_LEARNING_EVENTS = 200_000;
const LEARNED_TTL_MS = 10 * 365 * 86_400_000;

export interface LearnTermsOptions {
  rules: readonly SigmaRule[];
  ruleset: RuleSet;
  ruleKeyOf: (rule: SigmaRule) => string;
  state: CorrelationState;
  store: Pick<LogStore, 'search'>;
  logger: Logger;
  now?: number;
}

/** Learns every first-seen rule not learned yet; returns the events read per rule key. */
export async function learnTerms(opts: LearnTermsOptions): Promise<Map<string, number>> {
  const read = new Map<string, number>();
  const now = opts.now ?? Date.now();
  for (const rule of opts.rules) {
    const spec = newTermsOf(rule);
    if (!spec) continue;
    const key = opts.ruleKeyOf(rule);
    const marker = `newterm-learned:${key}`;
    if (await opts.state.read(marker)) continue;
    const datasets = opts.ruleset.rules.find((c) => c.rule === rule)?.datasets ?? [];
    let cursor: string | undefined;
    let count = 0;
    do {
      const page = await opts.store.search({ query: parseQuery(datasetQuery(datasets) || '*'), from: new Date(now - spec.windowMs), to: new Date(now), size: 1000, sort: 'asc', ...(cursor ? { cursor } : {}) });
      for (const event of page.hits) {
        count++;
        if (!opts.ruleset.match(event).some((m) => m.rule === rule)) continue;
        // Recorded under a learning id, never the event's own: that event evaluated again later is not "new".
        await isNewTerm(opts.state, rule, key, event, Date.parse(event['@timestamp']) || now, 'learned');
      }
      cursor = page.cursor ?? undefined;
    } while (cursor && count < MAX_LEARNING_EVENTS);
    await opts.state.write(marker, { entries: [], watermark: now }, 0, LEARNED_TTL_MS);
    await (opts.state.flush?.() as Promise<unknown> | undefined);
    read.set(key, count);
    opts.logger.info({ rule: key, events: count, window_ms: spec.windowMs }, 'first-seen rule learned its history');
  }
  return read;
}
