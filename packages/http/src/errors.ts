/**
 * Renders every failure as `{error:{code,message,details}}` with the catalogue status. Errors raised by express's body
 * reader (size limit, bad gzip, unknown charset) are translated to catalogue codes here, so no client ever sees a 5xx
 * for its own bad input.
 */
import type { ErrorRequestHandler, RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { BulwarkError } from '@bulwark/schema';

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
  code?: string;
  expose?: boolean;
  message?: string;
  limit?: number;
  charset?: string;
  encoding?: string;
}

/** Maps a thrown value to a BulwarkError; unknown errors become BWK_INTERNAL. */
export function toBulwarkError(err: unknown): BulwarkError {
  if (err instanceof BulwarkError) return err;
  const e = (err ?? {}) as HttpishError;
  const status = e.status ?? e.statusCode;
  if (e.type === 'entity.too.large') {
    return new BulwarkError('BWK_INGEST_TOO_LARGE', `request body exceeds the limit of ${e.limit} bytes`, {
      limit: e.limit,
    });
  }
  if (e.type === 'charset.unsupported') {
    return new BulwarkError('BWK_INGEST_UNSUPPORTED_MEDIA_TYPE', `unsupported charset "${e.charset}"`, {
      charset: e.charset,
    });
  }
  if (e.type === 'encoding.unsupported') {
    return new BulwarkError('BWK_INGEST_UNSUPPORTED_MEDIA_TYPE', e.message ?? 'unsupported content encoding', {
      header: 'content-encoding',
    });
  }
  if (typeof e.code === 'string' && e.code.startsWith('Z_')) {
    return new BulwarkError('BWK_INGEST_BAD_GZIP', `the body could not be decompressed: ${e.message}`, {
      header: 'content-encoding',
    });
  }
  if (e.type === 'request.aborted' || e.type === 'request.size.invalid' || e.type === 'stream.encoding.set') {
    return new BulwarkError('BWK_BAD_REQUEST', e.message ?? 'bad request body');
  }
  if (status && status >= 400 && status < 500) {
    return new BulwarkError('BWK_BAD_REQUEST', e.message ?? 'bad request');
  }
  return new BulwarkError('BWK_INTERNAL', 'internal error');
}

/** Writes the error body; `extra` lets a surface add fields (the Elasticsearch surface adds `type`/`reason`). */
export function sendError(res: Response, err: BulwarkError, extra?: Record<string, unknown>): void {
  if (res.headersSent) return;
  if ((err.code === 'BWK_STORE_UNAVAILABLE' || err.code === 'BWK_BUS_UNAVAILABLE' || err.code === 'BWK_OVERLOADED') && !res.getHeader('retry-after')) {
    res.setHeader('Retry-After', err.code === 'BWK_OVERLOADED' ? '1' : '5');
  }
  if (err.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="bulwark", Basic realm="bulwark"');
  const body = err.toJSON();
  res.status(err.status).json(extra ? { error: { ...body.error, ...extra }, status: err.status } : body);
}

/** The last middleware of every app. */
export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const bwk = toBulwarkError(err);
    if (bwk.status >= 500) logger.error({ err, method: req.method, path: req.path }, 'request failed');
    sendError(res, bwk);
  };
}

/** For routes no router claimed. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new BulwarkError('BWK_ROUTE_NOT_FOUND', `no route ${req.method} ${req.path}`, { method: req.method, path: req.path }));
};
