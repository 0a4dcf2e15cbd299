/**
 * `npm start` runs the embedded correlator on its own thread. In one thread, an alert storm (thousands of matching
 * events, each an alert and incident write) kept the event loop busy with detection and starved ingest: measured
 * 2,675 audit events/s instead of ~18,000 with the correlator in-process (bench/RESULTS.md). On its own thread the
 * correlator reads the store through its own connections (the bus cursor, window state and case store all live in
 * the data directory's SQLite file) and can only lag behind under a storm, never slow acknowledgement.
 *
 * The main thread's bus is a nudge: each stored batch wakes the thread's store-backed bus at once instead of at its
 * next poll, which is what keeps alerts within milliseconds of the acknowledgement.
 */
import { Worker } from 'node:worker_threads';
import type { Bus } from '@bulwark/bus';
import type { ServiceDeps } from '@bulwark/http';

export interface CorrelatorThread {
  rules: number;
  correlations: number;
}

/** Starts the thread; resolves once its rules are loaded and it consumes the bus, rejects with its start-up error. */
export async function startCorrelatorThread(deps: ServiceDeps): Promise<CorrelatorThread> {
  const worker = new Worker(new URL('./correlator-thread.mjs', import.meta.url), { workerData: { config: deps.config } });
  const started = await new Promise<CorrelatorThread>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the correlator thread exited (${code}) while starting`));
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (message: { type: string; error?: string; rules?: number; correlations?: number }) => {
      worker.off('exit', onExit);
      if (message.type === 'ready') resolve({ rules: message.rules ?? 0, correlations: message.correlations ?? 0 });
      else reject(new Error(`the correlator did not start: ${message.error}`));
    });
  }).catch(async (err: unknown) => {
    await worker.terminate();
    throw err;
  });
  worker.on('error', (err) => deps.logger.error({ err }, 'the correlator thread failed'));
  deps.bus = nudgeBus(worker);
  deps.onClose(async () => {
    const closed = new Promise<void>((resolve) => {
      worker.on('message', (m: { type: string }) => m.type === 'closed' && resolve());
      worker.once('exit', () => resolve());
    });
    worker.postMessage({ type: 'close' });
    await Promise.race([closed, new Promise((r) => setTimeout(r, 10_000).unref())]);
    await worker.terminate();
  });
  return started;
}

/** The collector's bus in this process: the events are already in the store, so publishing only wakes the thread. */
function nudgeBus(worker: Worker): Bus {
  return {
    publish: async () => worker.postMessage({ type: 'nudge' }),
    subscribe: async () => {
      throw new TypeError('the embedded correlator consumes the bus on its own thread');
    },
    close: async () => {},
  };
}
