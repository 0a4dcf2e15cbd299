/** `/healthz` (the process is alive) and `/readyz` (the store answers): the only routes without a token. */
import { Router } from 'express';
import type { LogStore } from '@bulwark/store';

export function healthRouter(store: LogStore): Router {
  const router = Router();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', async (_req, res) => {
    let ok = false;
    try {
      ok = await store.ping();
    } catch {
      ok = false;
    }
    res.status(ok ? 200 : 503).json({ status: ok ? 'ready' : 'unavailable', store: ok ? 'ok' : 'unreachable' });
  });
  return router;
}
