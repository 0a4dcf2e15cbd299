/**
 * The collector's "stored and published, then acknowledged" rule (ARCHITECTURE.md, "collector"): the log store the
 * ingest routes write through appends a batch and then publishes what it stored to the bus, so an ingest request is
 * answered only once detection is certain to see its events.
 *
 * - Every event the store kept is published, duplicates included: a sender retrying after a lost answer may be
 *   retrying after "stored but not published", and the correlator is idempotent (deterministic alert ids), so
 *   publishing twice costs nothing while publishing never would lose a detection.
 * - Events the store refused (kept in the dead-letter index) are not published: they were not stored as events.
 * - A publish failure answers 503 `BWK_BUS_UNAVAILABLE` with Retry-After; the sender's retry stores nothing twice
 *   (idempotent on event.id) and publishes again.
 * - The batch id is a hash of the event ids, so a retried batch gets the same id and BullMQ drops the repeat. For a
 *   bus that reads the store the id is only a wake-up (the embedded bus and the correlator thread's nudge ignore it):
 *   a laid-out batch's id is then a hash of its typed id keys, one digest instead of a thousand updates.
 * - A bus that reads the store itself (`readsStore`: the embedded bus, or the wake-up of the embedded correlator
 *   thread) is published to without the events, and then the store's own laid-out batches (`appendColumns`) pass
 *   through: nothing here needs the events as rows.
 */
import { createHash } from 'node:crypto';
import type { Bus } from '@bulwark/bus';
import { BulwarkError, type Event } from '@bulwark/schema';
import { eventToRow, type AppendResult, type ColumnBatch, type LogStore, type SerializedEvent } from '@bulwark/store';

export function publishingStore(store: LogStore, bus: Pick<Bus, 'publish' | 'readsStore'> | null): LogStore {
  if (!bus) return store;
  const publish = async (id: string, events: SerializedEvent[]): Promise<void> => {
    try {
      await bus.publish({ id, events });
    } catch (err) {
      throw new BulwarkError('BWK_BUS_UNAVAILABLE', 'the events were stored but the bus could not take them; retry later', {
        reason: (err as Error).message,
      });
    }
  };
  const publishStored = async (rows: SerializedEvent[], result: AppendResult): Promise<void> => {
    const refused = new Set((result.rejected ?? []).map((r) => r.position));
    const events = refused.size === 0 ? rows : rows.filter((_, i) => !refused.has(i));
    if (events.length === 0) return;
    await publish(batchIdOf(events.map((event) => event.id)), bus.readsStore ? [] : events);
  };
  const columns = bus.readsStore && store.appendColumns ? store.appendColumns.bind(store) : undefined;
  return {
    init: () => store.init(),
    async append(events: Event[]): Promise<AppendResult> {
      const result = await store.append(events);
      await publishStored(events.map((event, i) => eventToRow(event, i)), result);
      return result;
    },
    async appendSerialized(rows: SerializedEvent[]): Promise<AppendResult> {
      const result = await store.appendSerialized(rows);
      await publishStored(rows, result);
      return result;
    },
    ...(columns
      ? {
          async appendColumns(batch: ColumnBatch): Promise<AppendResult> {
            const result = await columns(batch);
            const refused = new Set((result.rejected ?? []).map((r) => r.position));
            const keys = refused.size === 0 ? batch.keys : batch.keys.filter((_, i) => !refused.has(i));
            if (keys.length > 0) await publish(batchIdOfKeys(keys), []);
            return result;
          },
        }
      : {}),
    get: (id) => store.get(id),
    search: (req) => store.search(req),
    histogram: (req) => store.histogram(req),
    topValues: (req) => store.topValues(req),
    around: (req) => store.around(req),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}

/** Same events, same id, from a laid-out batch's id keys (`idKey`s): `b-` + sha256 over their bytes (40 hex digits). */
export function batchIdOfKeys(keys: Float64Array): string {
  return `b-${createHash('sha256').update(new Uint8Array(keys.buffer, keys.byteOffset, keys.byteLength)).digest('hex').slice(0, 40)}`;
}

/** Same events, same id: `b-` + sha256 over the event ids (40 hex digits). */
export function batchIdOf(ids: readonly string[]): string {
  const hash = createHash('sha256');
  for (const id of ids) hash.update(id).update('\u0000');
  return `b-${hash.digest('hex').slice(0, 40)}`;
}
