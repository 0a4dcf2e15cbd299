/**
 * `npm start` runs the embedded correlator on its own thread. In one thread, an alert storm (thousands of matching
 * events, each an alert and incident write) kept the event loop busy with detection and starved ingest: measured
 * 2,675 audit events/s instead of ~18,000 with the correlator in-process (bench/RESULTS.md). On its own thread the
 * correlator reads the store through its own connections (the bus cursor, window state and case store all live in
 * the data directory's SQLite file) and can only lag behind under a storm, never slow acknowledgement.
 *
 * The main thread's bus is a nudge: each stored batch wakes the thread's store-backed bus at once instead of at its
 * next poll, which is what keeps alerts within milliseconds of the acknowledgement. A thread that dies unexpectedly
 * is started again (after 1 s, doubling to 30 s): it resumes after the last acknowledged batch, so nothing is skipped.
 */
import { Worker } from 'node:worker_threads';
import type { Bus } from '@bulwark/bus';
import type { ServiceDeps } from '@bulwark/http';
import { exposeStatus } from '@bulwark/correlator';

export interface CorrelatorThread {
  rules: number;
  correlations: number;
  /** How many times the thread was started again after dying. */
  readonly restarts: number;
  /** The running thread (supervision and tests). */
  readonly worker: Worker;
}

type Message = { type: string; error?: string; rules?: number; correlations?: number; nonce?: number; status?: Record<string, unknown> };

/** How long `GET /v1/correlator/status` waits for the thread's counters (a thread busy with a storm answers late). */
const STATUS_TIMEOUT_MS = 2_000;

/** Starts a thread and waits for its `ready`; rejects with its start-up error. */
async function spawnThread(deps: ServiceDeps): Promise<{ worker: Worker; rules: number; correlations: number }> {
  const worker = new Worker(new URL('./correlator-thread.mjs', import.meta.url), { workerData: { config: deps.config } });
  try {
    const ready = await new Promise<Message>((resolve, reject) => {
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`the correlator thread exited (${code}) while starting`)));
      worker.once('message', resolve);
    });
    if (ready.type !== 'ready') throw new Error(`the correlator did not start: ${ready.error}`);
    worker.removeAllListeners('error').removeAllListeners('exit');
    return { worker, rules: ready.rules ?? 0, correlations: ready.correlations ?? 0 };
  } catch (err) {
    await worker.terminate();
    throw err;
  }
}

/** Starts the thread; resolves once its rules are loaded and it consumes the bus, rejects with its start-up error. */
export async function startCorrelatorThread(deps: ServiceDeps): Promise<CorrelatorThread> {
  const first = await spawnThread(deps);
  let worker = first.worker;
  let closing = false;
  let restarts = 0;
  const supervise = (w: Worker): void => {
    w.on('message', (m: Message & { alertId?: string; incidentId?: string | null; outcome?: string }) => {
      if (m.type === 'alert' && m.alertId) {
        deps.alertRecorded?.({ alertId: m.alertId, incidentId: m.incidentId ?? null, outcome: m.outcome ?? '' }).catch((err: unknown) =>
          deps.logger.warn({ err, alert: m.alertId }, 'could not hand the alert to the responder'),
        );
      }
    });
    w.on('error', (err) => deps.logger.error({ err }, 'the correlator thread failed'));
    w.once('exit', (code) => {
      if (closing) return;
      const delay = Math.min(30_000, 1000 * 2 ** Math.min(restarts, 5));
      deps.logger.error({ code, delay_ms: delay }, 'the correlator thread stopped; starting it again');
      const retry = (): void => {
        if (closing) return;
        spawnThread(deps).then(
          (next) => {
            restarts++;
            worker = next.worker;
            supervise(worker);
          },
          (err: unknown) => {
            deps.logger.error({ err }, 'the correlator thread could not start again');
            setTimeout(retry, Math.min(30_000, delay * 2)).unref();
          },
        );
      };
      setTimeout(retry, delay).unref();
    });
  };
  supervise(worker);
  // The collector's bus in this process: the events are already in the store, so publishing only wakes the thread.
  const nudge: Bus = {
    publish: async () => worker.postMessage({ type: 'nudge' }),
    subscribe: async () => {
      throw new TypeError('the embedded correlator consumes the bus on its own thread');
    },
    close: async () => {},
  };
  deps.bus = nudge;
  // The thread's counters for `GET /v1/correlator/status` (served by the API routes of this process).
  let nonce = 0;
  exposeStatus(deps, async () => {
    const current = worker;
    const asked = ++nonce;
    const reply = await new Promise<Record<string, unknown> | null>((resolve) => {
      const timer = setTimeout(() => done(null), STATUS_TIMEOUT_MS);
      const onMessage = (m: Message) => m.type === 'status' && m.nonce === asked && done(m.status ?? null);
      const done = (status: Record<string, unknown> | null) => {
        clearTimeout(timer);
        current.off('message', onMessage);
        resolve(status);
      };
      current.on('message', onMessage);
      current.postMessage({ type: 'status', nonce: asked });
    });
    // Counters restart with the thread: `restarts` says when that happened.
    return { ...(reply ?? { rules: first.rules, correlations: first.correlations, answering: false }), thread: true, restarts };
  });
  deps.onClose(async () => {
    closing = true;
    const current = worker;
    const closed = new Promise<void>((resolve) => {
      current.on('message', (m: Message) => m.type === 'closed' && resolve());
      current.once('exit', () => resolve());
    });
    current.postMessage({ type: 'close' });
    await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000).unref())]);
    await current.terminate();
  });
  return {
    rules: first.rules,
    correlations: first.correlations,
    get restarts() {
      return restarts;
    },
    get worker() {
      return worker;
    },
  };
}
