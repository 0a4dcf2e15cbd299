/**
 * The window algorithm for one correlation rule and one group key, as a pure function over plain JSON state, so
 * every state adapter (in-process, Redis) stores the same thing and the engine's output cannot depend on where the
 * state lives, how events were batched, or whether the process restarted in between.
 *
 * Windows slide on event time: after an event at `t` is added, the windows *ending at* every entry in
 * `[t, t + timespan]` are evaluated (an out-of-order event can complete a window that ends after it). A window
 * ending at `a` holds the entries with `a - timespan <= time <= a` — both edges inclusive, so two events exactly one
 * timespan apart are "within" it. That is the spec's "should not be restricted to boundaries" (no fixed buckets).
 *
 * Re-firing: once a window matched, later matches for the group must start *after* that match's end, so every match
 * is backed by events no earlier match used. A sustained attack yields one match per fresh batch of evidence
 * rather than one per event (the correlator's alert suppression then merges them into one alert's count), and
 * entries at or before the last match's end are dropped from state right away.
 *
 * Lateness: the watermark is the latest event time this group has seen; an event older than `watermark - lateness`
 * is rejected as late (its windows may already be pruned). Watermarks are per group key on purpose: a key's result
 * then depends only on that key's events, so any number of correlators sharing state by key agree.
 */
import type { CorrelationCondition, CorrelationType } from './load.js';

/** One event in a window: its time (ms), id, which of the correlation's rules it matched, and its field values. */
export interface WindowEntry {
  t: number;
  id: string;
  /** Indices into the correlation's `rules`. */
  rules: number[];
  /** value_count: distinct-able values; value_sum/value_avg: numbers. Absent for other types. */
  values?: (string | number)[];
}

/** Everything one group of one correlation remembers; JSON-serialisable as is. */
export interface WindowState {
  entries: WindowEntry[];
  watermark: number;
  /** End of the last match; entries at or before it are spent. */
  lastMatchEnd?: number;
  /**
   * The last few matches and the entry that completed each (`by`): when that entry comes again — a batch redelivered
   * because its correlator died after writing this state but before recording the alert — the match is returned
   * again, so the alert (idempotent on the match id) is not lost. See `reemit`.
   */
  recent?: RecentHit[];
}

export interface RecentHit extends WindowHit {
  /** Id of the entry whose arrival produced the hit. */
  by: string;
}

/** Matches remembered per group for re-emission, and the evidence ids each keeps (the alert keeps as many). */
const RECENT_HITS = 4;
const RECENT_EVENT_IDS = 1000;

/** What the algorithm needs to know about the correlation. */
export interface WindowSpec {
  type: CorrelationType;
  timespanMs: number;
  latenessMs: number;
  ruleCount: number;
  test: (value: number) => boolean;
  /**
   * temporal_ordered only: keep entries of later steps that no earlier step precedes until the horizon, as before
   * the unstarted-step pruning (see `dropUnstarted`). The reference behaviour for tests and benchmarks.
   */
  keepUnstarted?: boolean;
}

/** A window that satisfied the condition. `value` is the count, distinct count, sum or average. */
export interface WindowHit {
  start: number;
  end: number;
  eventIds: string[];
  value: number;
}

export type EntryOutcome = 'added' | 'late' | 'duplicate' | 'spent';

export interface ApplyResult {
  state: WindowState;
  outcome: EntryOutcome;
  hits: WindowHit[];
}

/**
 * Adds one entry to a group's state, returns the new state and the windows that now match. Never mutates `prior`.
 * Entries are kept sorted by time, so every window, the anchors and what pruning drops are index ranges found by
 * binary search: a key holding hundreds of entries costs one array copy per event, not a filter pass per step.
 */
export function applyEntry(prior: WindowState | undefined, entry: WindowEntry, spec: WindowSpec): ApplyResult {
  // temporal_ordered: no window can match unless some entry is a first step (usually none: see dropUnstarted).
  let started = spec.type !== 'temporal_ordered' || hasStep(entry.rules, 0);
  if (prior) {
    if (entry.t < prior.watermark - spec.latenessMs) return { state: prior, outcome: 'late', hits: reemit(prior, entry) };
    if (prior.lastMatchEnd !== undefined && entry.t <= prior.lastMatchEnd) return { state: prior, outcome: 'spent', hits: reemit(prior, entry) };
    // One pass for both questions: this runs over the whole state for every event.
    for (const e of prior.entries) {
      if (e.id === entry.id) return { state: prior, outcome: 'duplicate', hits: reemit(prior, entry) };
      if (!started && hasStep(e.rules, 0)) started = true;
    }
  }
  const state: WindowState = prior
    ? {
        entries: prior.entries.slice(),
        watermark: prior.watermark,
        ...(prior.lastMatchEnd !== undefined && { lastMatchEnd: prior.lastMatchEnd }),
        ...(prior.recent && { recent: prior.recent }),
      }
    : { entries: [], watermark: entry.t };
  const { entries } = state;
  insertByTime(entries, entry);
  state.watermark = Math.max(state.watermark, entry.t);
  const hits: WindowHit[] = [];
  // Windows end at every entry time in [t, t + timespan] (an out-of-order entry can complete a later window).
  const last = started ? entries.length : 0;
  for (let a = firstIndex(entries, (e) => e.t >= entry.t); a < last && entries[a]!.t <= entry.t + spec.timespanMs; a++) {
    const anchor = entries[a]!.t;
    if (a + 1 < entries.length && entries[a + 1]!.t === anchor) continue; // one window per time
    const spent = state.lastMatchEnd;
    const from = firstIndex(entries, (e) => e.t >= anchor - spec.timespanMs && (spent === undefined || e.t > spent));
    const hit = evaluate(entries, from, a + 1, spec);
    if (hit) {
      hits.push(hit);
      state.lastMatchEnd = hit.end;
    }
  }
  if (hits.length > 0) {
    const remembered = hits.map((hit): RecentHit => ({ ...hit, eventIds: hit.eventIds.slice(-RECENT_EVENT_IDS), by: entry.id }));
    state.recent = [...(state.recent ?? []), ...remembered].slice(-RECENT_HITS);
  }
  prune(state, spec);
  return { state, outcome: 'added', hits };
}

/**
 * The matches an entry produced before, if it is coming again (same id): a redelivery after a crash between the
 * state write and the alert. Only the completing entry re-emits, so a replayed batch yields each match once.
 */
function reemit(prior: WindowState, entry: WindowEntry): WindowHit[] {
  if (!prior.recent) return [];
  const out: WindowHit[] = [];
  for (const { by, ...hit } of prior.recent) if (by === entry.id) out.push(hit);
  return out;
}

/** `rules.includes(step)` without the call for the usual single-rule entry. */
function hasStep(rules: number[], step: number): boolean {
  return rules.length === 1 ? rules[0] === step : rules.includes(step);
}

/** The first index whose entry satisfies `pred`, a predicate monotone in entry time (false…false true…true). */
function firstIndex(entries: WindowEntry[], pred: (e: WindowEntry) => boolean): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (pred(entries[mid]!)) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Stable insert: after every entry at the same or an earlier time, so ties keep arrival order. */
function insertByTime(entries: WindowEntry[], entry: WindowEntry): void {
  let i = entries.length;
  while (i > 0 && entries[i - 1]!.t > entry.t) i--;
  if (i === entries.length) entries.push(entry);
  else entries.splice(i, 0, entry);
}

/** Drops what no future window can use: spent entries and those older than any window a non-late event opens. */
function prune(state: WindowState, spec: WindowSpec): void {
  const horizon = state.watermark - spec.latenessMs - spec.timespanMs;
  const spent = state.lastMatchEnd;
  const keep = firstIndex(state.entries, (e) => e.t >= horizon && (spent === undefined || e.t > spent));
  if (keep > 0) state.entries.splice(0, keep); // the state's own copy: trimming in place allocates nothing
  if (spent !== undefined && spent < state.watermark - spec.latenessMs) delete state.lastMatchEnd;
  if (spec.type === 'temporal_ordered' && !spec.keepUnstarted) {
    dropUnstarted(state, spec);
    capUnstarted(state);
  }
}

/** Most entries per later step a temporal_ordered group keeps while no first step is in its state. */
export const MAX_UNSTARTED_PER_STEP = 64;

/**
 * temporal_ordered, a group with no first step in its state: of each later step only the most recent entries are
 * kept. `dropUnstarted` keeps such entries for the allowed lateness (a late first step may still come before them),
 * which for a busy key — every authenticated request from one address feeding "brute force then success" — was
 * tens of thousands of entries, copied on every event and written whole to Redis. A late first step at `t0` (never
 * more than the lateness behind the watermark) still finds the kept, most recent entries after it, within the
 * lateness and so within the timespan when lateness ≤ timespan: two-step chains fire exactly as before, with
 * possibly later evidence events (the match id, from the window start, is the same). A longer chain whose later
 * steps interleave under such a flood may lose an ordering the evicted entries held. Trimmed only past twice the
 * bound, so the cost is amortised.
 */
function capUnstarted(state: WindowState): void {
  const entries = state.entries;
  if (entries.length <= 2 * MAX_UNSTARTED_PER_STEP) return;
  for (const e of entries) if (hasStep(e.rules, 0)) return;
  const room = new Map<number, number>();
  const keep = new Array<boolean>(entries.length);
  let dropped = 0;
  for (let i = entries.length - 1; i >= 0; i--) {
    let kept = false;
    for (const rule of entries[i]!.rules) {
      const used = room.get(rule) ?? 0;
      if (used < MAX_UNSTARTED_PER_STEP) {
        room.set(rule, used + 1);
        kept = true;
      }
    }
    keep[i] = kept;
    if (!kept) dropped++;
  }
  if (dropped > 0) state.entries = entries.filter((_, i) => keep[i]);
}

/**
 * temporal_ordered: drops entries that only matched later steps and that no chain can ever reach. A step-k entry
 * joins a chain only after steps 0..k-1 in entry order (ties keep arrival order), and every entry accepted from now
 * on sorts after any entry at or before `watermark - lateness` (an earlier one would be late). So once an entry is
 * that old and the greedy prefix of the entries before it is shorter than its lowest step, nothing can precede it
 * any more: no window will use it. Without this, a building block such as "authenticated request" (the last step
 * of brute force then success) kept every request of every address for the whole timespan; now, with no earlier
 * step open, it is kept only while a late earlier step could still come before it (the allowed lateness), and with
 * no lateness the group's state stays empty and the engine writes nothing. The greedy prefix is the one
 * `orderedChain` computes, over all entries rather than one window, so it bounds every window's from above.
 */
function dropUnstarted(state: WindowState, spec: WindowSpec): void {
  const settled = state.watermark - spec.latenessMs;
  const entries = state.entries;
  let prefix = 0;
  let leading = 0; // entries dropped before the first one kept: the common case, one slice
  let kept: WindowEntry[] | undefined;
  let i = 0;
  for (; i < entries.length && entries[i]!.t <= settled; i++) {
    const e = entries[i]!;
    if (hasStep(e.rules, prefix)) prefix++;
    else if (e.rules.every((rule) => rule > prefix)) {
      if (leading === i) leading++;
      else kept ??= entries.slice(leading, i);
      continue;
    }
    kept?.push(e);
  }
  if (kept) state.entries = kept.concat(entries.slice(i));
  else if (leading > 0) entries.splice(0, leading);
}

/** The window `entries[from, to)` (sorted by time), if it satisfies the condition. */
function evaluate(entries: WindowEntry[], from: number, to: number, spec: WindowSpec): WindowHit | undefined {
  if (from >= to) return undefined;
  if (spec.type === 'temporal_ordered') return orderedChain(entries, from, to, spec);
  const value = aggregate(entries, from, to, spec);
  if (value === undefined || !spec.test(value)) return undefined;
  const eventIds: string[] = [];
  for (let i = from; i < to; i++) eventIds.push(entries[i]!.id);
  return { start: entries[from]!.t, end: entries[to - 1]!.t, eventIds, value };
}

function aggregate(entries: WindowEntry[], from: number, to: number, spec: WindowSpec): number | undefined {
  switch (spec.type) {
    case 'event_count':
      return to - from;
    case 'value_count':
    case 'temporal': {
      const seen = new Set<string | number>();
      for (let i = from; i < to; i++) {
        const e = entries[i]!;
        if (spec.type === 'temporal') for (const rule of e.rules) seen.add(rule);
        else for (const value of e.values ?? []) seen.add(String(value)); // 1 and '1' are one value
      }
      return seen.size;
    }
    case 'value_sum':
    case 'value_avg': {
      let sum = 0;
      let count = 0;
      for (let i = from; i < to; i++) {
        for (const v of entries[i]!.values ?? []) {
          if (typeof v !== 'number') continue;
          sum += v;
          count++;
        }
      }
      if (count === 0) return undefined;
      return spec.type === 'value_sum' ? sum : sum / count;
    }
    default:
      return undefined;
  }
}

/**
 * temporal_ordered: the longest prefix of the rule list found in time order, each step a later event than the one
 * before (greedy earliest choice, which finds a chain whenever one exists). The value is the prefix length, so the
 * default condition (`gte: rules.length`) asks for the whole chain.
 */
function orderedChain(entries: WindowEntry[], from: number, to: number, spec: WindowSpec): WindowHit | undefined {
  const chain: WindowEntry[] = [];
  for (let i = from; i < to && chain.length < spec.ruleCount; i++) {
    if (hasStep(entries[i]!.rules, chain.length)) chain.push(entries[i]!);
  }
  if (chain.length === 0 || !spec.test(chain.length)) return undefined;
  return { start: chain[0]!.t, end: chain[chain.length - 1]!.t, eventIds: chain.map((e) => e.id), value: chain.length };
}

/** "Condition": every criterion given must hold (a range is several criteria ANDed). */
export function conditionTest(condition: CorrelationCondition): (value: number) => boolean {
  const checks: ((v: number) => boolean)[] = [];
  if (condition.gt !== undefined) checks.push((v) => v > condition.gt!);
  if (condition.gte !== undefined) checks.push((v) => v >= condition.gte!);
  if (condition.lt !== undefined) checks.push((v) => v < condition.lt!);
  if (condition.lte !== undefined) checks.push((v) => v <= condition.lte!);
  if (condition.eq !== undefined) checks.push((v) => v === condition.eq);
  if (condition.neq !== undefined) checks.push((v) => v !== condition.neq);
  return (value) => checks.every((check) => check(value));
}
