/**
 * The embedded correlator's thread (see correlator-thread.ts): its own runtime on the same data directory — the
 * store-backed bus, the SQLite window state, a case-store connection — so rule evaluation and alert writes never
 * hold the HTTP thread. Messages: `nudge` (the collector stored a batch), `status` (answered with the correlator's
 * counters, for `GET /v1/correlator/status` on the main thread), `close`; replies `ready`, `failed`, `status`, `closed`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '@bulwark/config';
import { createLogger, openRuntime } from '@bulwark/http';
import { startCorrelatorService, statusOf } from '@bulwark/correlator';

const port = parentPort!;
const { config } = workerData as { config: Config };
// This thread only reads events back by id: no writer thread of its own.
const threadConfig: Config = { ...config, store: { ...config.store, writer: 'inline' } };
const logger = createLogger(threadConfig).child({ thread: 'correlator' });

try {
  const { deps } = await openRuntime(threadConfig, logger, { cases: true, bus: true });
  // Alerts recorded here are announced to the responder on the main thread (a notice lost with the process is found
  // again by the responder's rescan of recent alerts at start).
  deps.alertRecorded = async (notice) => port.postMessage({ type: 'alert', ...notice });
  const correlator = await startCorrelatorService(deps, deps.bus!);
  port.on('message', (message: { type: string; nonce?: number }) => {
    if (message.type === 'nudge') void deps.bus!.publish({ id: 'nudge', events: [] }).catch(() => {});
    else if (message.type === 'status') port.postMessage({ type: 'status', nonce: message.nonce, status: statusOf(correlator) });
    else if (message.type === 'close') {
      void deps.close().then(
        () => port.postMessage({ type: 'closed' }),
        (err: unknown) => port.postMessage({ type: 'closed', error: String(err) }),
      );
    }
  });
  port.postMessage({ type: 'ready', rules: correlator.rules.rules.length, correlations: correlator.rules.correlations.length });
} catch (err) {
  port.postMessage({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
}
