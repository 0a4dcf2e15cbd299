/**
 * Request bodies for ingest: read raw (decoders do the parsing), decompressed (gzip, deflate, br) by express's body
 * reader with the size limit applied after decompression, so a small gzip bomb still answers 413.
 */
import express, { type RequestHandler, type Request } from 'express';
import contentType from 'content-type';
import { BulwarkError } from '@bulwark/schema';

export function rawBody(limitBytes: number): RequestHandler {
  return express.raw({ type: () => true, limit: limitBytes, inflate: true });
}

export interface MediaType {
  type: string;
  charset: string;
  parameters: Record<string, string>;
}

/** Parses Content-Type; a missing one is treated as JSON in UTF-8 (what curl and most shippers imply). */
export function mediaTypeOf(req: Request): MediaType {
  const header = req.headers['content-type'];
  if (!header) return { type: 'application/json', charset: 'utf-8', parameters: {} };
  try {
    const parsed = contentType.parse(header);
    return { type: parsed.type, charset: (parsed.parameters.charset ?? 'utf-8').toLowerCase(), parameters: parsed.parameters };
  } catch {
    throw new BulwarkError('BWK_INGEST_UNSUPPORTED_MEDIA_TYPE', `cannot parse Content-Type "${header}"`, {
      header: 'content-type',
    });
  }
}

/** The body as a Buffer (empty when none was sent). */
export function bodyOf(req: Request): Buffer {
  return Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
}
