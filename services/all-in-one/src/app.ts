/**
 * Embedded mode: collector and api on one port in one process. Same routers as the separate services — mode is
 * configuration and wiring, never a code fork.
 */
import express, { type Express } from 'express';
import { errorHandler, healthRouter, notFound, type ServiceDeps } from '@bulwark/http';
import { apiRouter } from '@bulwark/api';
import { collectorRouter, elasticProductHeader } from '@bulwark/collector';
import { responderRouter, type Responder } from '@bulwark/responder';

/** `responder`: the in-process responder whose runs API to serve (null: `responder.enabled` is off). */
export function buildApp(deps: ServiceDeps, responder: Responder | null = null): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(elasticProductHeader);
  app.use(healthRouter(deps.store));
  app.use(apiRouter(deps));
  if (responder) app.use(responderRouter(deps, responder));
  app.use(collectorRouter(deps));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
