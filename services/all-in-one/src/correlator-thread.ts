/**
 * `npm start` runs the embedded correlator on its own thread. In one thread, an alert storm (thousands of matching
 * events, each an alert and incident write) kept the event loop busy with detection and starved ingest: measured
 * 2,675 audit events/s instead of ~18,000 with the correlator in-process (bench/RESULTS.md). On its own thread the
 * correlator reads the store through its own connections (the bus cursor, window state and case store all live in
 * the data directory's SQLite file) and can only lag behind under a storm, never slow acknowledgement. The thread is
 * a root of its own (correlator-thread-main.ts).
 *
 * This side hands the collector a publisher that only wakes the thread: each stored batch wakes the thread's
 * store-backed bus at once instead of at its next poll, which keeps alerts within milliseconds of the
 * acknowledgement. A thread that dies unexpectedly is started again (after 1 s, doubling to 30 s): it resumes after
 * the last acknowledged batch, so nothing is skipped.
 */
import { BulwarkError } from '@bulwark/schema';
import type { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Config } from '@bulwark/config';
import type { MetricsSnapshot } from '@bulwark/metrics';
import { resolveLogFormat, type AlertAnnouncer, type BusPublisher, type CorrelatorStatus } from '@bulwark/runtime';
import { startThread } from '@bulwark/threads';

export interface CorrelatorThreadDeps {
  readonly config: Config;
  readonly logger: Logger;
  /** Where the alerts the thread records are announced (null: no responder to tell). */
  readonly announce: AlertAnnouncer | null;
}

export interface CorrelatorThread {
  rules: number;
  correlations: number;
  /** How many times the thread was started again after dying. */
  readonly restarts: number;
  /** The running thread (supervision and tests). */
  readonly worker: Worker;
  /** A thread runs and consumes: false while one that died waits to start again, and once closing began. */
  readonly running: boolean;
  /** The collector's bus in this process: the events are already in the store, so publishing only wakes the thread. */
  readonly nudge: BusPublisher;
  /** The thread's counters, for `GET /v1/correlator/status`. */
  readonly status: CorrelatorStatus;
  /** The thread's metrics registry, for the process's `GET /metrics` (empty when the thread does not answer in time). */
  metrics(): Promise<MetricsSnapshot>;
  /** Asks the thread to close its connections, then ends it. */
  close(): Promise<void>;
}

type Message = {
  type: string;
  error?: string;
  rules?: number;
  correlations?: number;
  nonce?: number;
  status?: Record<string, unknown>;
  snapshot?: MetricsSnapshot;
};

/** How long `GET /v1/correlator/status` waits for the thread's counters (a thread busy with a storm answers late). */
const STATUS_TIMEOUT_MS = 2_000;

/** Starts a thread and waits for its `ready`; rejects with its start-up error. */
async function spawnThread(config: Config): Promise<{ worker: Worker; rules: number; correlations: number }> {
  // The thread's stdout is never a terminal: it logs in the format this thread chose (`log.format: auto`).
  const threadConfig: Config = { ...config, log: { ...config.log, format: resolveLogFormat(config.log.format) } };
  const worker = startThread(import.meta.url, './correlator-thread-main', { workerData: { config: threadConfig } });
  try {
    const ready = await new Promise<Message>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the correlator thread exited (${code}) while starting`)));
      worker.once('message', resolve);
    });
    if (ready.type !== 'ready') throw new BulwarkError('BWK_INTERNAL', `the correlator did not start: ${ready.error}`, { reason: ready.error });
    worker.removeAllListeners('error').removeAllListeners('exit');
    return { worker, rules: ready.rules ?? 0, correlations: ready.correlations ?? 0 };
  } catch (err) {
    await worker.terminate();
    throw err;
  }
}

/** Asks `worker` for its counters (`status`) or its metrics (`metrics`); null when it does not answer in time. */
function ask(worker: Worker, type: 'status' | 'metrics', nonce: number): Promise<Message | null> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => done(null), STATUS_TIMEOUT_MS);
    const onMessage = (m: Message) => m.type === type && m.nonce === nonce && done(m);
    const done = (reply: Message | null) => {
      clearTimeout(timer);
      worker.off('message', onMessage);
      resolve(reply);
    };
    worker.on('message', onMessage);
    worker.postMessage({ type, nonce });
  });
}

/** Starts the thread; resolves once its rules are loaded and it consumes the bus, rejects with its start-up error. */
export async function startCorrelatorThread(deps: CorrelatorThreadDeps): Promise<CorrelatorThread> {
  const { config, logger, announce } = deps;
  const first = await spawnThread(config);
  let worker = first.worker;
  let closing = false;
  let restarts = 0;
  let running = true;
  const supervise = (w: Worker): void => {
    w.on('message', (m: Message & { alertId?: string; incidentId?: string | null; outcome?: string }) => {
      if (m.type === 'alert' && m.alertId && announce) {
        announce({ alertId: m.alertId, incidentId: m.incidentId ?? null, outcome: m.outcome ?? '' }).catch((err: unknown) =>
          logger.warn({ err, alert: m.alertId }, 'could not hand the alert to the responder'),
        );
      }
    });
    w.on('error', (err) => logger.error({ err }, 'the correlator thread failed'));
    w.once('exit', (code) => {
      running = false;
      if (closing) return;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(restarts, 5));
      logger.error({ code, delay_ms: delay }, 'the correlator thread stopped; starting it again');
      const retry = (): void => {
        if (closing) return;
        spawnThread(config).then(
          (next) => {
            restarts++;
            running = true;
            worker = next.worker;
            supervise(worker);
          },
          (err: unknown) => {
            logger.error({ err }, 'the correlator thread could not start again');
            setTimeout(retry, Math.min(30_000, delay * 2)).unref();
          },
        );
      };
      setTimeout(retry, delay).unref();
    });
  };
  supervise(worker);
  let nonce = 0;
  return {
    rules: first.rules,
    correlations: first.correlations,
    get restarts() {
      return restarts;
    },
    get worker() {
      return worker;
    },
    get running() {
      return running && !closing;
    },
    // The thread's bus reads the store: a publish is only a wake-up, and needs no events.
    nudge: Object.freeze({ publish: async () => worker.postMessage({ type: 'nudge' }), readsStore: true }),
    status: async () => {
      const reply = (await ask(worker, 'status', ++nonce))?.status;
      // Counters restart with the thread: `restarts` says when that happened.
      return { ...(reply ?? { rules: first.rules, correlations: first.correlations, answering: false }), thread: true, restarts };
    },
    // Counters restart with the thread too; Prometheus's rate() reads a drop to a lower value as a counter reset.
    metrics: async () => (await ask(worker, 'metrics', ++nonce))?.snapshot ?? [],
    async close() {
      closing = true;
      const current = worker;
      const closed = new Promise<void>((resolve) => {
        current.on('message', (m: Message) => m.type === 'closed' && resolve());
        current.once('exit', () => resolve());
      });
      current.postMessage({ type: 'close' });
      await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000).unref())]);
      await current.terminate();
    },
  };
}
