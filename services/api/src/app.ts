/** The api service: search and timelines for people and scripts. `buildApp(deps)` is apart from listening. */
import express, { Router, type Express } from 'express';
import { consoleRouter, errorHandler, healthRouter, metricsRouter, notFound, sessionRouter, type ConsoleRouterOptions } from '@bulwark/http';
import type { ApiDeps } from '@bulwark/runtime';
import { searchRouter, tokenRouter } from './routes.js';
import { alertsRouter } from './alerts-routes.js';
import { incidentsRouter } from './incidents-routes.js';
import { incidentTimelineRouter } from './incident-timeline-routes.js';
import { backtestRouter } from './backtest-routes.js';
import { auditRouter } from './audit-routes.js';
import { deadLetterRouter } from './dead-letter-routes.js';
import { sourcesRouter } from './sources-routes.js';
import { explorerRouter } from './explorer-routes.js';
import { exportRouter } from './export-routes.js';
import { savedSearchesRouter } from './saved-searches-routes.js';
import { responderForward } from './responder-forward.js';

export function apiRouter(deps: ApiDeps): Router {
  const router = Router();
  router.use(searchRouter(deps));
  router.use(tokenRouter(deps));
  router.use(sessionRouter(deps));
  // Alert intake suppresses and groups with the process's one case service: the same windows as the correlator.
  router.use(alertsRouter(deps, deps.caseService));
  router.use(incidentsRouter(deps, deps.caseService));
  router.use(incidentTimelineRouter(deps, deps.caseService));
  router.use(auditRouter(deps));
  router.use(deadLetterRouter(deps));
  router.use(backtestRouter(deps));
  router.use(sourcesRouter(deps));
  router.use(explorerRouter(deps));
  router.use(exportRouter(deps));
  router.use(savedSearchesRouter(deps));
  return router;
}

/** `console`: where the console bundle is (tests); by default `@bulwark/console`'s. */
export function buildApp(deps: ApiDeps, options: { console?: ConsoleRouterOptions } = {}): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(metricsRouter(deps));
  app.use(healthRouter(deps));
  app.use(consoleRouter(options.console));
  // The runs API lives on the responders: forwarded there, its bodies unread (responder-forward.ts).
  app.use(responderForward(deps));
  app.use(apiRouter(deps));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
