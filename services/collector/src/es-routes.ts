/**
 * The Elasticsearch-compatible surface: the probe and set-up endpoints shippers call first (`es-info.ts`, not decoders)
 * and the registered decoders that answer Elasticsearch-style (`_bulk`, `_doc`, `_create`). Every response carries
 * `X-Elastic-Product: Elasticsearch` (the official clients refuse to talk to a server without it) and errors are
 * rendered in both shapes at once: Bulwark's `{error:{code,message,details}}` and Elasticsearch's
 * `{error:{type,reason,root_cause},status}`.
 */
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { DECODERS, type DecoderRegistry } from '@bulwark/ingest';
import type { BulwarkError } from '@bulwark/schema';
import { rawBody, sendError, toBulwarkError } from '@bulwark/http';
import { esInfoRouter } from './es-info.js';
import type { Decoder } from './decoder.js';
import { decoderRoutes, type IngestRouteDeps } from './decoder-routes.js';

/** Paths of this surface, so the product header and error shape apply to them only. */
export function isEsPath(path: string): boolean {
  return path === '/' || path.startsWith('/_') || /^\/[^/]+\/(_bulk|_doc|_create)(\/|$)/.test(path);
}

function esType(err: BulwarkError): string {
  switch (err.code) {
    case 'BWK_AUTH_MISSING':
    case 'BWK_AUTH_INVALID':
    case 'BWK_AUTH_FORBIDDEN':
    case 'BWK_AUTH_SOURCE_FORBIDDEN':
      return 'security_exception';
    case 'BWK_INGEST_TOO_LARGE':
      return 'content_too_long_exception';
    case 'BWK_ROUTE_NOT_FOUND':
    case 'BWK_NOT_FOUND':
      return 'resource_not_found_exception';
    case 'BWK_STORE_UNAVAILABLE':
    case 'BWK_OVERLOADED':
      return 'es_rejected_execution_exception';
    case 'BWK_INGEST_EMPTY':
      return 'action_request_validation_exception';
    default:
      return err.status >= 500 ? 'exception' : 'illegal_argument_exception';
  }
}

export const esErrorHandler = (logger: Logger): ErrorRequestHandler => (err, req, res, _next) => {
  const bwk = toBulwarkError(err);
  if (bwk.status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
  const type = esType(bwk);
  sendError(res, bwk, { type, reason: bwk.message, root_cause: [{ type, reason: bwk.message }] });
};

export const elasticProductHeader: RequestHandler = (req, res, next) => {
  if (isEsPath(req.path)) res.setHeader('X-Elastic-Product', 'Elasticsearch');
  next();
};

export function esRouter(deps: IngestRouteDeps, decoder: Decoder, registry: DecoderRegistry = DECODERS): Router {
  const router = Router();
  router.use(esInfoRouter(deps.auth.require('ingest', { esSchemes: true }), rawBody(deps.config.ingest.max_body_bytes)));
  router.use(decoderRoutes(deps, decoder, registry, (d) => d.reply !== 'summary'));
  return router;
}
