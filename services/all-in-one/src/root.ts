/**
 * The all-in-one process's composition root (`npm start`, and the test harness): it opens the shared adapters once —
 * the case store, the responders' queue, the one case service — then starts the correlator where the configuration
 * puts it and the responder, and hands the collector, api and responder routers their frozen dependencies. Services
 * only see what they are given; this is the one place that knows the mode.
 */
import type { Express } from 'express';
import type { KubeClients } from '@bulwark/actions';
import type { Bus } from '@bulwark/bus';
import type { Config } from '@bulwark/config';
import { correlatorReady, startCorrelatorService, statusOf, type Correlator } from '@bulwark/correlator';
import { startResponder, type Responder, type ResponderOptions } from '@bulwark/responder';
import {
  apiDeps, caseServiceFrom, collectorDeps, correlatorDeps, kubeFromConfig, openBusFor, openCases, openCorrelationStateFor,
  openResponderQueueFor, openSharedBusFor, queueAnnouncer, remoteAnnouncer,
  type AlertAnnouncer, type BusPublisher, type Core, type CorrelatorStatus,
} from '@bulwark/runtime';
import { buildApp, type AllInOneDeps } from './app.js';
import { startCorrelatorThread, type CorrelatorThread } from './correlator-thread.js';

/** Where this process runs the correlator: on its own thread (`npm start`), in the HTTP thread, or not at all. */
export type CorrelatorPlacement = 'thread' | 'in-process' | 'none';

/**
 * What the configuration asks for: embedded (no Redis), the correlator gets its own thread over the SQLite file; with
 * Redis it consumes the BullMQ bus in this process; `detection.correlator: false` runs none here.
 */
export function correlatorPlacement(config: Config): CorrelatorPlacement {
  if (!config.detection.correlator) return 'none';
  return config.bus.redis_url ? 'in-process' : 'thread';
}

export interface AllInOneOptions {
  /** Default: `correlatorPlacement(config)`. Tests run it in-process to reach its bus and counters. */
  correlator?: CorrelatorPlacement;
  /** Overrides `detection.rules_dir` for an in-process correlator (tests). */
  rulesDir?: string;
  /** How often an in-process correlator's embedded bus polls between wake-ups (ms; tests). */
  pollIntervalMs?: number;
  /** The responder's options, or false to run none here; default: run one when `responder.enabled`. */
  responder?: ResponderOptions | false;
  /** The Kubernetes clients the responder acts with (tests); default from `responder.kube` (kubeFromConfig). */
  kube?: KubeClients;
}

export interface AllInOne {
  readonly app: Express;
  readonly deps: AllInOneDeps;
  readonly responder: Responder | null;
  /** The in-process correlator and the bus it consumes (placement `in-process`). */
  readonly embedded: { readonly bus: Bus; readonly correlator: Correlator } | null;
  /** The correlator thread (placement `thread`). */
  readonly thread: CorrelatorThread | null;
}

interface Detection {
  publisher: BusPublisher | null;
  status: CorrelatorStatus | null;
  embedded: AllInOne['embedded'];
  thread: CorrelatorThread | null;
}

/** Starts the correlator where `placement` says; what the collector publishes to and what the status route reads. */
async function startDetection(core: Core, placement: CorrelatorPlacement, options: AllInOneOptions, announce: AlertAnnouncer | null, caseService: AllInOneDeps['caseService']): Promise<Detection> {
  if (placement === 'thread') {
    const thread = await startCorrelatorThread({ config: core.config, logger: core.logger, announce });
    core.lifetime.onClose(() => thread.close(), 'correlator thread (finishing the batch in hand)');
    core.readiness.add('correlator', async () => thread.running);
    // The thread keeps its own registry (bus, correlator, its store connections): one scrape shows both.
    core.metrics.addSource(() => thread.metrics());
    return { publisher: thread.nudge, status: thread.status, embedded: null, thread };
  }
  if (placement === 'in-process') {
    const bus = openBusFor(core, options.pollIntervalMs !== undefined ? { pollIntervalMs: options.pollIntervalMs } : {});
    const deps = correlatorDeps(core, bus, openCorrelationStateFor(core), caseService);
    const correlator = await startCorrelatorService(deps, options.rulesDir !== undefined ? { rulesDir: options.rulesDir } : {});
    core.lifetime.onClose(() => correlator.close(), 'correlator (finishing the batch in hand)');
    core.readiness.add('correlator', () => correlatorReady(correlator));
    return { publisher: bus, status: async () => statusOf(correlator), embedded: Object.freeze({ bus, correlator }), thread: null };
  }
  return { publisher: openSharedBusFor(core), status: null, embedded: null, thread: null };
}

/**
 * Composes the process on `core`. A rule or playbook that fails to load rejects (every problem listed); what was
 * opened is released by `core.lifetime`.
 */
export async function composeAllInOne(core: Core, options: AllInOneOptions = {}): Promise<AllInOne> {
  const { config } = core;
  const cases = await openCases(core);
  const runResponder = options.responder !== false && config.responder.enabled;
  // With the responder here, alerts recorded in this process go straight to its queue; otherwise to the responders'
  // shared queue if there is one to reach.
  const queue = runResponder ? openResponderQueueFor(core) : null;
  const announce = queue ? queueAnnouncer(queue, core.logger) : remoteAnnouncer(core);
  const caseService = caseServiceFrom(config, cases, announce);
  const detection = await startDetection(core, options.correlator ?? correlatorPlacement(config), options, announce, caseService);
  const responder = queue
    ? await startResponder(
        { config, logger: core.logger, metrics: core.metrics.declare('responder'), cases, caseService, queue, kube: options.kube ?? kubeFromConfig(config) },
        options.responder || {},
      )
    : null;
  const deps: AllInOneDeps = Object.freeze({ ...collectorDeps(core, detection.publisher, cases), ...apiDeps(core, caseService, detection.status) });
  return { app: buildApp(deps, responder), deps, responder, embedded: detection.embedded, thread: detection.thread };
}
