/**
 * `GET /metrics` (Prometheus text) and the timing of every request, mounted first in each service's app. Scraping
 * needs the `metrics` scope (or `admin`): least privilege for a Prometheus server's token, which lives in a
 * ServiceMonitor's Secret and must not be able to search events or read incidents (docs/ARCHITECTURE.md, "Trust
 * model").
 *
 * Requests are timed by the route template that answered (`/v1/incidents/:id`), never by the path a client sent: a
 * raw path would make one series per id or per probe of an attacker. A request no route matched is `unmatched`.
 */
import { Router, type Request, type RequestHandler } from 'express';
import type { Metrics } from '@bulwark/metrics';
import { statusClass } from '@bulwark/metrics';
import type { Authenticator } from './auth.js';

/** The template of the route that handled `req`, or `unmatched`. All routers are mounted at the root (no prefix). */
export function routeTemplate(req: Request): string {
  const path: unknown = req.route?.path;
  return typeof path === 'string' ? `${req.baseUrl}${path}` : 'unmatched';
}

/** Observes each request's duration when its answer is finished (or the client went away). */
export function timeRequests(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    let done = false;
    const observe = (): void => {
      if (done) return;
      done = true;
      metrics.observe(
        'httpDuration',
        { route: routeTemplate(req), method: req.method, status_class: statusClass(res.statusCode) },
        Number(process.hrtime.bigint() - started) / 1e9,
      );
    };
    res.once('finish', observe);
    res.once('close', observe);
    next();
  };
}

export function metricsRouter(deps: { readonly auth: Authenticator; readonly metrics: Metrics }): Router {
  const router = Router();
  router.use(timeRequests(deps.metrics));
  router.get('/metrics', deps.auth.require('metrics'), async (_req, res) => {
    const { contentType, text } = await deps.metrics.render();
    res.set('cache-control', 'no-store').type(contentType).send(text);
  });
  return router;
}
