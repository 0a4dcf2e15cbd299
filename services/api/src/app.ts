/** The api service: search and timelines for people and scripts. `buildApp(deps)` is apart from listening. */
import express, { Router, type Express } from 'express';
import { errorHandler, healthRouter, notFound, type ServiceDeps } from '@bulwark/http';
import { CaseService, caseOptionsFromConfig } from '@bulwark/cases';
import { searchRouter, tokenRouter } from './routes.js';
import { alertsRouter } from './alerts-routes.js';
import { incidentsRouter } from './incidents-routes.js';
import { backtestRouter } from './backtest-routes.js';
import { auditRouter } from './audit-routes.js';
import { deadLetterRouter } from './dead-letter-routes.js';

export function apiRouter(deps: ServiceDeps): Router {
  const router = Router();
  router.use(searchRouter(deps));
  router.use(tokenRouter(deps));
  // Alert intake suppresses and groups with the same windows as the correlator.
  const cases = new CaseService(deps.cases, {
    ...caseOptionsFromConfig(deps.config),
    onRecorded: async (notice) => deps.alertRecorded?.(notice),
  });
  router.use(alertsRouter(deps, cases));
  router.use(incidentsRouter(deps, cases));
  router.use(auditRouter(deps));
  router.use(deadLetterRouter(deps));
  router.use(deps.config.detection.rules_dir ? backtestRouter(deps, deps.config.detection.rules_dir) : backtestRouter(deps));
  return router;
}

export function buildApp(deps: ServiceDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(healthRouter(deps.store));
  app.use(apiRouter(deps));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
