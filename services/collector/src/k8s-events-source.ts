/**
 * The Kubernetes Events source (`ingest.kubernetes_events`): the collector lists and then watches
 * `events.k8s.io/v1` Events of one cluster and stores each observation as dataset `kubernetes.events`
 * (`@bulwark/ingest` k8s-events.ts), through the same store the ingest routes write to (so the bus and the correlator
 * see them). A pull source, so nothing is acknowledged to anyone: an event is written once it is durable, and the
 * position (the last resourceVersion seen, bookmarks included) only moves past stored events.
 *
 * - Resumes a watch that ended (the API server closes them every few minutes) from the last resourceVersion.
 * - A 410 Gone (the position fell out of the API server's window) relists everything and watches from the list;
 *   events stored before are not stored again, because an event's id is its cluster, uid and resourceVersion.
 * - A start is a relist too: Events live an hour in the API server, so a restart within that loses nothing.
 * - Store failures keep the batch and retry; the watch pauses while a batch is unstored.
 */
import * as k8s from '@kubernetes/client-node';
import type { Logger } from 'pino';
import { kubernetesEvent } from '@bulwark/ingest';
import type { Event, EventProvenance } from '@bulwark/schema';
import type { LogStore } from '@bulwark/store';
import { stampProvenance } from './stamp.js';

export interface KubernetesEventsOptions {
  kubeConfig: k8s.KubeConfig;
  /** Recorded on every event (`orchestrator.cluster.name`) and in its id. */
  cluster: string;
  store: Pick<LogStore, 'append'>;
  logger: Logger;
  /** Where the first watch starts instead of a list (tests: a position the API server no longer has). */
  startAt?: string;
  /** Flush a batch after this long or this many events. */
  flushMs?: number;
  flushSize?: number;
}

const PATH = '/apis/events.k8s.io/v1/events';

export class KubernetesEventsSource {
  private readonly provenance: EventProvenance;
  private pending: Event[] = [];
  private position: string | undefined;
  private abort: AbortController | null = null;
  private timer: NodeJS.Timeout | null = null;
  private closed = false;
  private loop: Promise<void> = Promise.resolve();
  /** Counters for tests and logs. */
  readonly stats = { relists: 0, watches: 0, stored: 0, duplicates: 0 };

  constructor(private readonly opts: KubernetesEventsOptions) {
    this.provenance = {
      route: `watch ${PATH}`,
      protocol: 'k8s-events',
      source: 'logs',
      token: { id: `kube-events:${opts.cluster}`, name: `Kubernetes Events watch of ${opts.cluster}` },
      token_sources: ['logs'],
    };
  }

  start(): this {
    this.position = this.opts.startAt;
    this.loop = this.run();
    return this;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.abort?.abort();
    if (this.timer) clearTimeout(this.timer);
    await this.loop.catch(() => {});
    await this.flush().catch((err) => this.opts.logger.warn({ err }, 'kubernetes events: last batch not stored'));
  }

  private async run(): Promise<void> {
    let backoff = 500;
    while (!this.closed) {
      try {
        if (this.position === undefined) await this.relist();
        const ended = await this.watchOnce();
        backoff = 500;
        if (ended === 'gone') {
          this.opts.logger.info({ position: this.position }, 'kubernetes events: position expired (410 Gone); relisting');
          this.position = undefined;
        }
      } catch (err) {
        if (this.closed) return;
        this.opts.logger.warn({ err: (err as Error).message }, 'kubernetes events: watch failed; retrying');
        await new Promise((r) => setTimeout(r, backoff));
        backoff = Math.min(backoff * 2, 30_000);
      }
    }
  }

  /** Lists every Event (paged), stores them, and takes the list's resourceVersion as the position. */
  private async relist(): Promise<void> {
    this.stats.relists++;
    const api = this.opts.kubeConfig.makeApiClient(k8s.EventsV1Api);
    let token: string | undefined;
    let version: string | undefined;
    do {
      const page = await api.listEventForAllNamespaces({ limit: 500, ...(token ? { _continue: token } : {}) });
      // The typed client's objects as the API's JSON (dates back to text), so listed and watched Events map alike.
      for (const item of page.items) this.add(JSON.parse(JSON.stringify(item)));
      await this.flush();
      token = page.metadata?._continue || undefined;
      version = page.metadata?.resourceVersion;
    } while (token && !this.closed);
    this.position = version;
  }

  /** One watch from the position until the server ends it ('ended') or says the position is gone ('gone'). */
  private watchOnce(): Promise<'ended' | 'gone'> {
    this.stats.watches++;
    return new Promise((resolve, reject) => {
      let gone = false;
      const watch = new k8s.Watch(this.opts.kubeConfig);
      const onEvent = (phase: string, object: Record<string, unknown>): void => {
        if (phase === 'ERROR') {
          if ((object as { code?: number }).code === 410) gone = true;
          this.abort?.abort();
          return;
        }
        const rv = (object.metadata as { resourceVersion?: string } | undefined)?.resourceVersion;
        if (phase === 'ADDED' || phase === 'MODIFIED') this.add(object);
        if (rv) this.nextPosition = rv;
        if (phase === 'BOOKMARK' && this.pending.length === 0 && rv) this.position = rv;
      };
      const onDone = (err: unknown): void => {
        const status = (err as { code?: number; statusCode?: number } | null)?.code ?? (err as { statusCode?: number } | null)?.statusCode;
        if (gone || status === 410) resolve('gone');
        else if (err && !this.closed && (err as Error).name !== 'AbortError') reject(err);
        else resolve('ended');
      };
      watch
        .watch(PATH, { allowWatchBookmarks: true, ...(this.position ? { resourceVersion: this.position } : {}) }, onEvent, onDone)
        .then((controller) => {
          this.abort = controller;
          if (this.closed) controller.abort();
        }, reject);
    });
  }

  /** The resourceVersion of the newest event handed to `add`; becomes the position once its batch is stored. */
  private nextPosition: string | undefined;

  private add(raw: unknown): void {
    const event = kubernetesEvent(raw, this.opts.cluster, new Date().toISOString());
    if (!event) return;
    stampProvenance(event, this.provenance, event.event.ingested ?? new Date().toISOString(), false);
    this.pending.push(event);
    this.flushSoon(this.pending.length >= (this.opts.flushSize ?? 200) ? 0 : (this.opts.flushMs ?? 250));
  }

  private flushSoon(ms: number): void {
    if (this.timer && ms > 0) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = null;
      this.flush().catch((err) => {
        this.opts.logger.warn({ err: (err as Error).message }, 'kubernetes events: store refused the batch; retrying');
        this.flushSoon(1000);
      });
    }, ms);
  }

  private flushing: Promise<void> | null = null;

  /** Stores what is pending (one batch at a time); the position moves past it once stored. */
  private async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (this.pending.length === 0) return;
    const batch = this.pending;
    const upTo = this.nextPosition;
    this.pending = [];
    this.flushing = (async () => {
      try {
        const result = await this.opts.store.append(batch);
        this.stats.stored += result.created;
        this.stats.duplicates += result.duplicates;
        if (upTo && this.position !== undefined) this.position = upTo;
      } catch (err) {
        this.pending = [...batch, ...this.pending];
        throw err;
      } finally {
        this.flushing = null;
      }
    })();
    await this.flushing;
  }
}
