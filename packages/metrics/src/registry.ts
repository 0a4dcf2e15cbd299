/**
 * A process's metrics: one prom-client `Registry` (never prom-client's global one), created by the process's root and
 * handed to its services in their frozen dependencies (docs/ARCHITECTURE.md, "Composition roots"). Services reach a
 * metric by its catalogue key (definitions.ts); every label value goes through its bound (labels.ts) before it
 * reaches prom-client, so no code path can make a series of a sender's text.
 *
 * A root declares the services it runs (`declare`), which registers their metrics at once, so a scrape shows every
 * metric the process emits (counters at zero) before the first event. Gauges read on scrape get their reader from the
 * root (`onScrape`). A process whose work is split over threads (the embedded correlator thread) adds the other
 * registry's snapshot as a source (`addSource`); a scrape then aggregates them (sum per series, as prom-client's
 * cluster aggregation does), so one `/metrics` describes the whole process.
 */
import { AggregatorRegistry, collectDefaultMetrics, Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import { METRICS, metricsOf, type KeyOfType, type LabelsOf, type MetricKey, type ServiceName } from './definitions.js';
import { BoundedLabel } from './labels.js';

/** What another registry of the same process (a thread's) contributes to a scrape. */
export type MetricsSnapshot = MetricObjectWithValues<MetricValue<string>>[];

/** Sets a scrape-time gauge: one call per labelled series. */
export type GaugeSetter<K extends MetricKey> = (labels: LabelsOf<K>, value: number) => void;

type AnyMetric = Counter<string> | Gauge<string> | Histogram<string>;

export interface MetricsOptions {
  /** Node's process metrics (CPU, memory, event loop, GC): on for a process's main registry, off for its threads'. */
  defaults?: boolean;
}

export class Metrics {
  readonly registry = new Registry();
  private readonly created = new Map<MetricKey, { metric: AnyMetric; labels: Map<string, BoundedLabel> }>();
  private readonly readers = new Map<MetricKey, (set: GaugeSetter<MetricKey>) => Promise<void> | void>();
  private readonly sources: Array<() => Promise<MetricsSnapshot>> = [];

  constructor(options: MetricsOptions = {}) {
    if (options.defaults) collectDefaultMetrics({ register: this.registry });
  }

  /** Registers every metric `service` emits, so it is scraped (at zero) before anything happened. */
  declare(service: ServiceName): this {
    for (const key of metricsOf(service)) this.entry(key);
    return this;
  }

  /** Adds `n` (default 1) to a counter. */
  inc<K extends KeyOfType<'counter'>>(key: K, labels: LabelsOf<K>, n = 1): void {
    if (n <= 0) return;
    const { metric, bounded } = this.series(key, labels);
    (metric as Counter<string>).inc(bounded, n);
  }

  /** Sets a gauge updated as things happen. */
  set<K extends KeyOfType<'gauge'>>(key: K, labels: LabelsOf<K>, value: number): void {
    const { metric, bounded } = this.series(key, labels);
    (metric as Gauge<string>).set(bounded, value);
  }

  /** Records one observation (seconds, for durations) in a histogram. */
  observe<K extends KeyOfType<'histogram'>>(key: K, labels: LabelsOf<K>, value: number): void {
    const { metric, bounded } = this.series(key, labels);
    (metric as Histogram<string>).observe(bounded, value);
  }

  /** Times `work` into a histogram; returns its result (failures are timed too, and rethrown). */
  async time<K extends KeyOfType<'histogram'>, T>(key: K, labels: LabelsOf<K>, work: () => Promise<T>): Promise<T> {
    const started = process.hrtime.bigint();
    try {
      return await work();
    } finally {
      this.observe(key, labels, Number(process.hrtime.bigint() - started) / 1e9);
    }
  }

  /**
   * Reads a scrape-time gauge with `read` on every scrape (its previous series are cleared first, so a status that
   * no longer has records drops to absent rather than staying stale). A failing reader leaves the gauge empty for
   * that scrape: the scrape itself still answers.
   */
  onScrape<K extends KeyOfType<'gauge'>>(key: K, read: (set: GaugeSetter<K>) => Promise<void> | void): void {
    this.readers.set(key, read as (set: GaugeSetter<MetricKey>) => Promise<void> | void);
    this.entry(key);
  }

  /** Another registry of this process (a worker thread's), merged into every scrape. */
  addSource(snapshot: () => Promise<MetricsSnapshot>): void {
    this.sources.push(snapshot);
  }

  /** This registry's values, for a process's main thread to merge (see `addSource`). */
  snapshot(): Promise<MetricsSnapshot> {
    return this.registry.getMetricsAsJSON();
  }

  /** The Prometheus text exposition of the whole process. */
  async render(): Promise<{ contentType: string; text: string }> {
    if (this.sources.length === 0) return { contentType: this.registry.contentType, text: await this.registry.metrics() };
    const others = await Promise.all(this.sources.map((s) => s().catch((): MetricsSnapshot => [])));
    const merged = AggregatorRegistry.aggregate([await this.snapshot(), ...others]);
    return { contentType: merged.contentType, text: await merged.metrics() };
  }

  private series(key: MetricKey, labels: Record<string, string | number>): { metric: AnyMetric; bounded: Record<string, string> } {
    const entry = this.entry(key);
    const bounded: Record<string, string> = {};
    for (const [name, label] of entry.labels) bounded[name] = label.value(labels[name]);
    return { metric: entry.metric, bounded };
  }

  private entry(key: MetricKey): { metric: AnyMetric; labels: Map<string, BoundedLabel> } {
    const existing = this.created.get(key);
    if (existing) return existing;
    const definition = METRICS[key];
    const labels = new Map(Object.entries(definition.labels).map(([name, bound]) => [name, new BoundedLabel(name, bound)]));
    const config = { name: definition.name, help: definition.help, labelNames: [...labels.keys()], registers: [this.registry] };
    let metric: AnyMetric;
    if (definition.type === 'counter') metric = new Counter(config);
    else if (definition.type === 'histogram') metric = new Histogram({ ...config, buckets: [...(definition as { buckets: readonly number[] }).buckets] });
    else {
      const readers = this.readers;
      const setFor = (gauge: Gauge<string>): GaugeSetter<MetricKey> => (raw, value) => {
        const bounded: Record<string, string> = {};
        for (const [name, label] of labels) bounded[name] = label.value((raw as Record<string, string | number>)[name]);
        gauge.set(bounded, value);
      };
      metric = new Gauge({
        ...config,
        async collect() {
          const read = readers.get(key);
          if (!read) return;
          this.reset();
          await Promise.resolve(read(setFor(this))).catch(() => this.reset());
        },
      });
    }
    const entry = { metric, labels };
    this.created.set(key, entry);
    return entry;
  }
}

/** A process's registry, created by its root. */
export function createMetrics(options: MetricsOptions = {}): Metrics {
  return new Metrics(options);
}
