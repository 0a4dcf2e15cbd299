/**
 * What the roots wire into a process's metrics registry (@bulwark/metrics): store timing around each port the root
 * opens, the bus's delivery observer, and the gauges read from the case store on scrape. Services only count what
 * they do themselves (events ingested, rules matched, steps run); everything measured at a port is measured here,
 * once, for every adapter behind it (docs/ARCHITECTURE.md, "One port, many adapters").
 */
import { createMetrics, type Metrics } from '@bulwark/metrics';
import type { BusObserver } from '@bulwark/bus';
import { AlertStatuses, IncidentStatuses } from '@bulwark/schema';
import type { CaseStore } from '@bulwark/store';

export type StoreKind = 'log' | 'cases' | 'tokens';

/** The registry of a process's main thread: the catalogue's metrics plus Node's process metrics. */
export function processMetrics(): Metrics {
  return createMetrics({ defaults: true });
}

/** A thread's registry: merged into its process's scrape, so it carries no process metrics of its own. */
export function threadMetrics(): Metrics {
  return createMetrics({ defaults: false });
}

function codeOf(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'other';
}

/**
 * `store` with every method timed into `bulwark_store_operation_duration_seconds` and failures counted in
 * `bulwark_store_errors_total`, by method name (the port's own operations: a bounded set). Methods run on the
 * adapter itself, so its private state and `this` are untouched; `close` is not timed.
 */
export function instrumentStore<T extends object>(store: T, kind: StoreKind, metrics: Metrics): T {
  const wrapped = new Map<PropertyKey, unknown>();
  return new Proxy(store, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string' || prop === 'close' || prop === 'constructor') return value;
      let fn = wrapped.get(prop);
      if (!fn) {
        const method = value as (...args: unknown[]) => unknown;
        const labels = { store: kind, operation: prop };
        const failed = (err: unknown): never => {
          metrics.inc('storeErrors', { ...labels, code: codeOf(err) });
          throw err;
        };
        fn = function timed(...args: unknown[]): unknown {
          const started = process.hrtime.bigint();
          const observe = (): void => metrics.observe('storeDuration', labels, Number(process.hrtime.bigint() - started) / 1e9);
          let result: unknown;
          try {
            result = method.apply(target, args);
          } catch (err) {
            observe();
            return failed(err);
          }
          if (result instanceof Promise) {
            return result.then(
              (v: unknown) => {
                observe();
                return v;
              },
              (err: unknown) => {
                observe();
                return failed(err);
              },
            );
          }
          observe();
          return result;
        };
        wrapped.set(prop, fn);
      }
      return fn;
    },
  });
}

/** The bus's delivery observer: lag from publication to delivery, and redeliveries, per consumer group. */
export function busObserver(metrics: Metrics): BusObserver {
  return Object.freeze({
    delivered(group: string, info: { redelivery: boolean; publishedAtMs: number | null }) {
      if (info.redelivery) metrics.inc('busRedeliveries', { group });
      if (info.publishedAtMs !== null) metrics.observe('busDeliveryLag', { group }, Math.max(0, Date.now() - info.publishedAtMs) / 1000);
    },
  });
}

/**
 * Alerts and incidents by status, read from the case store on each scrape: one grouped count per collection (an
 * index-side aggregate in the engines, one GROUP BY in SQLite), so a scrape costs two reads however many records.
 */
export function watchCases(metrics: Metrics, cases: Pick<CaseStore, 'countBy'>): void {
  // Every known status is reported, 0 when none has it, so a status appearing is a change of value, not a new series.
  metrics.onScrape('alerts', async (set) => {
    const counts = await cases.countBy('alerts', 'status');
    for (const status of AlertStatuses) set({ status }, counts[status] ?? 0);
  });
  metrics.onScrape('incidents', async (set) => {
    const counts = await cases.countBy('incidents', 'status');
    for (const status of IncidentStatuses) set({ status }, counts[status] ?? 0);
  });
}
