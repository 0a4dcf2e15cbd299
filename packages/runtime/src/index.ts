/**
 * @bulwark/runtime — the composition root of every Bulwark process (ARCHITECTURE.md: "one composition root per process
 * picks the adapters once from config and hands out immutable dependencies"). Adapters are chosen here and only here:
 * stores, bus, responder queue, correlation state, Kubernetes clients, the case service.
 */
export { runService, type Root } from './run.js';
export {
  openCore, openEvents, openCases, openSharedBusFor, openBusFor, openResponderQueueFor, openCorrelationStateFor, remoteAnnouncer,
  collectorDeps, apiDeps, correlatorDeps, responderDeps, responderHttpDeps, httpDeps, type Base, type Core,
} from './compose.js';
export type {
  ApiDeps, BusPublisher, CollectorDeps, CorrelatorDeps, CorrelatorStatus, HttpDeps, ResponderDeps, ResponderHttpDeps,
} from './deps.js';
export { createLifetime, type Lifetime, type ShutdownHooks } from './lifetime.js';
export { createLogger, resolveLogFormat, REDACTED_PATHS, type LogFormat } from './logger.js';
export { queueAnnouncer, type AlertAnnouncer, type AlertNotice } from './announce.js';
export { caseServiceFrom } from './cases.js';
export { kubeEventsFromConfig, kubeFromConfig } from './kube.js';
export { openCorrelationState, type CorrelatorState } from './correlation-state.js';
export { openBus, openResponderQueue, type OpenBusOptions, type ResponderJob } from './bus.js';
export { openCaseStore, openLogStore, openTokenStore } from './stores.js';
export { bootstrapAdminToken, warnUnrestrictedSenders } from './tokens.js';
export { handOverInitialToken, INITIAL_TOKEN_FILE, type TokenHandover } from './initial-token.js';
export { busObserver, instrumentStore, processMetrics, threadMetrics, watchCases, type StoreKind } from './metrics.js';
