/**
 * `GET /v1/sources` sums what collector processes flushed (services/collector source-counters.ts): per route and
 * token across processes, events/s over the last minute from each process's recent totals, refusals by reason, and
 * `stopped` only for a source that sent within the last hour but nothing for `ingest.stopped_after`.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { SourceHealthRecord } from '@bulwark/schema';
import { summarise } from '../src/sources-routes.js';

const NOW = Date.parse('2026-01-01T12:00:00.000Z');
const iso = (msAgo: number) => new Date(NOW - msAgo).toISOString();

function record(instance: string, fields: Partial<SourceHealthRecord>): SourceHealthRecord {
  return {
    id: `src-${instance}-${fields.route ?? 'r'}-${fields.token_id ?? 't'}`, instance, route: '/v1/ingest/events', token_id: 'tok-a', token_name: 'shipper-a',
    source: 'logs', events_total: 0, rejected_records: {}, rejected_requests: {}, last_seen: null, started_at: iso(600_000),
    flushed_at: iso(1_000), recent: [], ...fields,
  };
}

describe('ingest health summary', () => {
  it('sums a source over processes: totals, events/s over the last minute, refusals by reason, newest name', () => {
    const items = summarise(
      [
        // Process 1: 600 events in the last minute (1000 at 70 s ago, 1600 now).
        record('p1', { events_total: 1600, last_seen: iso(2_000), recent: [{ t: NOW - 70_000, events: 1000 }, { t: NOW - 30_000, events: 1300 }, { t: NOW - 2_000, events: 1600 }], rejected_records: { BWK_INGEST_BAD_FIELD: 2 } }),
        // Process 2 started 20 s ago: all of its 60 events are in the minute.
        record('p2', { events_total: 60, token_name: 'shipper-a-renamed', flushed_at: iso(500), last_seen: iso(1_000), recent: [{ t: NOW - 20_000, events: 0 }, { t: NOW - 1_000, events: 60 }], rejected_requests: { BWK_STORE_UNAVAILABLE: 1 }, rejected_records: { BWK_INGEST_BAD_FIELD: 1 } }),
        // Another route of the same token, and requests refused before any token was known.
        record('p1', { route: '/v1/ingest/falco', source: 'falco', events_total: 5, last_seen: iso(30 * 60_000), recent: [{ t: NOW - 31 * 60_000, events: 5 }] }),
        record('p1', { route: '/v1/ingest/falco', token_id: '', token_name: '', rejected_requests: { BWK_AUTH_INVALID: 4 } }),
      ],
      NOW,
      5 * 60_000,
    );
    assert.equal(items.length, 3);
    const events = items[0]!;
    assert.deepEqual(
      { ...events },
      {
        route: '/v1/ingest/events', token_id: 'tok-a', token_name: 'shipper-a-renamed', source: 'logs', events_total: 1660, events_per_s: 11,
        rejected: { BWK_INGEST_BAD_FIELD: 3, BWK_STORE_UNAVAILABLE: 1 }, rejected_records: { BWK_INGEST_BAD_FIELD: 3 },
        rejected_requests: { BWK_STORE_UNAVAILABLE: 1 }, last_seen: iso(1_000), stopped: false,
      },
    );
    const falco = items.find((i) => i.route === '/v1/ingest/falco' && i.token_id === 'tok-a')!;
    assert.deepEqual([falco.events_per_s, falco.stopped], [0, true], 'silent for 30 minutes after sending: stopped');
    const anonymous = items.find((i) => i.token_id === null)!;
    assert.deepEqual([anonymous.token_name, anonymous.rejected, anonymous.last_seen, anonymous.stopped], [null, { BWK_AUTH_INVALID: 4 }, null, false]);
  });

  it('flags stopped only between stopped_after and an hour of silence', () => {
    const at = (silentMs: number) => summarise([record('p', { events_total: 1, last_seen: iso(silentMs) })], NOW, 5 * 60_000)[0]!.stopped;
    assert.equal(at(60_000), false);
    assert.equal(at(5 * 60_000 + 1), true);
    assert.equal(at(59 * 60_000), true);
    assert.equal(at(61 * 60_000), false, 'a source silent for over an hour is gone, not stopped');
  });
});
