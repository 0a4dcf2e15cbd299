/**
 * Embedded mode: collector, api and responder on one port in one process. Same routers as the separate services —
 * mode is configuration and wiring (root.ts), never a code fork.
 */
import express, { type Express } from 'express';
import { consoleRouter, errorHandler, healthRouter, metricsRouter, notFound, type ConsoleRouterOptions } from '@bulwark/http';
import type { ApiDeps, CollectorDeps } from '@bulwark/runtime';
import { apiRouter } from '@bulwark/api';
import { collectorRouter, elasticProductHeader } from '@bulwark/collector';
import { responderRouter, type Responder } from '@bulwark/responder';

/** What the one app of the all-in-one process is built from: the collector's and the api's dependencies. */
export type AllInOneDeps = CollectorDeps & ApiDeps;

/**
 * `responder`: the in-process responder whose runs API to serve (null: none runs in this process); `console`: where the
 * console bundle is (tests), by default `@bulwark/console`'s.
 */
export function buildApp(deps: AllInOneDeps, responder: Responder | null = null, options: { console?: ConsoleRouterOptions } = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(metricsRouter(deps));
  // Before the collector's Elasticsearch `GET /` (a browser's `GET /` opens the console) and its product header.
  app.use(consoleRouter(options.console));
  app.use(elasticProductHeader);
  app.use(healthRouter(deps));
  app.use(apiRouter(deps));
  if (responder) app.use(responderRouter(deps, responder));
  app.use(collectorRouter(deps));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
