/**
 * Receive times (docs/ARCHITECTURE.md, "Alerts and incidents"): grouping and suppression decide on the time Bulwark received the evidence
 * (`provenance.received_at`), never on the times an alert states. Stated times come from whoever wrote the evidence —
 * a log line's timestamp, an external tool's `last_seen` — so a planted alert "last seen" years ahead would otherwise
 * hold an incident and a suppression window open for every later alert about the same thing.
 *
 * Every alert recorded gets a provenance: external intake sets it (external.ts); the correlator passes the one of its
 * evidence; an internal caller that passes none gets `origin: rule, sources: [logs]` received now — `logs` because
 * nothing says the evidence came from a trusted source, so no automation treats it as such. The stated times are kept
 * for people to read, but clamped: none lies further than `maxClockSkewMs` after the receive time (the original is
 * kept in an annotation, `bulwark:stated_<field>`, for investigation).
 */
import type { Alert, AlertProvenance } from '@bulwark/schema';
import type { CaseContext } from './context.js';
import { mergeTruncated, MAX_MAP_ENTRIES } from './fit.js';

/** The time grouping and suppression use for an alert; alerts stored before provenance existed fall back to `last_seen`. */
export function receivedAt(alert: Alert): string {
  return alert.provenance?.received_at ?? alert.last_seen;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The alert as it is recorded: its provenance completed (default, receive time no later than now plus the skew,
 * fields cut while fitting listed) and its stated times clamped to the receive time plus the skew.
 */
export function withReceiveTimes(ctx: CaseContext, alert: Alert, truncated: readonly string[], maxClockSkewMs = ctx.maxClockSkewMs): Alert {
  const now = Date.parse(ctx.now());
  const given: AlertProvenance = alert.provenance ?? { origin: 'rule', sources: ['logs'], received_at: iso(now) };
  // Even Bulwark's own stamp is bounded by this process's clock (another process's clock may run ahead).
  const received = Math.min(Date.parse(given.received_at), now + maxClockSkewMs);
  const provenance: AlertProvenance = { ...given, received_at: iso(received) };
  const cut = mergeTruncated(given.truncated, truncated);
  if (cut) provenance.truncated = cut;
  const limit = received + maxClockSkewMs;
  const stated: Record<string, string> = {};
  const clamp = (name: string, value: string): string => {
    if (Date.parse(value) <= limit) return value;
    stated[`bulwark:stated_${name}`] = value;
    return iso(limit);
  };
  const next: Alert = {
    ...alert,
    provenance,
    first_seen: clamp('first_seen', alert.first_seen),
    last_seen: clamp('last_seen', alert.last_seen),
    ...(alert.window ? { window: { start: clamp('window_start', alert.window.start), end: clamp('window_end', alert.window.end) } } : {}),
  };
  if (Object.keys(stated).length > 0) {
    const annotations = { ...(alert.annotations ?? {}) };
    for (const [key, value] of Object.entries(stated)) if (Object.keys(annotations).length < MAX_MAP_ENTRIES || key in annotations) annotations[key] = value;
    next.annotations = annotations;
  }
  return next;
}

/** Whether a time falls within `windowMs` of the span `[first, last]` (receive times, ISO). */
export function withinSpan(time: string, first: string, last: string, windowMs: number): boolean {
  const t = Date.parse(time);
  return t >= Date.parse(first) - windowMs && t <= Date.parse(last) + windowMs;
}

/** The provenance of a fold: the latest receive time, every source and untrusted and cut field of either. */
export function foldedProvenance(target: AlertProvenance | undefined, repeat: AlertProvenance | undefined): AlertProvenance | undefined {
  if (!target || !repeat) return target ?? repeat;
  const union = <T>(a: readonly T[] | undefined, b: readonly T[] | undefined) => [...new Set([...(a ?? []), ...(b ?? [])])];
  const untrusted = union(target.untrusted, repeat.untrusted).slice(0, 16);
  const truncated = mergeTruncated(target.truncated, repeat.truncated ?? []);
  return {
    ...target,
    // An alert is trusted only if all of its evidence is: a repeat over another source widens the sources.
    sources: union(target.sources, repeat.sources) as AlertProvenance['sources'],
    received_at: Date.parse(repeat.received_at) > Date.parse(target.received_at) ? repeat.received_at : target.received_at,
    ...(untrusted.length ? { untrusted } : {}),
    ...(truncated ? { truncated } : {}),
  };
}
