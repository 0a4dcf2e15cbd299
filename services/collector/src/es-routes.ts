/**
 * The Elasticsearch-compatible surface. Every response carries `X-Elastic-Product: Elasticsearch` (the official clients
 * refuse to talk to a server without it) and errors are rendered in both shapes at once: Bulwark's
 * `{error:{code,message,details}}` and Elasticsearch's `{error:{type,reason,root_cause},status}`.
 */
import { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { BulwarkError } from '@bulwark/schema';
import { bodyOf, rawBody, sendError, toBulwarkError, type ServiceDeps } from '@bulwark/http';
import { esInfoRouter } from './es-info.js';
import { answerBulk, answerSingleDoc } from './es-bulk.js';
import type { Decoder } from './decoder.js';
import { decodeOptions } from './native-routes.js';
import { ingestRoute, nativeSourcesOf, provenanceOf, sourceGate, type IngestRoute } from './provenance.js';

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

export function esRouter(deps: ServiceDeps, decoder: Decoder): Router {
  const { config, store, auth } = deps;
  const router = Router();
  const requireIngest = auth.require('ingest', { esSchemes: true });
  const readBody = rawBody(config.ingest.max_body_bytes);

  router.use(esInfoRouter(requireIngest, readBody));

  // Native audit / Falco mapping of a document needs the token's explicit grant (`nativeSourcesOf`); see provenance.ts.
  const bulk = (route: IngestRoute): RequestHandler => async (req, res) => {
    const started = Date.now();
    const body = bodyOf(req);
    if (!body.length) throw new BulwarkError('BWK_INGEST_EMPTY', 'Validation Failed: 1: no requests added;');
    const index = typeof req.params.index === 'string' ? req.params.index : undefined;
    const options = { ...decodeOptions(deps, req), nativeSources: nativeSourcesOf(req) };
    const decoded = await decoder.decode({ kind: 'bulk', body, options, provenance: provenanceOf(req, route), ...(index ? { index } : {}) });
    if (!decoded.items?.length) throw new BulwarkError('BWK_INGEST_EMPTY', 'Validation Failed: 1: no requests added;');
    await answerBulk(store, decoded, started, res);
  };
  for (const path of ['/_bulk', '/:index/_bulk']) {
    const route = ingestRoute(path === '/_bulk' ? '/_bulk' : '/{index}/_bulk', 'es-bulk');
    const handlers = [requireIngest, sourceGate(route), readBody, bulk(route)];
    router.post(path, ...handlers);
    router.put(path, ...handlers);
  }

  const singleDoc = (route: IngestRoute, forceCreate: boolean): RequestHandler => async (req, res) => {
    const index = String(req.params.index);
    const id = typeof req.params.id === 'string' ? req.params.id : undefined;
    const options = { ...decodeOptions(deps, req), nativeSources: nativeSourcesOf(req) };
    const decoded = await decoder.decode({ kind: 'doc', body: bodyOf(req), options, provenance: provenanceOf(req, route), index, ...(id ? { id } : {}) });
    await answerSingleDoc(store, decoded, forceCreate || req.query.op_type === 'create', res);
  };
  const docRoute = ingestRoute('/{index}/_doc', 'es-doc');
  const createRoute = ingestRoute('/{index}/_create', 'es-doc');
  const doc = [requireIngest, sourceGate(docRoute), readBody];
  const create = [requireIngest, sourceGate(createRoute), readBody];
  router.post('/:index/_doc', ...doc, singleDoc(docRoute, false));
  router.post('/:index/_doc/:id', ...doc, singleDoc(docRoute, false));
  router.put('/:index/_doc/:id', ...doc, singleDoc(docRoute, false));
  router.post('/:index/_create/:id', ...create, singleDoc(createRoute, true));
  router.put('/:index/_create/:id', ...create, singleDoc(createRoute, true));
  return router;
}
