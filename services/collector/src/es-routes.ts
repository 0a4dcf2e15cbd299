/**
 * The Elasticsearch-compatible surface. Every response carries `X-Elastic-Product: Elasticsearch` (the official clients
 * refuse to talk to a server without it) and errors are rendered in both shapes at once: Bulwark's
 * `{error:{code,message,details}}` and Elasticsearch's `{error:{type,reason,root_cause},status}`.
 */
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { BulwarkError } from '@bulwark/schema';
import { decodeBulk, decodeSingleDoc, type DecodeOptions } from '@bulwark/ingest';
import { bodyOf, mediaTypeOf, rawBody, sendError, toBulwarkError, type ServiceDeps } from '@bulwark/http';
import { esInfoRouter } from './es-info.js';
import { answerBulk, answerSingleDoc, bulkOptions } from './es-bulk.js';

/** Paths of this surface, so the product header and error shape apply to them only. */
export function isEsPath(path: string): boolean {
  return path === '/' || path.startsWith('/_') || /^\/[^/]+\/(_bulk|_doc|_create)(\/|$)/.test(path);
}

function esType(err: BulwarkError): string {
  switch (err.code) {
    case 'BWK_AUTH_MISSING':
    case 'BWK_AUTH_INVALID':
    case 'BWK_AUTH_FORBIDDEN':
      return 'security_exception';
    case 'BWK_INGEST_TOO_LARGE':
      return 'content_too_long_exception';
    case 'BWK_ROUTE_NOT_FOUND':
    case 'BWK_NOT_FOUND':
      return 'resource_not_found_exception';
    case 'BWK_STORE_UNAVAILABLE':
      return 'es_rejected_execution_exception';
    case 'BWK_INGEST_EMPTY':
      return 'action_request_validation_exception';
    default:
      return err.status >= 500 ? 'exception' : 'illegal_argument_exception';
  }
}

export const esErrorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  const bwk = toBulwarkError(err);
  const type = esType(bwk);
  sendError(res, bwk, { type, reason: bwk.message, root_cause: [{ type, reason: bwk.message }] });
};

export const elasticProductHeader: RequestHandler = (req, res, next) => {
  if (isEsPath(req.path)) res.setHeader('X-Elastic-Product', 'Elasticsearch');
  next();
};

export function esRouter(deps: ServiceDeps): Router {
  const { config, store, auth } = deps;
  const router = Router();
  const requireIngest = auth.require('ingest', { esSchemes: true });
  const readBody = rawBody(config.ingest.max_body_bytes);
  const options = (req: Parameters<typeof mediaTypeOf>[0]): DecodeOptions => ({
    charset: mediaTypeOf(req).charset,
    maxDepth: config.ingest.max_depth,
    keepOriginal: config.ingest.keep_original,
    now: new Date(),
  });

  router.use(esInfoRouter(requireIngest, readBody));

  const bulk: RequestHandler = async (req, res) => {
    const started = Date.now();
    const body = bodyOf(req);
    if (!body.length) throw new BulwarkError('BWK_INGEST_EMPTY', 'Validation Failed: 1: no requests added;');
    const items = decodeBulk(body, bulkOptions(req, options(req)));
    if (!items.length) throw new BulwarkError('BWK_INGEST_EMPTY', 'Validation Failed: 1: no requests added;');
    await answerBulk(store, items, started, res);
  };
  router.post('/_bulk', requireIngest, readBody, bulk);
  router.put('/_bulk', requireIngest, readBody, bulk);
  router.post('/:index/_bulk', requireIngest, readBody, bulk);
  router.put('/:index/_bulk', requireIngest, readBody, bulk);

  const singleDoc = (forceCreate: boolean): RequestHandler => async (req, res) => {
    const index = String(req.params.index);
    const id = typeof req.params.id === 'string' ? req.params.id : undefined;
    const item = decodeSingleDoc(bodyOf(req), index, id, options(req));
    const create = forceCreate || req.query.op_type === 'create';
    await answerSingleDoc(store, create ? { ...item, action: 'create' } : item, res);
  };
  router.post('/:index/_doc', requireIngest, readBody, singleDoc(false));
  router.post('/:index/_doc/:id', requireIngest, readBody, singleDoc(false));
  router.put('/:index/_doc/:id', requireIngest, readBody, singleDoc(false));
  router.post('/:index/_create/:id', requireIngest, readBody, singleDoc(true));
  router.put('/:index/_create/:id', requireIngest, readBody, singleDoc(true));
  return router;
}
