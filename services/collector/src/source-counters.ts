/**
 * Ingestion health per source (route and token): events stored, records and requests refused by code, when events
 * last arrived. Counting is a map update on the request path; writing is not: every few seconds (and at shutdown) the
 * sources that changed are flushed to the case store's `sources` collection, one record per process, route and token
 * (SourceHealthRecord in @bulwark/schema), each owned by this process alone, so the flush never races another
 * process. A flush that fails keeps the counts dirty for the next one and is logged, never thrown at a sender.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import {
  BulwarkError, SOURCE_PRUNE_AFTER_MS, SOURCE_SAMPLE_SPAN_MS, type SourceHealthRecord, type SourceKind, type SourceSample,
} from '@bulwark/schema';
import type { CaseStore } from '@bulwark/store';

/** The token a request was counted for; absent when it was refused before a token was known. */
export interface CountedToken {
  tokenId: string;
  name: string;
}

interface Entry {
  record: SourceHealthRecord;
  version: string | null;
  dirty: boolean;
}

export interface SourceCountersOptions {
  /** Between flushes; default 5 s. */
  flushIntervalMs?: number;
  logger?: Pick<Logger, 'warn'>;
  /** Epoch ms; tests pin it. */
  now?: () => number;
}

/** How often stale records of other processes are looked for. */
const PRUNE_EVERY_MS = 3_600_000;

export class SourceCounters {
  readonly instance = randomBytes(6).toString('hex');
  private readonly entries = new Map<string, Entry>();
  private readonly startedAt: string;
  private readonly now: () => number;
  private timer: NodeJS.Timeout | null = null;
  private flushing: Promise<void> | null = null;
  private lastPrune = 0;
  private failing = false;

  constructor(private readonly store: CaseStore | null, private readonly options: SourceCountersOptions = {}) {
    this.now = options.now ?? Date.now;
    this.startedAt = new Date(this.now()).toISOString();
  }

  accepted(route: string, source: SourceKind, token: CountedToken | undefined, events: number): void {
    const entry = this.entry(route, source, token);
    entry.record.events_total += events;
    if (events > 0) entry.record.last_seen = new Date(this.now()).toISOString();
    entry.dirty = true;
  }

  rejectedRecords(route: string, source: SourceKind, token: CountedToken | undefined, codes: readonly string[]): void {
    if (codes.length === 0) return;
    const entry = this.entry(route, source, token);
    for (const code of codes) entry.record.rejected_records[code] = (entry.record.rejected_records[code] ?? 0) + 1;
    entry.dirty = true;
  }

  rejectedRequest(route: string, source: SourceKind, token: CountedToken | undefined, code: string): void {
    const entry = this.entry(route, source, token);
    entry.record.rejected_requests[code] = (entry.record.rejected_requests[code] ?? 0) + 1;
    entry.dirty = true;
  }

  /** Flushes every `flushIntervalMs` without holding the process open. */
  start(): this {
    if (!this.store || this.timer) return this;
    this.timer = setInterval(() => void this.flush(), this.options.flushIntervalMs ?? 5_000);
    this.timer.unref();
    return this;
  }

  /** Stops the timer and writes what is still unwritten (at shutdown, after the last request was answered). */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.flush();
  }

  /** Writes the sources that changed since the last flush; one flush at a time (a second call waits for it). */
  flush(): Promise<void> {
    if (!this.store) return Promise.resolve();
    this.flushing ??= this.flushDirty().finally(() => {
      this.flushing = null;
    });
    return this.flushing;
  }

  private entry(route: string, source: SourceKind, token: CountedToken | undefined): Entry {
    const tokenId = token?.tokenId ?? '';
    const key = `${route}\n${tokenId}`;
    let entry = this.entries.get(key);
    if (!entry) {
      const hash = createHash('sha256').update(key).digest('base64url').slice(0, 16);
      entry = {
        version: null,
        dirty: true,
        record: {
          id: `src-${this.instance}-${hash}`,
          instance: this.instance,
          route,
          token_id: tokenId,
          token_name: token?.name ?? '',
          source,
          events_total: 0,
          rejected_records: {},
          rejected_requests: {},
          last_seen: null,
          started_at: this.startedAt,
          flushed_at: this.startedAt,
          recent: [{ t: Date.parse(this.startedAt), events: 0 }],
        },
      };
      this.entries.set(key, entry);
    }
    return entry;
  }

  private async flushDirty(): Promise<void> {
    const store = this.store!;
    const now = this.now();
    try {
      for (const entry of this.entries.values()) {
        if (!entry.dirty) continue;
        entry.dirty = false; // counts arriving during the write mark it again
        const record: SourceHealthRecord = { ...entry.record, flushed_at: new Date(now).toISOString() };
        record.recent = sampled(entry.record.recent, { t: now, events: record.events_total });
        try {
          entry.version = await this.write(store, record, entry.version);
          entry.record.recent = record.recent;
        } catch (err) {
          entry.dirty = true;
          throw err;
        }
      }
      if (now - this.lastPrune >= PRUNE_EVERY_MS) {
        this.lastPrune = now;
        await this.prune(store, now);
      }
      this.failing = false;
    } catch (err) {
      // Logged once per failing spell: a store outage must not flood the log every few seconds.
      if (!this.failing) this.options.logger?.warn({ err }, 'could not flush ingest source counters; retrying at the next flush');
      this.failing = true;
    }
  }

  /** Our own record: created once, then updated at the version we wrote; recreated if another process pruned it. */
  private async write(store: CaseStore, record: SourceHealthRecord, version: string | null): Promise<string> {
    if (version !== null) {
      try {
        return await store.update('sources', record.id, record, { expectedVersion: version });
      } catch (err) {
        if (!(err instanceof BulwarkError) || (err.code !== 'BWK_CONFLICT' && err.code !== 'BWK_NOT_FOUND')) throw err;
      }
    }
    const created = await store.create('sources', record, { ifAbsent: true });
    if (created.created) return created.version;
    return store.update('sources', record.id, record, { expectedVersion: created.version });
  }

  /** Removes records no process has flushed for a day (their processes are gone; a live one rewrites its own). */
  private async prune(store: CaseStore, now: number): Promise<void> {
    const cutoff = new Date(now - SOURCE_PRUNE_AFTER_MS).toISOString();
    for (let round = 0; round < 100; round++) {
      const page = await store.query<SourceHealthRecord>('sources', { range: { flushed_at: { lt: cutoff } }, size: 100 });
      for (const item of page.items) await store.delete('sources', item.record.id, { expectedVersion: item.version }).catch(() => false);
      if (page.cursor === null) return;
    }
  }
}

/** The samples to keep: those of the last span, the newest older one (the minute's baseline), and the new one. */
export function sampled(recent: readonly SourceSample[], next: SourceSample): SourceSample[] {
  const since = next.t - SOURCE_SAMPLE_SPAN_MS;
  const older = recent.filter((s) => s.t < since);
  const kept = recent.filter((s) => s.t >= since);
  return [...older.slice(-1), ...kept, next];
}
