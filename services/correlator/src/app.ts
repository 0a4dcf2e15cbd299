/**
 * The correlator process's HTTP surface: health for the orchestrator, and a status page (rules loaded, batches,
 * events, alerts, failures, dead-lettered and retried events, the last failure) for operators and tests. Detection
 * itself runs on the bus, not on HTTP.
 */
import express, { type Express } from 'express';
import { errorHandler, healthRouter, metricsRouter, notFound, type HttpDeps } from '@bulwark/http';
import type { Correlator } from './correlator.js';
import { statusOf } from './service.js';

export function buildApp(deps: HttpDeps, correlator: Correlator): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(metricsRouter(deps));
  app.use(healthRouter(deps));
  app.get('/v1/correlator/status', deps.auth.require('read'), (_req, res) => {
    res.json(statusOf(correlator));
  });
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
