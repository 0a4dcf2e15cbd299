/**
 * What each service is handed by its process's root: immutable (readonly, frozen) and typed per service, so a service
 * sees the ports it uses and nothing else. Roots choose every adapter behind these ports from config (compose.ts); no
 * service tests the mode or constructs an adapter.
 */
import type { KubeConfig } from '@kubernetes/client-node';
import type { KubeClients } from '@bulwark/actions';
import type { Bus, JobQueue } from '@bulwark/bus';
import type { CaseService } from '@bulwark/cases';
import type { HttpDeps } from '@bulwark/http';
import type { Metrics } from '@bulwark/metrics';
import type { CaseStore, LogStore, TokenStore } from '@bulwark/store';
import type { ResponderJob } from './bus.js';
import type { CorrelatorState } from './correlation-state.js';
import type { ShutdownHooks } from './lifetime.js';

export type { HttpDeps };

/** The publishing half of the bus: what a producer needs (the collector never consumes). */
export type BusPublisher = Pick<Bus, 'publish' | 'readsStore'>;

/** The counters of the correlator running in this process, for `GET /v1/correlator/status`. */
export type CorrelatorStatus = () => Promise<Record<string, unknown>>;

/** The collector: decode, store, publish, acknowledge. */
export interface CollectorDeps extends HttpDeps {
  /**
   * Where every stored batch is published before the sender is answered: the BullMQ bus, the embedded store's bus,
   * or the wake-up of the embedded correlator thread. Null where nothing consumes (no correlator configured).
   */
  readonly bus: BusPublisher | null;
  /** The collector registers its decode threads here, to release them at shutdown. */
  readonly shutdown: ShutdownHooks;
  /**
   * Where the collector flushes its per-source ingest counters (the case store's `sources` collection), read by the
   * api's `GET /v1/sources`; null keeps them in metrics only.
   */
  readonly sourceHealth: CaseStore | null;
  /** The connection of the Kubernetes Events source (`ingest.kubernetes_events`), or null when it is off. */
  readonly kubeEvents: KubeConfig | null;
}

/** The api: search, tokens, alerts and incidents, audit, dead-letter, backtests. */
export interface ApiDeps extends HttpDeps {
  readonly tokens: TokenStore;
  /** Alerts, incidents, runs, audit, dead-letter: read directly by the audit and dead-letter routes. */
  readonly cases: CaseStore;
  /** The process's one case service (alert intake and incidents), over `cases`. */
  readonly caseService: CaseService;
  /** The correlator of this process, if one runs here (null: the status route says none runs here). */
  readonly correlatorStatus: CorrelatorStatus | null;
}

/** The correlator: rules and correlations on the bus, alerts through the case service. */
export interface CorrelatorDeps {
  readonly config: HttpDeps['config'];
  readonly logger: HttpDeps['logger'];
  /** Events, rule matches, evaluation time (this process's or thread's registry). */
  readonly metrics: Metrics;
  /** Consumed: stored batches. */
  readonly bus: Bus;
  /** Stored events, read back by id (a correlation alert names its window's first event). */
  readonly events: Pick<LogStore, 'get'>;
  /** Correlation windows, shared by every correlator process in scale mode. */
  readonly state: CorrelatorState;
  readonly caseService: CaseService;
}

/** The responder's HTTP surface (runs API): it reads runs and audit from the case store. */
export interface ResponderHttpDeps extends HttpDeps {
  readonly cases: CaseStore;
}

/** The responder: playbooks on recorded alerts, runs advanced as jobs. */
export interface ResponderDeps {
  readonly config: HttpDeps['config'];
  readonly logger: HttpDeps['logger'];
  /** Runs and steps ended; approvals waiting and the breaker are read on scrape. */
  readonly metrics: Metrics;
  /** Runs, journal and audit. */
  readonly cases: CaseStore;
  /** Timelines and the incident port of actions; the same case service the process records alerts with. */
  readonly caseService: CaseService;
  /** Recorded alerts and run steps arrive here; the responder consumes it and schedules its own steps on it. */
  readonly queue: JobQueue<ResponderJob>;
  readonly kube: KubeClients;
}
