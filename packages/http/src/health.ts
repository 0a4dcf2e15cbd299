/**
 * `/healthz` (liveness: the process answers; no dependency is asked, so an outage of the store or Redis never gets
 * every pod restarted at once) and `/readyz` (readiness: every dependency the process uses answers and it is not
 * shutting down; see readiness.ts). The only routes without a token.
 */
import { Router } from 'express';
import type { LogStore } from '@bulwark/store';
import { createReadiness, type Readiness } from './readiness.js';

/**
 * `deps.readiness`: the process's probes (its root adds one per dependency it opens); without one, as in a test
 * driving `buildApp` alone, readiness is the store's ping.
 */
export function healthRouter(deps: { readonly store: LogStore; readonly readiness?: Readiness }): Router {
  const readiness = deps.readiness ?? storeOnly(deps.store);
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    const report = await readiness.report();
    const status = report.shuttingDown ? 'shutting_down' : report.ready ? 'ready' : 'unavailable';
    res.status(report.ready ? 200 : 503).json({ status, checks: report.checks });
  });
  return router;
}

function storeOnly(store: LogStore): Readiness {
  const readiness = createReadiness();
  readiness.add('store', () => store.ping());
  return readiness;
}
