/**
 * Every ingest route of a decoder registry on one router, as the collector app mounts them: the native surface, then
 * the Elasticsearch surface (probe endpoints and the decoders that answer Elasticsearch-style), whose errors are
 * rendered in Elasticsearch's shape as well as Bulwark's. Tests mount it with a registry of their own.
 */
import { Router, type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import { DECODERS, type DecoderRegistry } from '@bulwark/ingest';
import type { Decoder } from './decoder.js';
import type { IngestRouteDeps } from './decoder-routes.js';
import { esErrorHandler, esRouter, isEsPath } from './es-routes.js';
import { nativeIngestRouter } from './native-routes.js';

export function ingestRouter(deps: IngestRouteDeps & { logger: Logger }, decoder: Decoder, registry: DecoderRegistry = DECODERS): Router {
  const router = Router();
  router.use(nativeIngestRouter(deps, decoder, registry));
  const es = Router();
  es.use(esRouter(deps, decoder, registry));
  const renderEsError = esErrorHandler(deps.logger);
  const esErrors: ErrorRequestHandler = (err, req, res, next) => {
    if (isEsPath(req.path)) renderEsError(err, req, res, next);
    else next(err);
  };
  es.use(esErrors);
  router.use(es);
  return router;
}
