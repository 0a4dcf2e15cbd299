/**
 * The embedded correlator's thread (see correlator-thread.ts), and its composition root: its own connections to the
 * data directory — the store-backed bus, the SQLite window state, a case-store connection for derived records, the log
 * store to read events back — so rule evaluation and alert writes never hold the HTTP thread. Messages: `nudge` (the
 * collector stored a batch), `status` (answered with the correlator's counters, for `GET /v1/correlator/status` on the
 * main thread), `metrics` (answered with its registry's snapshot, for the main thread's `GET /metrics`), `close`;
 * replies `ready`, `failed`, `status`, `metrics`, `alert` (a recorded alert, for the responder), `closed`.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Config } from '@bulwark/config';
import {
  caseServiceFrom, correlatorDeps, createLifetime, createLogger, openBusFor, openCases, openCorrelationStateFor, openEvents, threadMetrics,
} from '@bulwark/runtime';
import { startCorrelatorService, statusOf } from '@bulwark/correlator';

const port = parentPort!;
const { config } = workerData as { config: Config };
// This thread only reads events back by id: no writer thread of its own.
const threadConfig: Config = { ...config, store: { ...config.store, writer: 'inline' } };
const logger = createLogger(threadConfig).child({ thread: 'correlator' });
const lifetime = createLifetime(logger);
// The thread's own registry: the main thread merges its snapshot into each scrape of `GET /metrics`.
const metrics = threadMetrics();
const base = { config: threadConfig, logger, lifetime, metrics };

try {
  const store = await openEvents(base);
  // Alerts recorded here are announced to the main thread, which hands them to the responder (a notice lost with the
  // process is found again by the responder's rescan of recent alerts at start).
  const caseService = caseServiceFrom(threadConfig, await openCases(base, { derived: true }), async (notice) => port.postMessage({ type: 'alert', ...notice }));
  const bus = openBusFor(base);
  const correlator = await startCorrelatorService(correlatorDeps({ ...base, store }, bus, openCorrelationStateFor(base), caseService));
  lifetime.onClose(() => correlator.close());
  port.on('message', (message: { type: string; nonce?: number }) => {
    if (message.type === 'nudge') void bus.publish({ id: 'nudge', events: [] }).catch(() => {});
    else if (message.type === 'status') port.postMessage({ type: 'status', nonce: message.nonce, status: statusOf(correlator) });
    else if (message.type === 'metrics') {
      void metrics.snapshot().then((snapshot) => port.postMessage({ type: 'metrics', nonce: message.nonce, snapshot }));
    }
    else if (message.type === 'close') {
      void lifetime.close().then(
        () => port.postMessage({ type: 'closed' }),
        (err: unknown) => port.postMessage({ type: 'closed', error: String(err) }),
      );
    }
  });
  port.postMessage({ type: 'ready', rules: correlator.rules.rules.length, correlations: correlator.rules.correlations.length });
} catch (err) {
  await lifetime.close().catch(() => {});
  port.postMessage({ type: 'failed', error: err instanceof Error ? err.message : String(err) });
}
