/**
 * Ingestion health (`GET /v1/sources`, scope read): per source — an ingest route and the token sending on it — events
 * stored, events/s over the last minute, refusals by reason and when events last arrived, summed over the records
 * every collector process flushes (SourceHealthRecord in @bulwark/schema; services/collector source-counters.ts). A
 * source that sent within the last hour but nothing for `ingest.stopped_after` is flagged `stopped`: the shipper or
 * webhook that went quiet is the one to look at.
 */
import { Router } from 'express';
import {
  SOURCE_RATE_WINDOW_MS, SOURCE_WATCH_MS, type SourceHealthRecord, type SourceKind,
} from '@bulwark/schema';
import type { CaseStore } from '@bulwark/store';
import type { ApiDeps } from '@bulwark/runtime';

export interface SourceHealth {
  route: string;
  /** Null for requests refused before a token was known. */
  token_id: string | null;
  token_name: string | null;
  source: SourceKind;
  events_total: number;
  events_per_s: number;
  /** Records and whole requests refused, by reason (an error code). */
  rejected: Record<string, number>;
  rejected_records: Record<string, number>;
  rejected_requests: Record<string, number>;
  last_seen: string | null;
  stopped: boolean;
}

export function sourcesRouter(deps: ApiDeps): Router {
  const router = Router();
  router.get('/v1/sources', deps.auth.require('read'), async (_req, res) => {
    const items = summarise(await allRecords(deps.cases), Date.now(), deps.config.ingest.stopped_after);
    res.json({ window_s: SOURCE_RATE_WINDOW_MS / 1000, items });
  });
  return router;
}

/** Every flushed record: one per live collector process, route and token (pruned after a day), so a few pages. */
async function allRecords(cases: CaseStore): Promise<SourceHealthRecord[]> {
  const records: SourceHealthRecord[] = [];
  let cursor: string | undefined;
  do {
    const page = await cases.query<SourceHealthRecord>('sources', { size: 1000, ...(cursor ? { cursor } : {}) });
    records.push(...page.items.map((item) => item.record));
    cursor = page.cursor ?? undefined;
  } while (cursor);
  return records;
}

/** Sums each source's records across processes; most recently seen first. */
export function summarise(records: readonly SourceHealthRecord[], now: number, stoppedAfterMs: number): SourceHealth[] {
  const sources = new Map<string, SourceHealth & { named_at: string }>();
  for (const r of records) {
    const key = `${r.route}\n${r.token_id}`;
    let s = sources.get(key);
    if (!s) {
      s = {
        route: r.route,
        token_id: r.token_id || null,
        token_name: r.token_name || null,
        source: r.source,
        events_total: 0,
        events_per_s: 0,
        rejected: {},
        rejected_records: {},
        rejected_requests: {},
        last_seen: null,
        stopped: false,
        named_at: r.flushed_at,
      };
      sources.set(key, s);
    }
    s.events_total += r.events_total;
    s.events_per_s += eventsInWindow(r, now) / (SOURCE_RATE_WINDOW_MS / 1000);
    addCounts(s.rejected_records, r.rejected_records);
    addCounts(s.rejected_requests, r.rejected_requests);
    addCounts(s.rejected, r.rejected_records);
    addCounts(s.rejected, r.rejected_requests);
    if (r.last_seen && (!s.last_seen || Date.parse(r.last_seen) > Date.parse(s.last_seen))) s.last_seen = r.last_seen;
    if (r.flushed_at > s.named_at && r.token_name) {
      s.token_name = r.token_name;
      s.named_at = r.flushed_at;
    }
  }
  return [...sources.values()]
    .map(({ named_at: _, ...s }) => {
      const silentFor = s.last_seen ? now - Date.parse(s.last_seen) : Infinity;
      return { ...s, events_per_s: Math.round(s.events_per_s * 1000) / 1000, stopped: silentFor > stoppedAfterMs && silentFor <= SOURCE_WATCH_MS };
    })
    .sort((a, b) => (b.last_seen ?? '').localeCompare(a.last_seen ?? '') || a.route.localeCompare(b.route) || (a.token_id ?? '').localeCompare(b.token_id ?? ''));
}

/**
 * Events one process stored in the last minute: its latest total less its total at the newest sample from before the
 * minute (or its first sample, `{ started, 0 }`, when it started within the minute).
 */
function eventsInWindow(r: SourceHealthRecord, now: number): number {
  const samples = r.recent ?? [];
  const latest = samples[samples.length - 1];
  if (!latest || latest.t <= now - SOURCE_RATE_WINDOW_MS) return 0;
  const before = samples.filter((s) => s.t <= now - SOURCE_RATE_WINDOW_MS);
  const baseline = before[before.length - 1] ?? samples[0]!;
  return Math.max(0, latest.events - baseline.events);
}

function addCounts(into: Record<string, number>, from: Record<string, number> | undefined): void {
  for (const [reason, n] of Object.entries(from ?? {})) into[reason] = (into[reason] ?? 0) + n;
}
