/** The responder process's HTTP surface: health, and the runs API (routes.ts). */
import express, { type Express } from 'express';
import { errorHandler, healthRouter, metricsRouter, notFound } from '@bulwark/http';
import type { ResponderHttpDeps } from '@bulwark/runtime';
import type { Responder } from './responder.js';
import { responderRouter } from './routes.js';

export function buildApp(deps: ResponderHttpDeps, responder: Responder): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('query parser', 'simple');
  app.use(metricsRouter(deps));
  app.use(healthRouter(deps));
  app.use(responderRouter(deps, responder));
  app.use(notFound);
  app.use(errorHandler(deps.logger));
  return app;
}
