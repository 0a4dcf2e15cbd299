/**
 * The building blocks every root uses: open an adapter once, from config, register its release with the process's
 * lifetime, and assemble each service's frozen dependencies. Roots (each service's `main.ts`, the all-in-one root,
 * the embedded correlator thread) call these in dependency order, so nothing is patched in afterwards.
 */
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import type { KubeClients } from '@bulwark/actions';
import { BullmqBus, BullmqJobQueue, type Bus, type JobQueue } from '@bulwark/bus';
import type { CaseService } from '@bulwark/cases';
import type { Config } from '@bulwark/config';
import { Authenticator, createReadiness, type Readiness } from '@bulwark/http';
import type { Metrics } from '@bulwark/metrics';
import type { CaseStore, LogStore, TokenStore } from '@bulwark/store';
import { queueAnnouncer, type AlertAnnouncer } from './announce.js';
import { kubeEventsFromConfig } from './kube.js';
import { openBus, openResponderQueue, type OpenBusOptions, type ResponderJob } from './bus.js';
import { openCorrelationState, type CorrelatorState } from './correlation-state.js';
import type {
  ApiDeps, BusPublisher, CollectorDeps, CorrelatorDeps, CorrelatorStatus, HttpDeps, ResponderDeps, ResponderHttpDeps,
} from './deps.js';
import { createLifetime, type Lifetime } from './lifetime.js';
import { createLogger } from './logger.js';
import { busObserver, instrumentStore, processMetrics, watchCases } from './metrics.js';
import { openCaseStore, openLogStore, openTokenStore } from './stores.js';
import { bootstrapAdminToken, warnUnrestrictedSenders } from './tokens.js';

/**
 * What a root opens adapters with: the configuration, its logger, the lifetime each adapter's release joins, and the
 * process's (or thread's) one metrics registry, which every adapter opened here reports to.
 */
export interface Base {
  readonly config: Config;
  readonly logger: Logger;
  readonly lifetime: Lifetime;
  /** Where each dependency this process uses adds its `/readyz` probe (absent in a root that serves no HTTP). */
  readonly readiness?: Readiness;
  readonly metrics: Metrics;
}

/** What every service process opens first: the log store (health, search, ingest), the token store, its authenticator. */
export interface Core extends Base, HttpDeps {
  readonly readiness: Readiness;
  readonly tokens: TokenStore;
  /** The admin secret minted at this start (no token existed), to hand over once; null otherwise. */
  readonly mintedAdminToken: string | null;
}

export async function openCore(
  config: Config,
  logger: Logger = createLogger(config),
  lifetime: Lifetime = createLifetime(logger),
  metrics: Metrics = processMetrics(),
): Promise<Core> {
  mkdirSync(config.data_dir, { recursive: true });
  const readiness = createReadiness();
  const store = await openEvents({ config, logger, lifetime, readiness, metrics });
  const opened = await openTokenStore(config);
  lifetime.onClose(() => opened.close(), 'token store');
  const tokens = instrumentStore(opened, 'tokens', metrics);
  const minted = await bootstrapAdminToken(tokens, config.auth.bootstrap_token, logger);
  await warnUnrestrictedSenders(tokens, logger).catch((err: unknown) => logger.warn({ err }, 'could not list tokens to check their sources'));
  return Object.freeze({ config, logger, lifetime, readiness, metrics, store, tokens, auth: new Authenticator(tokens, undefined, logger), mintedAdminToken: minted });
}

/** The log store alone, for a root that serves no HTTP (the embedded correlator thread reads events back by id). */
export async function openEvents(base: Base): Promise<LogStore> {
  // A search engine lacking features of its version (e.g. Elasticsearch without its data-streams module) says so once.
  const store = await openLogStore(base.config, (line, details) => base.logger.info(details, line));
  base.lifetime.onClose(() => store.close(), 'log store');
  base.readiness?.add('store', () => store.ping());
  return instrumentStore(store, 'log', base.metrics);
}

/**
 * The case store (alerts, incidents, runs, audit). `derived`: the connection of a process that only derives records
 * from stored events (a correlator): see `openCaseStore`.
 */
export async function openCases(core: Base, options: { derived?: boolean } = {}): Promise<CaseStore> {
  const cases = await openCaseStore(core.config, options);
  core.lifetime.onClose(() => cases.close(), 'case store');
  core.readiness?.add('cases', () => cases.ping());
  return instrumentStore(cases, 'cases', core.metrics);
}

export function openBusFor(core: Base, options: OpenBusOptions = {}): Bus {
  const bus = openBus(core.config, core.logger, { observer: busObserver(core.metrics), ...options });
  core.lifetime.onClose(() => bus.close(), 'bus');
  // The embedded bus is the store's own table (the store's probe covers it); BullMQ's Redis is a dependency of its own.
  if (bus instanceof BullmqBus) core.readiness?.add('bus', () => bus.ping());
  return bus;
}

export function openResponderQueueFor(core: Base): JobQueue<ResponderJob> {
  const queue = openResponderQueue(core.config, core.logger);
  core.lifetime.onClose(() => queue.close(), 'responder queue (the jobs in hand finish)');
  if (queue instanceof BullmqJobQueue) core.readiness?.add('responder_queue', () => queue.ping());
  return queue;
}

export function openCorrelationStateFor(core: Base): CorrelatorState {
  const { state, close } = openCorrelationState(core.config);
  core.lifetime.onClose(close, 'correlation state');
  return state;
}

/**
 * The announcer of a process that records alerts but runs no responder: the responders' shared queue when there are
 * responders to reach (`responder.enabled`, on Redis), else none — a deployment without responders sets it off, so
 * no notice waits in Redis for a consumer that never comes.
 */
export function remoteAnnouncer(core: Base): AlertAnnouncer | null {
  if (!core.config.bus.redis_url || !core.config.responder.enabled) return null;
  return queueAnnouncer(openResponderQueueFor(core), core.logger);
}

/**
 * The bus other processes consume, for a process that publishes but runs no correlator: BullMQ when `bus.redis_url`
 * is set; none in embedded mode, where the store is the queue and a correlator elsewhere reads it directly.
 */
export function openSharedBusFor(core: Base): Bus | null {
  return core.config.bus.redis_url ? openBusFor(core) : null;
}

export function collectorDeps(core: Core, bus: BusPublisher | null, sourceHealth: CaseStore | null): CollectorDeps {
  core.metrics.declare('collector');
  return Object.freeze({
    config: core.config, logger: core.logger, store: core.store, auth: core.auth, readiness: core.readiness, metrics: core.metrics, bus,
    shutdown: core.lifetime, sourceHealth, kubeEvents: kubeEventsFromConfig(core.config),
  });
}

export function apiDeps(core: Core, caseService: CaseService, correlatorStatus: CorrelatorStatus | null): ApiDeps {
  core.metrics.declare('api');
  watchCases(core.metrics, caseService.store);
  return Object.freeze({
    config: core.config,
    logger: core.logger,
    store: core.store,
    auth: core.auth,
    readiness: core.readiness,
    metrics: core.metrics,
    tokens: core.tokens,
    cases: caseService.store,
    caseService,
    correlatorStatus,
  });
}

export function correlatorDeps(core: Pick<Core, 'config' | 'logger' | 'store' | 'metrics'>, bus: Bus, state: CorrelatorState, caseService: CaseService): CorrelatorDeps {
  core.metrics.declare('correlator');
  return Object.freeze({ config: core.config, logger: core.logger, metrics: core.metrics, bus, events: core.store, state, caseService });
}

export function responderHttpDeps(core: Core, cases: CaseStore): ResponderHttpDeps {
  return Object.freeze({ config: core.config, logger: core.logger, store: core.store, auth: core.auth, readiness: core.readiness, metrics: core.metrics, cases });
}

export function responderDeps(core: Core, caseService: CaseService, queue: JobQueue<ResponderJob>, kube: KubeClients): ResponderDeps {
  core.metrics.declare('responder');
  return Object.freeze({ config: core.config, logger: core.logger, metrics: core.metrics, cases: caseService.store, caseService, queue, kube });
}

/** The log store as `HttpDeps` see it, for surfaces that need nothing else (health, a status page). */
export function httpDeps(core: Core): HttpDeps {
  return Object.freeze({ config: core.config, logger: core.logger, store: core.store, auth: core.auth, readiness: core.readiness, metrics: core.metrics });
}
