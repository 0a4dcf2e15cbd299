/**
 * The provenance of the alerts the correlator builds (docs/ARCHITECTURE.md, "Provenance"): `origin: 'rule'`, the source kinds of the
 * evidence, and when Bulwark received it. Playbook gating reads it (only evidence from trusted sources may start
 * containment without a person), so it must never claim more trust than the evidence has:
 *
 * - An event's source kind is what the collector stamped at `bulwark.provenance.source` (route, decoder and token
 *   decide it, never the payload). An event without one — stored before provenance existed — counts as `logs`, the
 *   attacker-writable kind, so old data can never start containment on its own.
 * - Received time is the event's `event.ingested` (set by the collector at intake); else the time the correlator
 *   handles it. Never `@timestamp`, which the sender chose.
 * - A single-event rule alert: its one event's source and received time.
 * - A correlation alert is backed by evidence the correlator mostly cannot see at once: the window state keeps ids,
 *   not documents. Its sources are the union over what it can see — the completing event, the window's first event
 *   (read back from the store), the window's events that are in this batch — and, conservatively, `logs` whenever any
 *   rule the correlation refers to (through chained correlations too) runs on a dataset that is not reserved
 *   (`kubernetes.audit`, `falco.*`: only their own decoders on their own routes produce those). An unseen event of a
 *   non-reserved dataset may be a forged log line; an unseen event of a reserved dataset came through a trusted route,
 *   whose kind the visible evidence already names. Received time: the latest of the visible evidence.
 */
import { SourceKinds, type AlertProvenance, type SourceKind } from '@bulwark/schema';
import type { LoadedRules } from './rules.js';

type Json = Record<string, unknown>;
type CorrelationRule = LoadedRules['correlations'][number];

/** One piece of evidence as the correlator holds it: the stored document and when this delivery handled it. */
export interface Evidence {
  doc: unknown;
  /** Fallback received time (ms) when the document has no `event.ingested`. */
  handledMs: number;
}

/** The value at a dotted path of a stored event's JSON (nested objects only, as the store keeps them). */
export function at(doc: unknown, path: string): unknown {
  let value: unknown = doc;
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Json)[key];
  }
  return value;
}

/** The source kind the collector stamped; `logs` (untrusted) for events stored without one. */
export function sourceOf(doc: unknown): SourceKind {
  const source = at(doc, 'bulwark.provenance.source');
  return typeof source === 'string' && (SourceKinds as readonly string[]).includes(source) ? (source as SourceKind) : 'logs';
}

/** When Bulwark received the event (`event.ingested`), else `fallbackMs`. */
export function receivedMsOf(doc: unknown, fallbackMs: number): number {
  const ingested = at(doc, 'event.ingested');
  const ms = typeof ingested === 'string' ? Date.parse(ingested) : Number.NaN;
  return Number.isFinite(ms) && ms > 0 && ms < 253402300800000 ? ms : fallbackMs;
}

/** Sources in the catalogue's order, so the same evidence always gives the same array. */
function ordered(sources: Iterable<SourceKind>): SourceKind[] {
  const set = new Set(sources);
  return SourceKinds.filter((s) => set.has(s));
}

/** The provenance of an alert built from `evidence` (at least one), plus `extra` sources that cannot be seen. */
export function provenanceOf(evidence: readonly Evidence[], extra: readonly SourceKind[] = []): AlertProvenance {
  const sources = ordered([...evidence.map((e) => sourceOf(e.doc)), ...extra]);
  const receivedMs = Math.max(...evidence.map((e) => receivedMsOf(e.doc, e.handledMs)));
  return { origin: 'rule', sources: sources.length > 0 ? sources : ['logs'], received_at: new Date(receivedMs).toISOString() };
}

/** Datasets only Bulwark's own decoders on their own routes may produce (docs/ARCHITECTURE.md, "Reserved datasets"). */
export function isReservedDataset(dataset: string): boolean {
  return dataset === 'kubernetes.audit' || dataset.startsWith('falco.');
}

/**
 * Per correlation: whether any rule it refers to (following chained correlations) runs on a dataset that is not
 * reserved, i.e. whether evidence it cannot see may be attacker-written logs. Computed once at start-up.
 */
export function correlationsReadingLogs(rules: LoadedRules): (correlation: CorrelationRule) => boolean {
  const datasetsOf = new Map(rules.ruleset.rules.map((compiled) => [compiled.rule, compiled.datasets] as const));
  const byRef = new Map<string, LoadedRules['rules'][number] | CorrelationRule>();
  for (const rule of [...rules.rules, ...rules.correlations]) {
    for (const ref of [rule.id, rule.name]) if (ref !== undefined) byRef.set(ref, rule);
  }
  const memo = new Map<CorrelationRule, boolean>();
  const readsLogs = (correlation: CorrelationRule, path: Set<CorrelationRule>): boolean => {
    const known = memo.get(correlation);
    if (known !== undefined) return known;
    if (path.has(correlation)) return false; // a cycle adds no dataset (the compiler refuses cycles anyway)
    path.add(correlation);
    let result = false;
    for (const ref of correlation.rules) {
      const rule = byRef.get(ref);
      // A reference that does not resolve cannot be reasoned about: assume the worst.
      if (rule === undefined) result = true;
      else if ('detection' in rule) result = (datasetsOf.get(rule) ?? ['unknown']).some((d) => !isReservedDataset(d));
      else result = readsLogs(rule, path);
      if (result) break;
    }
    path.delete(correlation);
    memo.set(correlation, result);
    return result;
  };
  return (correlation) => readsLogs(correlation, new Set());
}
