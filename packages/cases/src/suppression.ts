/**
 * Suppression that holds across processes (docs/ARCHITECTURE.md, "Alerts and incidents"). "Is there an open alert of this rule and group key? If
 * not, store this one" is a read then a write; an in-process lock makes it atomic for one process only, and two
 * correlators (or the API and the embedded correlator) could both find none and both store an alert that should
 * have been folded. So the decision is made through the store's own compare-and-set, which works alike on SQLite and
 * the search engines: the first alert of each *episode* of a suppression key claims it by appending an audit record
 * under a deterministic id, `aud-supclaim-<key>-<generation>`, before the alert is created. Appending an id that
 * exists fails, so exactly one alert claims each generation; everyone else reads the claim and folds into its alert,
 * or, when that alert is closed or out of the window, claims the next generation.
 *
 * Claims form a gapless chain 0, 1, 2… per key, so the latest is found by probing ids (two reads when the last one is
 * remembered, a logarithmic search otherwise) and never depends on a search index being refreshed.
 *
 * Crash recovery: a claim whose alert does not exist yet is being created by its claimer, and others wait for it; if
 * it has not appeared after `suppressionClaimTimeoutMs`, the claimer died, and the claim is passed over by claiming
 * the next generation. The claimer's own replay recognises its claim (the claim names its alert) and creates it.
 */
import type { Alert } from '@bulwark/schema';
import type { CaseContext } from './context.js';
import { receivedAt, withinSpan } from './received.js';
import type { Actor } from './common.js';
import { latestInChain, rememberGeneration } from './chain.js';

/** An episode claim, as stored in the audit trail: who opened the episode, and when its first evidence was received. */
export interface SuppressionClaim {
  id: string;
  at: string;
  actor: Actor;
  action: 'alert.suppression_claim';
  collection: 'alerts';
  target_id: string;
  before: null;
  after: { generation: number; suppression_key: string };
  suppression_key: string;
  generation: number;
  /** Receive time of the claiming alert: the start of the episode's span of receive times. */
  received_at: string;
}

const CLOSED = new Set(['resolved', 'suppressed']);

export function claimId(key: string, generation: number): string {
  return `aud-supclaim-${key}-${generation}`;
}

/** What to do with a new open alert: fold it into an episode's alert, or create it (its claim is made). */
export type SuppressionDecision = { fold: string } | { create: true };

/** Decides, atomically across processes, whether `alert` opens an episode of its suppression key or joins one. */
export async function claimOrFold(ctx: CaseContext, alert: Alert, actor: Actor): Promise<SuppressionDecision> {
  const key = alert.suppression_key!;
  let head = await latestClaim(ctx, key);
  for (;;) {
    if (head) {
      // Our own claim (a replay after a crash between claiming and creating): finish creating.
      if (head.target_id === alert.id) return { create: true };
      const target = await claimedAlert(ctx, head);
      if (target && joins(ctx, target, head, alert)) return { fold: target.id };
    }
    const generation = head ? head.generation + 1 : 0;
    const claim: SuppressionClaim = {
      id: claimId(key, generation),
      at: ctx.now(),
      actor,
      action: 'alert.suppression_claim',
      collection: 'alerts',
      target_id: alert.id,
      before: null,
      after: { generation, suppression_key: key },
      suppression_key: key,
      generation,
      received_at: receivedAt(alert),
    };
    const stored = await ctx.store.append('audit', claim, { ifAbsent: true });
    rememberGeneration(ctx.claimHints, key, generation);
    if (stored.created || stored.record.target_id === alert.id) return { create: true };
    head = stored.record; // another process claimed it first: decide against its alert
  }
}

/** The alert joins the episode: its alert is open and this alert was received within the window of its span. */
function joins(ctx: CaseContext, target: Alert, claim: SuppressionClaim, alert: Alert): boolean {
  if (CLOSED.has(target.status) || target.rule.id !== alert.rule.id || target.group_key !== alert.group_key) return false;
  return withinSpan(receivedAt(alert), claim.received_at, receivedAt(target), ctx.suppressionWindowMs);
}

/**
 * The alert a claim names, waiting while its claimer creates it; null once the claim is older than the takeover
 * timeout and the alert still does not exist (its claimer died: the episode is passed over).
 */
async function claimedAlert(ctx: CaseContext, claim: SuppressionClaim): Promise<Alert | null> {
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    const found = await ctx.store.get<Alert>('alerts', claim.target_id);
    if (found) return found.record;
    // The claim's age by the clock it was made with, or how long we waited (a pinned test clock never moves).
    const age = Math.max(Date.parse(ctx.now()) - Date.parse(claim.at), performance.now() - started);
    if (age >= ctx.suppressionClaimTimeoutMs) return null;
    await new Promise((resolve) => setTimeout(resolve, Math.min(10 * 2 ** attempt, 250)));
  }
}

/** The latest claim of `key`, or null when none was made. */
async function latestClaim(ctx: CaseContext, key: string): Promise<SuppressionClaim | null> {
  const read = async (generation: number) => (await ctx.store.get<SuppressionClaim>('audit', claimId(key, generation)))?.record ?? null;
  const latest = await latestInChain(read, ctx.claimHints.get(key));
  if (latest) rememberGeneration(ctx.claimHints, key, latest.generation);
  return latest?.record ?? null;
}
