/**
 * Events for the id-set suites (blocks-id-index, blocks-id-tiers): `count` events of one dataset whose ids are
 * `<prefix>-<i>`, 10 ms apart from `t0 + offsetMs`, and the same as rows for a `BlockWriter`.
 */
import type { Event } from '@bulwark/schema';
import { eventToRow } from '../src/index.js';

export function idSetEvents(t0: number, dataset: string) {
  const events = (prefix: string, count: number, offsetMs = 0): Event[] =>
    Array.from({ length: count }, (_, i) => ({
      '@timestamp': new Date(t0 + offsetMs + i * 10).toISOString(),
      event: { id: `${prefix}-${i}`, dataset },
      message: `${prefix} event ${i}`,
    })) as Event[];
  const rows = (list: Event[]) => list.map((event, i) => eventToRow(event, i));
  return { events, rows };
}
