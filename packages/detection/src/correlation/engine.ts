/**
 * The correlation engine: fed each event with the ids (or names) of the detection rules it matched, in stream
 * order, it updates the window state of every correlation those rules feed and returns the correlation matches.
 *
 * Output depends only on the events and their order — not on batch boundaries, on which adapter holds the state,
 * or on a restart in between — because all state goes through the `CorrelationState` port and the window
 * algorithm is a pure function of it. Match ids are derived from (correlation, group key, window start), so a
 * replay or a retry after a crash produces the same ids and the alert store can upsert instead of duplicating.
 */
import { createHash } from 'node:crypto';
import { BulwarkError } from '@bulwark/schema';
import { asNumber, asString } from '../match.js';
import type { CompiledCorrelation, CorrelationSet } from './compile.js';
import type { SigmaCorrelation } from './load.js';
import { InMemoryCorrelationState, type CorrelationState } from './state.js';
import { applyEntry, type WindowEntry, type WindowSpec } from './window.js';

export interface CorrelationEngineOptions {
  /** Where window state lives; defaults to a fresh in-process store. */
  state?: CorrelationState;
  /** How far behind a group's latest event time an event may arrive and still count (ms, default 0). */
  allowedLatenessMs?: number;
  /**
   * Added to the state TTL (`timespan + lateness`, wall clock). The TTL assumes events arrive roughly when they
   * happen; a shipper that buffers for minutes needs slack here or idle windows expire between its batches.
   */
  ttlSlackMs?: number;
}

/** A correlation that fired, ready to become an alert. */
export interface CorrelationMatch {
  /** Deterministic: the same correlation, group and window start always give the same id. */
  id: string;
  rule: SigmaCorrelation;
  /** Canonical group key (JSON array of the group-by values, in `group-by` order). */
  groupKey: string;
  /** The group-by values by field (or alias) name. */
  group: Record<string, string>;
  /** Event times (ISO 8601) of the first and last event of the window. */
  window: { start: string; end: string };
  eventIds: string[];
  /** event_count: events; temporal, temporal_ordered: referenced rules seen. */
  count?: number;
  /** value_count: distinct values of the field. */
  distinct?: number;
  sum?: number;
  avg?: number;
}

/** Why events were not counted; process-local counters for metrics. */
export interface CorrelationStats {
  late: number;
  duplicate: number;
  spent: number;
  untimed: number;
  ungrouped: number;
  noValue: number;
  conflicts: number;
  /** Matches returned again because their completing event came again (a redelivered batch). */
  reemitted: number;
}

const MAX_ATTEMPTS = 32;

export class CorrelationEngine {
  readonly stats: CorrelationStats = { late: 0, duplicate: 0, spent: 0, untimed: 0, ungrouped: 0, noValue: 0, conflicts: 0, reemitted: 0 };
  private readonly state: CorrelationState;
  private readonly latenessMs: number;
  private readonly ttlSlackMs: number;
  private readonly specs = new Map<CompiledCorrelation, WindowSpec>();

  constructor(
    readonly set: CorrelationSet,
    options: CorrelationEngineOptions = {},
  ) {
    this.state = options.state ?? new InMemoryCorrelationState();
    this.latenessMs = options.allowedLatenessMs ?? 0;
    this.ttlSlackMs = options.ttlSlackMs ?? 0;
  }

  /** Feeds one event and the rules it matched (ids or names); returns the correlations it completes. */
  async process(event: unknown, matchedRuleIds: readonly string[]): Promise<CorrelationMatch[]> {
    const feeds = new Map<CompiledCorrelation, Set<number>>();
    for (const ref of matchedRuleIds) {
      for (const { compiled, member } of this.set.referencing(ref)) {
        const members = feeds.get(compiled) ?? new Set<number>();
        members.add(member);
        feeds.set(compiled, members);
      }
    }
    if (feeds.size === 0) return [];
    const t = eventTime(event);
    if (t === undefined) {
      this.stats.untimed++;
      return [];
    }
    const id = eventId(event);
    const out: CorrelationMatch[] = [];
    for (const compiled of this.set.correlations) {
      const members = feeds.get(compiled);
      if (!members) continue;
      for (const match of await this.feed(compiled, [...members].sort((a, b) => a - b), event, t, id)) {
        out.push(match, ...(await this.process(chainEvent(match), refsOf(match.rule))));
      }
    }
    return out;
  }

  /** Feeds events in order; the same as calling `process` for each. */
  async processBatch(items: Iterable<{ event: unknown; matchedRuleIds: readonly string[] }>): Promise<CorrelationMatch[]> {
    const out: CorrelationMatch[] = [];
    for (const { event, matchedRuleIds } of items) out.push(...(await this.process(event, matchedRuleIds)));
    return out;
  }

  /** One event into one correlation: members that resolve to the same group share one window entry. */
  private async feed(compiled: CompiledCorrelation, members: number[], event: unknown, t: number, id: string): Promise<CorrelationMatch[]> {
    const byGroup = new Map<string, { values: string[]; entry: WindowEntry }>();
    for (const member of members) {
      const { groupBy, field } = compiled.members[member]!;
      const values = groupBy.map((resolve) => firstScalar(resolve(event).values));
      if (values.includes(undefined)) {
        this.stats.ungrouped++;
        continue;
      }
      const groupKey = JSON.stringify(values);
      const known = byGroup.get(groupKey);
      if (known) {
        known.entry.rules.push(member);
        continue;
      }
      const entry: WindowEntry = { t, id, rules: [member] };
      if (field) {
        const fieldValues = valuesFor(compiled, field(event).values);
        if (fieldValues.length === 0) {
          this.stats.noValue++;
          continue;
        }
        entry.values = fieldValues;
      }
      byGroup.set(groupKey, { values: values as string[], entry });
    }
    const out: CorrelationMatch[] = [];
    for (const [groupKey, { values, entry }] of byGroup) out.push(...(await this.update(compiled, groupKey, values, entry)));
    return out;
  }

  /** The window spec of a correlation with this engine's lateness, built once (at first use, after any tuning). */
  private specFor(compiled: CompiledCorrelation): WindowSpec {
    let spec = this.specs.get(compiled);
    if (!spec) this.specs.set(compiled, (spec = { ...compiled.spec, latenessMs: this.latenessMs }));
    return spec;
  }

  /** Read, apply, compare-and-set; on a conflict another correlator got there first, so apply again. */
  private async update(compiled: CompiledCorrelation, groupKey: string, values: string[], entry: WindowEntry): Promise<CorrelationMatch[]> {
    const key = JSON.stringify([compiled.key, ...values]);
    const spec = this.specFor(compiled);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await this.state.read(key);
      const result = applyEntry(current?.state, entry, spec);
      if (result.outcome !== 'added') {
        this.stats[result.outcome]++;
        // A completing event seen again: its match once more, for the alert a crash may have cost (see `reemit`).
        if (result.hits.length > 0) this.stats.reemitted += result.hits.length;
        return result.hits.map((hit) => toMatch(compiled, groupKey, values, hit));
      }
      const empty = result.state.entries.length === 0 && result.state.lastMatchEnd === undefined && !result.state.recent;
      if (empty && !current) return result.hits.map((hit) => toMatch(compiled, groupKey, values, hit));
      const ttl = spec.timespanMs + spec.latenessMs + this.ttlSlackMs;
      if (await this.state.write(key, empty ? undefined : result.state, current?.version ?? 0, ttl)) {
        return result.hits.map((hit) => toMatch(compiled, groupKey, values, hit));
      }
      this.stats.conflicts++;
    }
    throw new BulwarkError('BWK_CONFLICT', `correlation state for ${key} kept changing under ${MAX_ATTEMPTS} attempts`, { key, attempts: MAX_ATTEMPTS });
  }
}

function toMatch(compiled: CompiledCorrelation, groupKey: string, values: string[], hit: { start: number; end: number; eventIds: string[]; value: number }): CorrelationMatch {
  const { correlation } = compiled;
  const measure =
    correlation.type === 'value_count' ? { distinct: hit.value }
    : correlation.type === 'value_sum' ? { sum: hit.value }
    : correlation.type === 'value_avg' ? { avg: hit.value }
    : { count: hit.value };
  return {
    id: matchId(compiled.key, groupKey, hit.start),
    rule: correlation,
    groupKey,
    group: Object.fromEntries(correlation.groupBy.map((name, i) => [name, values[i]!])),
    window: { start: new Date(hit.start).toISOString(), end: new Date(hit.end).toISOString() },
    eventIds: hit.eventIds,
    ...measure,
  };
}

/** A match as an event for correlations that chain on it: its window end, its id, its group-by values as fields. */
function chainEvent(match: CorrelationMatch): unknown {
  return { ...match.group, '@timestamp': match.window.end, event: { id: match.id, kind: 'correlation' } };
}

function refsOf(rule: SigmaCorrelation): string[] {
  return [rule.id, rule.name].filter((r): r is string => r !== undefined);
}

/** A UUID-shaped SHA-256 of (correlation, group key, window start): stable across replays, retries and processes. */
export function matchId(correlationKey: string, groupKey: string, windowStartMs: number): string {
  const hex = createHash('sha256').update(`${correlationKey}\u0000${groupKey}\u0000${windowStartMs}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** `@timestamp` as ISO 8601 text or epoch milliseconds. */
function eventTime(event: unknown): number | undefined {
  const raw = (event as { '@timestamp'?: unknown } | null)?.['@timestamp'];
  const t = typeof raw === 'number' ? raw : typeof raw === 'string' ? Date.parse(raw) : NaN;
  return Number.isFinite(t) ? t : undefined;
}

/** `event.id`, else a hash of the event, so an id-less event replayed still deduplicates. */
function eventId(event: unknown): string {
  const id = (event as { event?: { id?: unknown } } | null)?.event?.id;
  return typeof id === 'string' && id !== '' ? id : 'sha256:' + createHash('sha256').update(JSON.stringify(event)).digest('hex');
}

/** Group-by fields take the first scalar value (audit `sourceIPs` is a list whose first entry is the client). */
function firstScalar(values: unknown[]): string | undefined {
  for (const value of values) {
    const text = asString(value);
    if (text !== undefined && text !== '') return text;
  }
  return undefined;
}

function valuesFor(compiled: CompiledCorrelation, raw: unknown[]): (string | number)[] {
  if (compiled.correlation.type === 'value_count') return raw.map(asString).filter((v): v is string => v !== undefined);
  return raw.map(asNumber).filter((v): v is number => v !== undefined);
}
