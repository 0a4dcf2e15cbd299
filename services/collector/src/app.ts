/**
 * The collector: every ingest protocol behind one express app. `buildApp(deps)` is separate from listening so tests can
 * drive it on port 0 and `all-in-one` can mount the same routers.
 */
import express, { Router, type Express } from 'express';
import { errorHandler, healthRouter, metricsRouter, notFound, type HttpDeps } from '@bulwark/http';
import type { CollectorDeps } from '@bulwark/runtime';
import { nativeIngestRouter } from './native-routes.js';
import { createDecoder } from './decoder.js';
import { elasticProductHeader, esErrorHandler, esRouter, isEsPath } from './es-routes.js';
import { KubernetesEventsSource } from './k8s-events-source.js';
import { publishingStore } from './publishing-store.js';
import { SourceCounters } from './source-counters.js';

/**
 * All collector routes. Errors on the Elasticsearch surface are rendered Elasticsearch-style, others Bulwark-style.
 * The routes write through a store that publishes every stored batch to `deps.bus` (when there is one) before the
 * request is answered. The decode threads started here are released with the process (`deps.shutdown`).
 */
export function collectorRouter(collector: CollectorDeps): Router {
  const decoder = createDecoder(collector.config.ingest.decode_threads);
  collector.shutdown.onClose(() => decoder.close(), 'decode threads');
  // Released before the case store (opened earlier), after the last request: the final flush of the counters.
  const sources = new SourceCounters(collector.sourceHealth, { logger: collector.logger }).start();
  collector.shutdown.onClose(() => sources.close(), 'ingest source counters (last flush)');
  const deps: HttpDeps & { sources: SourceCounters } = Object.freeze({ ...collector, store: publishingStore(collector.store, collector.bus), sources });
  if (collector.kubeEvents) {
    // A pull source beside the routes, writing through the same publishing store; stopped before the store closes.
    const { cluster } = collector.config.ingest.kubernetes_events;
    const events = new KubernetesEventsSource({ kubeConfig: collector.kubeEvents, cluster, store: deps.store, logger: collector.logger }).start();
    collector.shutdown.onClose(() => events.close(), 'kubernetes events watch (last batch)');
    collector.logger.info({ cluster }, 'kubernetes events: watching events.k8s.io/v1');
  }
  const router = Router();
  router.use(nativeIngestRouter(deps, decoder));
  const es = Router();
  es.use(esRouter(deps, decoder));
  const renderEsError = esErrorHandler(deps.logger);
  es.use((err: unknown, req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (isEsPath(req.path)) renderEsError(err, req, res, next);
    else next(err);
  });
  router.use(es);
  return router;
}

export function buildApp(deps: CollectorDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(metricsRouter(deps));
  app.use(elasticProductHeader);
  app.use(healthRouter(deps));
  app.use(collectorRouter(deps));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
