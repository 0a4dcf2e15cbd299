/**
 * The window algorithm written the plain way — a filter pass over all entries per anchor, per window and per
 * pruning step — kept as the reference that `window.ts` (binary searches over the time-sorted entries) must equal
 * exactly: correlation-window.test.ts compares both on random streams of every correlation type.
 */
import type { ApplyResult, WindowEntry, WindowHit, WindowSpec, WindowState } from '../src/correlation/window.js';

/** Adds one entry to a group's state, returns the new state and the windows that now match. Never mutates `prior`. */
export function referenceApplyEntry(prior: WindowState | undefined, entry: WindowEntry, spec: WindowSpec): ApplyResult {
  const state: WindowState = prior
    ? { entries: [...prior.entries], watermark: prior.watermark, ...(prior.lastMatchEnd !== undefined && { lastMatchEnd: prior.lastMatchEnd }) }
    : { entries: [], watermark: entry.t };
  if (entry.t < state.watermark - spec.latenessMs) return { state: prior ?? state, outcome: 'late', hits: [] };
  if (state.lastMatchEnd !== undefined && entry.t <= state.lastMatchEnd) return { state: prior ?? state, outcome: 'spent', hits: [] };
  if (state.entries.some((e) => e.id === entry.id)) return { state: prior ?? state, outcome: 'duplicate', hits: [] };
  insertByTime(state.entries, entry);
  state.watermark = Math.max(state.watermark, entry.t);
  const hits: WindowHit[] = [];
  let lastAnchor: number | undefined;
  for (const anchor of state.entries.filter((e) => e.t >= entry.t && e.t <= entry.t + spec.timespanMs)) {
    if (anchor.t === lastAnchor) continue;
    lastAnchor = anchor.t;
    const window = state.entries.filter(
      (e) => e.t >= anchor.t - spec.timespanMs && e.t <= anchor.t && (state.lastMatchEnd === undefined || e.t > state.lastMatchEnd),
    );
    const hit = evaluate(window, spec);
    if (hit) {
      hits.push(hit);
      state.lastMatchEnd = hit.end;
    }
  }
  prune(state, spec);
  return { state, outcome: 'added', hits };
}

/** Stable insert: after every entry at the same or an earlier time, so ties keep arrival order. */
function insertByTime(entries: WindowEntry[], entry: WindowEntry): void {
  let i = entries.length;
  while (i > 0 && entries[i - 1]!.t > entry.t) i--;
  entries.splice(i, 0, entry);
}

/** Drops what no future window can use: spent entries and those older than any window a non-late event opens. */
function prune(state: WindowState, spec: WindowSpec): void {
  const horizon = state.watermark - spec.latenessMs - spec.timespanMs;
  const spent = state.lastMatchEnd;
  state.entries = state.entries.filter((e) => e.t >= horizon && (spent === undefined || e.t > spent));
  if (spent !== undefined && spent < state.watermark - spec.latenessMs) delete state.lastMatchEnd;
  if (spec.type === 'temporal_ordered' && !spec.keepUnstarted) dropUnstarted(state, spec);
}

/** temporal_ordered: later-step entries no earlier step precedes, older than watermark - lateness, go. */
function dropUnstarted(state: WindowState, spec: WindowSpec): void {
  const settled = state.watermark - spec.latenessMs;
  let prefix = 0;
  let drop = false;
  for (const e of state.entries) {
    if (e.rules.includes(prefix)) prefix++;
    else if (e.t <= settled && e.rules.every((rule) => rule > prefix)) drop = true;
  }
  if (!drop) return;
  prefix = 0;
  state.entries = state.entries.filter((e) => {
    if (e.rules.includes(prefix)) {
      prefix++;
      return true;
    }
    return e.t > settled || e.rules.some((rule) => rule < prefix);
  });
}

function evaluate(window: WindowEntry[], spec: WindowSpec): WindowHit | undefined {
  if (window.length === 0) return undefined;
  if (spec.type === 'temporal_ordered') return orderedChain(window, spec);
  const value = aggregate(window, spec);
  if (value === undefined || !spec.test(value)) return undefined;
  return { start: window[0]!.t, end: window[window.length - 1]!.t, eventIds: window.map((e) => e.id), value };
}

function aggregate(window: WindowEntry[], spec: WindowSpec): number | undefined {
  switch (spec.type) {
    case 'event_count':
      return window.length;
    case 'value_count':
    case 'temporal': {
      // Plain loops: this runs for every event over the whole window, so no per-entry arrays.
      const seen = new Set<string | number>();
      for (const e of window) {
        if (spec.type === 'temporal') for (const rule of e.rules) seen.add(rule);
        else for (const value of e.values ?? []) seen.add(String(value)); // 1 and '1' are one value
      }
      return seen.size;
    }
    case 'value_sum':
    case 'value_avg': {
      const numbers = window.flatMap((e) => (e.values ?? []).filter((v): v is number => typeof v === 'number'));
      if (numbers.length === 0) return undefined;
      const sum = numbers.reduce((a, b) => a + b, 0);
      return spec.type === 'value_sum' ? sum : sum / numbers.length;
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
function orderedChain(window: WindowEntry[], spec: WindowSpec): WindowHit | undefined {
  const chain: WindowEntry[] = [];
  for (const entry of window) {
    if (chain.length === spec.ruleCount) break;
    if (entry.rules.includes(chain.length)) chain.push(entry);
  }
  if (chain.length === 0 || !spec.test(chain.length)) return undefined;
  return { start: chain[0]!.t, end: chain[chain.length - 1]!.t, eventIds: chain.map((e) => e.id), value: chain.length };
}
